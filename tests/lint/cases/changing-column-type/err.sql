create table public.items (id bigint primary key, title varchar(50), price int);

-- expect: changing-column-type
alter table public.users alter column id type bigint;
