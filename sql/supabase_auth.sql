-- Supabase auth emulation for plain PostgreSQL.
-- Applied only where the target is NOT Supabase (local clusters, CI, sandboxes): on Supabase these
-- roles, the auth schema and its functions already exist and belong to the platform.
-- It reproduces what the migrations and policies rely on, the way Supabase sets it up
-- (supabase/postgres init scripts, supabase/auth migrations):
--   * the API roles anon, authenticated, service_role (BYPASSRLS) and the login role authenticator
--     that PostgREST connects as and switches from;
--   * Supabase's default privileges in schema public: every table, sequence and function created
--     there by the role running this file (the migration role) is granted to the three API roles,
--     and RLS decides which rows they reach;
--   * schema auth with a minimal auth.users and auth.uid() / role() / email() / jwt(), which read
--     the request's JWT claims from the request.jwt.claims setting (jsonb, as PostgREST sets it),
--     with the legacy per-claim settings request.jwt.claim.sub / .role / .email first.
-- To act as a user in a test:
--     set local role authenticated;
--     select set_config('request.jwt.claims', '{"sub": "<uuid>", "role": "authenticated"}', true);
-- Idempotent: roles are cluster-wide and the file is re-run on every fresh database, so roles are
-- created only when missing and everything else uses "if not exists" / "or replace".

-- Roles ---------------------------------------------------------------------------------------

do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
end;
$$;

grant anon, authenticated, service_role to authenticator;

-- Schema public: usage and Supabase's default privileges ----------------------------------------

grant usage on schema public to anon, authenticated, service_role;

alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- Schema auth ---------------------------------------------------------------------------------

create schema if not exists auth;

comment on schema auth is 'Supabase auth emulation: users and the JWT claim accessors.';

-- The columns of Supabase's auth.users that the project uses; the real table has many more.
create table if not exists auth.users (
    id uuid primary key,
    email text,
    role text,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    created_at timestamptz default now(),
    updated_at timestamptz default now()
);

comment on table auth.users is 'Auth: login data of users (emulation: the columns the project uses).';

create or replace function auth.uid()
returns uuid
language sql
stable
set search_path = ''
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim.sub', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
$$;

create or replace function auth.role()
returns text
language sql
stable
set search_path = ''
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim.role', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
$$;

create or replace function auth.email()
returns text
language sql
stable
set search_path = ''
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim.email', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
        )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
$$;

comment on function auth.uid() is 'The user id (sub claim) of the current request, null without one.';
comment on function auth.role() is 'The role claim of the current request.';
comment on function auth.email() is 'The email claim of the current request.';
comment on function auth.jwt() is 'All claims of the current request as jsonb.';

grant usage on schema auth to anon, authenticated, service_role;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
    to anon, authenticated, service_role;
