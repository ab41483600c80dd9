-- Each block triggers the advisor named in its comment; tests/advisors/test_advisors.py expects exactly these.

-- no-primary-key; rls-disabled-in-public; sensitive-columns-exposed (api_key, no RLS)
create table public.audit_log (
    happened_at timestamptz not null default now(),
    api_key text
);

-- unindexed-foreign-keys (owner_id -> auth.users has no index)
create table public.accounts (
    id uuid primary key,
    owner_id uuid not null references auth.users (id),
    name text
);
alter table public.accounts enable row level security;

-- auth-rls-initplan (auth.uid() not wrapped); multiple-permissive-policies (two select policies for authenticated)
create policy "owners read" on public.accounts for select to authenticated using (owner_id = auth.uid());
create policy "shared read" on public.accounts for select to authenticated using (name = 'shared');
-- rls-references-user-metadata
create policy "admins update" on public.accounts for update to authenticated
    using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');
-- rls-policy-always-true
create policy "anyone inserts" on public.accounts for insert to anon with check (true);

-- policy-exists-rls-disabled (and rls-disabled-in-public)
create table public.notes (id bigint primary key, body text);
create policy "notes are public" on public.notes for select to anon using (true);

-- rls-enabled-no-policy
create table public.locked (id bigint primary key);
alter table public.locked enable row level security;

-- duplicate-index and, on a live database, unused-index (twice); unindexed-foreign-keys (events_account_fk)
create table public.events (id bigint primary key, account_id uuid not null, kind text);
alter table public.events enable row level security;
create policy "events by account" on public.events for select to authenticated
    using (account_id in (select a.id from public.accounts as a where a.owner_id = (select auth.uid())));
create index events_kind on public.events (kind);
create index events_kind_again on public.events (kind);
alter table public.events add constraint events_account_fk foreign key (account_id) references public.accounts (id);

-- security-definer-view (reads accounts, which has RLS, with its owner's rights)
create view public.account_names as select id, name from public.accounts;

-- auth-users-exposed (auth.users has no RLS in the emulation)
create view public.user_emails as select id, email from auth.users;

-- materialized-view-in-api
create materialized view public.account_totals as select count(*) as n from public.accounts;

-- foreign-table-in-api
create foreign data wrapper advisors_fdw;
create server advisors_remote foreign data wrapper advisors_fdw;
create foreign table public.remote_rows (id bigint) server advisors_remote;

-- function-search-path-mutable
create function public.add_one(i integer) returns integer language sql immutable as $$ select i + 1 $$;

-- security-definer-function-in-exposed-schema (anon and authenticated may execute it: default privileges)
create function public.purge_notes() returns void language sql security definer set search_path = ''
as $$ delete from public.notes $$;

-- extension-in-public; extension-versions-outdated
create extension if not exists pg_trgm schema public version '1.5';

-- unsupported-reg-types
create table public.jobs (id bigint primary key, handler regprocedure);
alter table public.jobs enable row level security;
create policy "jobs are read by their runners" on public.jobs for select to authenticated using (false);

-- fkey-to-auth-unique (a unique key of auth.users, not its primary key)
alter table auth.users add constraint users_email_key unique (email);
alter table public.jobs add column owner_email text references auth.users (email);
create unique index jobs_owner_email on public.jobs (owner_email, id);

-- public-bucket-allows-listing
insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);
create policy "avatars are listed" on storage.objects for select to anon using (bucket_id = 'avatars');
