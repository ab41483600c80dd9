create table public.items (id bigint generated always as identity primary key);

alter table public.items add column created_at timestamptz not null default now();

alter table public.items add column status text not null default 'new';

create table public.tokens (id bigint primary key);

-- a table created in the same migration is empty: nothing to rewrite
alter table public.tokens add column token uuid default gen_random_uuid();

-- stable built-ins are evaluated once and stored (PostgreSQL 11+): no rewrite
alter table public.items add column seen_at timestamptz not null default statement_timestamp();

alter table public.items add column changed_at timestamptz default current_timestamp;

alter table public.items add column added_by text default current_user;

-- immutable built-ins too
alter table public.items add column digest text default md5('x');

alter table public.items add column slug text default lower('New Item');

alter table public.items add column v5 uuid default uuid_generate_v5(uuid_ns_url(), 'https://example.org');
