create table public.scratch (id bigint primary key);

drop table public.scratch;
