-- expect: prefer-bigint-over-int
create table public.events (id integer primary key);

-- expect: prefer-bigint-over-int
alter table public.events add column attempts int4;
