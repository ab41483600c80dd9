create table public.items (id bigint generated always as identity primary key);
