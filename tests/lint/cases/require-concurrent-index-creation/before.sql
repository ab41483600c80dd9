-- an earlier migration: a partitioned table with one partition
create table public.events (
    id bigint not null,
    owner_id uuid,
    created_at timestamptz not null
) partition by range (created_at);

create table public.events_2024 partition of public.events for values from ('2024-01-01') to ('2025-01-01');
