-- expect: ban-truncate-cascade
truncate table public.orders cascade;
