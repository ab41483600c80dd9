-- Create public.usage_metrics: an append-only log of usage events, backing /api/v1/analytics/usage.
-- The columns are the platform design's contract, kept exactly (varchar(50), nullable metadata and
-- created_at) because API clients and reports already depend on them.
-- The two (..., created_at desc) indexes serve per-user and per-project time ranges and cover the
-- user_id and project_id foreign keys.

-- pgmanager-ignore prefer-text-field: varchar(50) is the platform contract for event_type
create table public.usage_metrics (
    id uuid primary key default gen_random_uuid(),
    user_id uuid references public.users (id) on delete cascade,
    project_id uuid references public.projects (id) on delete cascade,
    event_type varchar(50) not null,
    metadata jsonb default '{}'::jsonb,
    created_at timestamp with time zone default now()
);

create index idx_usage_metrics_user_date on public.usage_metrics (user_id, created_at desc);

create index idx_usage_metrics_project_date on public.usage_metrics (project_id, created_at desc);

-- An event log is append-only for API users: anon gets nothing, authenticated reads and appends
-- (RLS narrows both to the user's own rows); service_role keeps its default privileges.
revoke all on table public.usage_metrics from anon, authenticated;

grant select, insert on table public.usage_metrics to authenticated;

comment on table public.usage_metrics is 'Append-only log of usage events per user and project.';
comment on column public.usage_metrics.event_type is 'Event name, e.g. project.created, file.uploaded, api.request (at most 50 characters).';
comment on column public.usage_metrics.metadata is 'Free-form event details.';
comment on column public.usage_metrics.project_id is 'The project the event concerns; null for account-level events.';
