create table public.comments (
    id bigint generated always as identity primary key,
    author_id uuid not null,
    body text not null
);

alter table public.comments enable row level security;

-- publishing rows for reading is a deliberate choice
create policy "anyone reads comments" on public.comments for select to anon, authenticated
    using (true);

create policy "authors comment" on public.comments for insert to authenticated
    with check (author_id = (select auth.uid()));

-- service_role bypasses RLS: the policy changes nothing
create policy "server writes" on public.comments for all to service_role
    using (true) with check (true);

-- altering a select policy created earlier in the same file: still a read
alter policy "anyone reads comments" on public.comments using (true);
