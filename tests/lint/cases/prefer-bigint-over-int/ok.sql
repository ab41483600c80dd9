create table public.events (id bigint generated always as identity primary key, attempts bigint, ratio numeric);
