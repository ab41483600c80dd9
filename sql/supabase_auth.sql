-- Supabase emulation for plain PostgreSQL (the file the `auth_emulation` setting names).
-- Applied only where the target is NOT Supabase (local clusters, CI, sandboxes): on Supabase these
-- roles, schemas and functions already exist and belong to the platform. This is pgmanager's
-- emulation, not the project's SQL. What it provides and what it leaves out: docs/supabase.md.
-- It reproduces what migrations and policies rely on, declared the way Supabase declares it
-- (supabase/postgres init scripts and schema dump, supabase/storage and supabase/vault migrations):
--   * the API roles anon, authenticated, service_role (BYPASSRLS) and the login role authenticator
--     that PostgREST connects as and switches from, with their role settings;
--   * Supabase's default privileges in schema public: every table, sequence and function created
--     there by the role running this file (the migration role) is granted to the three API roles,
--     and RLS decides which rows they reach;
--   * schema auth with a minimal auth.users and auth.uid() / role() / email() / jwt(), which read
--     the request's JWT claims from the request.jwt.claims setting (jsonb, as PostgREST sets it),
--     with the legacy per-claim settings request.jwt.claim.sub / .role / .email first;
--   * schema extensions holding uuid-ossp and pgcrypto (when the server has them), on the
--     database's search_path "$user", public, extensions as on Supabase;
--   * schema storage: buckets, objects (owner, path_tokens) with RLS on, foldername(), filename(),
--     extension(), for the project's policies on storage.objects;
--   * schema vault: secrets, decrypted_secrets, create_secret(), update_secret() (NOT encrypted:
--     a sandbox holds no real secret);
--   * schema realtime and the publication supabase_realtime; supabase_migrations.schema_migrations.
-- To act as a user in a test:
--     set local role authenticated;
--     select set_config('request.jwt.claims', '{"sub": "<uuid>", "role": "authenticated"}', true);
-- Idempotent: roles are cluster-wide and the file is re-run on every fresh database (and again on a
-- target where an older version of it ran), so roles are created only when missing and everything
-- else uses "if not exists" / "or replace" / a check first.

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

-- The API roles' settings, as Supabase sets them (they take effect when a session starts as the role).
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

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

-- Schema extensions and the search_path -----------------------------------------------------------

-- Supabase creates its extensions in schema extensions and puts it on the search_path, so that
-- unqualified uuid_generate_v4() or gen_random_bytes() resolve. A server without one of them (the
-- embedded server has neither) gets none: docs/supabase.md says what the sandbox stubs instead.
create schema if not exists extensions;

grant usage on schema extensions to anon, authenticated, service_role;

do $$
begin
    if exists (select 1 from pg_catalog.pg_available_extensions where name = 'uuid-ossp') then
        create extension if not exists "uuid-ossp" with schema extensions;
    end if;
    if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pgcrypto') then
        create extension if not exists pgcrypto with schema extensions;
    end if;
end;
$$;

-- The database's search_path, for every new session; the rest of this session (the migrations that
-- follow in it) uses it too. Only the database's owner (or a superuser) may set it.
do $$
begin
    if pg_catalog.pg_has_role(current_user,
            (select datdba from pg_catalog.pg_database where datname = pg_catalog.current_database()), 'MEMBER')
    then
        execute pg_catalog.format('alter database %I set search_path to "$user", public, extensions',
                                  pg_catalog.current_database());
    else
        raise notice 'not the owner of database %: its search_path is left as it is', pg_catalog.current_database();
    end if;
end;
$$;

select pg_catalog.set_config('search_path', '"$user", public, extensions', false);

-- Schema storage ----------------------------------------------------------------------------------

-- The tables and helpers of Supabase Storage (supabase/storage migrations) that policies use; the
-- Storage API itself is not emulated (uploading a file is an insert into storage.objects here).
create schema if not exists storage;

comment on schema storage is 'Supabase storage emulation: buckets, objects and the path helpers.';

grant usage on schema storage to anon, authenticated, service_role;

