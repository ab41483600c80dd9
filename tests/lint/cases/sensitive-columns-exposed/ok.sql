create table public.accounts (
    id uuid primary key,
    password_hash text not null,
    reset_token_expires_at timestamptz,
    token_count integer not null default 0
);

alter table public.accounts enable row level security;

create policy "users read their account" on public.accounts for select to authenticated
    using (id = (select auth.uid()));

create view public.account_list with (security_invoker = true) as
select id, password_hash from public.accounts;

create view public.account_ids as
select id, token_count from public.accounts;

create schema private;

-- not exposed
create table private.api_clients (
    id bigint generated always as identity primary key,
    api_key text not null
);
