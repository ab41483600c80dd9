create table public.notes (
    id bigint generated always as identity primary key,
    owner_id uuid not null
);

alter table public.notes enable row level security;

create policy "owners read notes" on public.notes for select to authenticated
    using (owner_id = (select auth.uid()));

create table public.audit_log (
    id bigint generated always as identity primary key
);

-- pgmanager-ignore rls-enabled-no-policy: written by the server (service_role) only
alter table public.audit_log enable row level security;
