create table public.audit_log (
    id bigint generated always as identity primary key,
    event text not null
);

-- expect: rls-enabled-no-policy
alter table public.audit_log enable row level security;

create table public.notes (
    id bigint generated always as identity primary key,
    owner_id uuid not null
);

-- its only policy is dropped again
-- expect: rls-enabled-no-policy
alter table public.notes enable row level security;

create policy "owners read notes" on public.notes for select to authenticated
    using (owner_id = (select auth.uid()));

drop policy "owners read notes" on public.notes;
