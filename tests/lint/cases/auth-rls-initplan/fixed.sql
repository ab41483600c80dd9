create table public.notes (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    org text,
    body text
);

alter table public.notes enable row level security;

-- expect: auth-rls-initplan
create policy "own notes" on public.notes for select to authenticated
    using (owner_id = (select auth.uid()));

-- expect: auth-rls-initplan
create policy "org notes" on public.notes for insert to authenticated
    with check (org = (select auth.jwt()) ->> 'org' and owner_id = (select auth.uid()));

-- a call inside a subquery with a FROM still runs per row of that subquery
-- expect: auth-rls-initplan
create policy "tenant notes" on public.notes for update to authenticated
    using (exists (select 1 from public.notes as n where n.org = (select current_setting('app.tenant', true))));

-- expect: auth-rls-initplan
alter policy "own notes" on public.notes using (owner_id = (select auth.uid()) and (select auth.role()) = 'authenticated');
