create table public.items (id bigint primary key, title varchar(50), body varchar(100), price int);

alter table public.items alter column title type text;

alter table public.items alter column body type varchar(200);
