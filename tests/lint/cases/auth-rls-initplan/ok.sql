create table public.notes (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    org text
);

alter table public.notes enable row level security;

create policy "own notes" on public.notes for select to authenticated
    using (owner_id = (select auth.uid()));

create policy "org notes" on public.notes for insert to authenticated
    with check (org = (select auth.jwt() ->> 'org') and owner_id = (select auth.uid()));

create policy "tenant notes" on public.notes for update to authenticated
    using (org = (select current_setting('app.tenant', true)));

-- outside a policy the call is evaluated once anyway
select auth.uid();
