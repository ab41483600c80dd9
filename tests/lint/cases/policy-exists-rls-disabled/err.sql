create table public.invoices (
    id bigint generated always as identity primary key,
    owner_id uuid not null
);

-- expect: policy-exists-rls-disabled
create policy "owners read invoices" on public.invoices for select to authenticated
    using (owner_id = (select auth.uid()));

-- expect: policy-exists-rls-disabled
create policy "owners add invoices" on public.invoices for insert to authenticated
    with check (owner_id = (select auth.uid()));
