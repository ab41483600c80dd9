-- expect: prefer-timestamptz
create table public.events (created_at timestamp not null default now());

-- expect: prefer-timestamptz
alter table public.events add column seen_at timestamp without time zone;
