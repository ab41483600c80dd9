create table public.comments (
    id bigint generated always as identity primary key,
    author_id uuid not null,
    body text not null
);

alter table public.comments enable row level security;

-- expect: rls-policy-always-true
create policy "anyone comments" on public.comments for insert to anon, authenticated
    with check (true);

-- expect: rls-policy-always-true
create policy "anyone edits" on public.comments for update to authenticated
    using (1 = 1)
    with check (author_id = (select auth.uid()));

-- expect: rls-policy-always-true
create policy "anyone manages" on public.comments for all to authenticated
    using (author_id = (select auth.uid()) or true);

-- expect: rls-policy-always-true
alter policy "anyone edits" on public.comments with check (true);
