create table public.scratch_created_here (id bigint primary key);

drop table if exists public.scratch_created_here;
