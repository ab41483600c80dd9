create table public.items (id bigint generated always as identity primary key);

alter table public.items add column created_at timestamptz not null default now();

alter table public.items add column status text not null default 'new';

create table public.tokens (id bigint primary key);

-- a table created in the same migration is empty: nothing to rewrite
alter table public.tokens add column token uuid default gen_random_uuid();
