-- expect: sensitive-columns-exposed
create table public.api_clients (
    id bigint generated always as identity primary key,
    name text not null,
    api_key text not null
);

-- expect: sensitive-columns-exposed
create table public.accounts (
    id uuid primary key,
    password_hash text not null,
    display_name text
);

alter table public.accounts enable row level security;

create policy "anyone reads accounts" on public.accounts for select to anon, authenticated
    using (true);

create table public.payments (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    credit_card text not null
);

alter table public.payments enable row level security;

create policy "owners read payments" on public.payments for select to authenticated
    using (owner_id = (select auth.uid()));

-- the view reads payments with its owner's rights
-- expect: sensitive-columns-exposed
create view public.payment_list as
select id, credit_card from public.payments;

-- expect: sensitive-columns-exposed
create view public.payment_all as
select p.* from public.payments as p;

-- a materialized view has no RLS at all
-- expect: sensitive-columns-exposed
create materialized view public.payment_cache as
select owner_id, credit_card from public.payments;
