create table public.t (a text);

alter table public.t rename column a to b;
