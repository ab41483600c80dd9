create table public.items (
    id bigint generated always as identity primary key,
    owner_id uuid not null
);

alter table public.items enable row level security;

-- expect: policy-without-role
create policy "owners read items" on public.items for select
    using (owner_id = (select auth.uid()));

-- expect: policy-without-role
create policy "owners add items" on public.items
    for insert
    with check (owner_id = (select auth.uid()));