do $$
begin
    if not exists (select 1 from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
                   where n.nspname = 'storage' and t.typname = 'buckettype') then
        create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
    end if;
end;
$$;

create table if not exists storage.buckets (
    id text not null primary key,
    name text not null,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[],
    owner_id text,
    type storage.buckettype not null default 'STANDARD'
);

create unique index if not exists bname on storage.buckets using btree (name);

comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';

create table if not exists storage.objects (
    id uuid not null default gen_random_uuid() primary key,
    bucket_id text constraint "objects_bucketId_fkey" references storage.buckets (id),
    name text,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    owner_id text,
    user_metadata jsonb
);

create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

grant all on storage.buckets, storage.objects to anon, authenticated, service_role;

-- 'folder/sub/file.png' -> {folder,sub}
create or replace function storage.foldername(name text)
returns text[]
language plpgsql
immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1 : array_length(_parts, 1) - 1];
end
$$;

-- 'folder/sub/file.png' -> 'file.png'
create or replace function storage.filename(name text)
returns text
language plpgsql
immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;

-- 'folder/sub/file.png' -> 'png'
create or replace function storage.extension(name text)
returns text
language plpgsql
immutable
as $$
declare
    _parts text[];
    _filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

create or replace function storage.update_updated_at_column()
returns trigger
language plpgsql
as $$
begin
    new.updated_at = now();
    return new;
end;
$$;

create or replace trigger update_objects_updated_at
    before update on storage.objects
    for each row execute function storage.update_updated_at_column();

grant execute on function storage.foldername(text), storage.filename(text), storage.extension(text)
    to anon, authenticated, service_role;

-- Schema vault ------------------------------------------------------------------------------------

-- The shape of supabase_vault 0.3: secrets, the decrypted_secrets view, create_secret() and
-- update_secret(). Unlike the real vault nothing is encrypted: `secret` holds the base64 of the
-- text, so that code reading decrypted_secrets works and code reading `secret` gets no plain text.
create schema if not exists vault;

comment on schema vault is 'Supabase vault emulation: secrets are base64-encoded, NOT encrypted.';

create table if not exists vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp
);

comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';

create unique index if not exists secrets_name_idx on vault.secrets using btree (name) where name is not null;

create or replace view vault.decrypted_secrets as
select s.id,
    s.name,
    s.description,
    s.secret,
    convert_from(decode(s.secret, 'base64'), 'utf8') as decrypted_secret,
    s.key_id,
    s.nonce,
    s.created_at,
    s.updated_at
from vault.secrets s;

create or replace function vault.create_secret(
    new_secret text,
    new_name text = null,
    new_description text = '',
    new_key_id uuid = null
)
returns uuid
security definer
language plpgsql
set search_path = ''
as $$
declare
    rec record;
begin
    insert into vault.secrets (secret, name, description)
    values (pg_catalog.encode(pg_catalog.convert_to(new_secret, 'utf8'), 'base64'), new_name, new_description)
    returning * into rec;
    return rec.id;
end
$$;

create or replace function vault.update_secret(
    secret_id uuid,
    new_secret text = null,
    new_name text = null,
    new_description text = null,
    new_key_id uuid = null
)
returns void
security definer
language plpgsql
set search_path = ''
as $$
begin
    update vault.secrets s
    set secret = case when new_secret is null then s.secret
                      else pg_catalog.encode(pg_catalog.convert_to(new_secret, 'utf8'), 'base64') end,
        name = coalesce(new_name, s.name),
        description = coalesce(new_description, s.description),
        updated_at = now()
    where s.id = secret_id;
end
$$;

revoke all on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid)
    from public;

-- Realtime and the CLI's migration history --------------------------------------------------------

create schema if not exists realtime;

-- Supabase creates the publication empty; a project adds its tables to it.
do $$
begin
    if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end;
$$;

-- Where the Supabase CLI records the migrations it applied (`supabase db push`, `migration up`).
create schema if not exists supabase_migrations;

create table if not exists supabase_migrations.schema_migrations (
    version text not null primary key,
    statements text[],
    name text
);
