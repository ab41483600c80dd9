create table public.posts (
    id bigint generated always as identity primary key,
    author_id uuid not null,
    published boolean not null default false
);

alter table public.posts enable row level security;

create policy "authors read their posts" on public.posts for select to authenticated
    using (author_id = (select auth.uid()));

-- expect: multiple-permissive-policies
create policy "anyone reads published posts" on public.posts for select to anon, authenticated
    using (published);

create table public.drafts (
    id bigint generated always as identity primary key,
    author_id uuid not null
);

alter table public.drafts enable row level security;

create policy "authors write drafts" on public.drafts for insert to authenticated
    with check (author_id = (select auth.uid()));

-- for all stacks on the insert policy above; no TO clause means every role
-- expect: multiple-permissive-policies
create policy "authors manage drafts" on public.drafts for all
    using (author_id = (select auth.uid()));
