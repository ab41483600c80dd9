create table public.events (created_at timestamptz not null default now(), at2 timestamp with time zone);
