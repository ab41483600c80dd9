-- expect: no-primary-key
create table public.events (
    occurred_at timestamptz not null,
    payload jsonb
);

-- a unique constraint is not a primary key
-- expect: no-primary-key
create table public.tags (
    name text not null unique
);
