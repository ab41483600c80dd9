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

-- the owners' policy shows anon nothing, the second one leaks (and is the one named)
-- expect: sensitive-columns-exposed
create table public.profiles (
    id uuid primary key,
    user_id uuid not null,
    api_key text not null
);

alter table public.profiles enable row level security;

create policy "users read their profile" on public.profiles for select using (user_id = auth.uid());

create policy "everyone reads profiles" on public.profiles for select to public using (true);

-- one branch of the OR holds without a user
-- expect: sensitive-columns-exposed
create table public.documents (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    is_public boolean not null default false,
    secret text
);

alter table public.documents enable row level security;

create policy "owners or public documents" on public.documents for select
    using (owner_id = auth.uid() or is_public);

-- a claim compared with a constant: anon's token has a role claim
-- expect: sensitive-columns-exposed
create table public.otp_codes (
    id bigint generated always as identity primary key,
    otp text not null
);

alter table public.otp_codes enable row level security;

create policy "by role claim" on public.otp_codes for select using ((auth.jwt() ->> 'role') = 'anon');
