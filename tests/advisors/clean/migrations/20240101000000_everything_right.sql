-- The shapes of ../project done right: no advisor finds anything here.
create schema if not exists private;

create table public.accounts (
    id uuid primary key,
    owner_id uuid not null references auth.users (id),
    name text
);
create index accounts_owner_id on public.accounts (owner_id);
alter table public.accounts enable row level security;
create policy "owners read" on public.accounts for select to authenticated using (owner_id = (select auth.uid()));
create policy "owners update" on public.accounts for update to authenticated
    using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));

create table public.events (id bigint primary key, account_id uuid not null references public.accounts (id));
create unique index events_account_id on public.events (account_id, id);
alter table public.events enable row level security;
create policy "events by account" on public.events for select to authenticated
    using (account_id in (select a.id from public.accounts as a where a.owner_id = (select auth.uid())));

create view public.account_names with (security_invoker = true) as select id, name from public.accounts;

create function public.add_one(i integer) returns integer language sql immutable set search_path = ''
as $$ select i + 1 $$;

create function private.purge_events() returns void language sql security definer set search_path = ''
as $$ delete from public.events $$;
revoke execute on function private.purge_events() from public, anon, authenticated;

create extension if not exists pg_trgm schema extensions;
