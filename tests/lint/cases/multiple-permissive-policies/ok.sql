create table public.posts (
    id bigint generated always as identity primary key,
    author_id uuid not null,
    published boolean not null default false
);

alter table public.posts enable row level security;

create policy "anon reads published posts" on public.posts for select to anon
    using (published);

create policy "users read published and own posts" on public.posts for select to authenticated
    using (published or author_id = (select auth.uid()));

create policy "authors write" on public.posts for insert to authenticated
    with check (author_id = (select auth.uid()));

-- a restrictive policy adds a condition, it is not OR-ed with the others
create policy "no writes when locked" on public.posts as restrictive for insert to authenticated
    with check (not published);
