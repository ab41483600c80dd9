-- Written by triggers and the server only: RLS on and no policy, so the API reaches no row.

create table public.audit_log (
    id bigint generated always as identity primary key,
    actor_id uuid references auth.users (id) on delete set null,
    action text not null check (action in ('insert', 'update', 'delete')),
    table_name text not null,
    at timestamptz not null default now()
);

alter table public.audit_log enable row level security;
