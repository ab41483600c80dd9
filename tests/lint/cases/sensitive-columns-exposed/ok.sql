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

create table public.members (
    project_id bigint not null,
    user_id uuid not null,
    primary key (project_id, user_id)
);

-- no TO clause (public, so anon too), but every condition needs the signed-in user to match a row:
-- for anon auth.uid() is null and auth.jwt() holds no user's claims
create table public.profiles (
    id uuid primary key,
    user_id uuid not null,
    email text not null,
    project_id bigint not null,
    api_key text not null
);

alter table public.profiles enable row level security;

create policy "users read their profile" on public.profiles for select using (user_id = auth.uid());

create policy "users read their profile, wrapped" on public.profiles for select
    using ((select auth.uid()) = user_id and project_id > 0);

create policy "users read by email" on public.profiles for select using ((auth.jwt() ->> 'email') = email);

create policy "members read" on public.profiles for select
    using (project_id in (select m.project_id from public.members as m where m.user_id = (select auth.uid())));

create policy "members read, exists" on public.profiles for select
    using (exists (select 1 from public.members as m where m.project_id = profiles.project_id
                   and m.user_id = auth.uid()));

create policy "signed-in users read" on public.profiles for select using (auth.uid() is not null);

create policy "authenticated role reads" on public.profiles for select using (auth.role() = 'authenticated');

create policy "either way the user" on public.profiles for all
    using (user_id = auth.uid() or email = (auth.jwt() ->> 'email'));

-- TO authenticated excludes anon, whatever the condition
create table public.secrets_for_users (
    id bigint generated always as identity primary key,
    secret text not null
);

alter table public.secrets_for_users enable row level security;

create policy "signed-in users read everything" on public.secrets_for_users for select to authenticated
    using (true);

-- a restrictive policy anon cannot meet filters every permissive one
create table public.tokens (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    token text not null
);

alter table public.tokens enable row level security;

create policy "anyone" on public.tokens for select using (true);

create policy "only owners" on public.tokens as restrictive for select using (owner_id = auth.uid());
