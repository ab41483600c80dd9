create table public.items (
    id bigint generated always as identity primary key,
    owner_id uuid not null
);

alter table public.items enable row level security;

create policy "owners read items" on public.items for select to authenticated
    using (owner_id = (select auth.uid()));

-- every role, said explicitly
create policy "anyone reads ids" on public.items for select to public
    using (owner_id is not null);

-- a policy named "to" is not a TO clause
create policy "to do" on public.items for insert to authenticated
    with check (owner_id = (select auth.uid()));
