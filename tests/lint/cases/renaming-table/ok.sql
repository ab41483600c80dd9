create table public.t (a text);

alter table public.t rename to t2;
