create table public.invoices (
    id bigint generated always as identity primary key,
    owner_id uuid not null
);

create policy "owners read invoices" on public.invoices for select to authenticated
    using (owner_id = (select auth.uid()));

-- enabled after the policy, in the same project: fine
alter table public.invoices enable row level security;
