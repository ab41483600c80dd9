-- Accounts (personal or team), owned by one user; members join through accounts.account_user.

create schema accounts;

grant usage on schema accounts to authenticated, service_role;

create type accounts.account_role as enum ('owner', 'admin', 'member');

create table accounts.accounts (
    id uuid primary key default gen_random_uuid(),
    primary_owner_user_id uuid not null references auth.users (id) on delete cascade,
    name text not null,
    slug text not null unique,
    personal_account boolean not null default false,
    created_at timestamptz not null default now(),
    constraint accounts_slug_format check (slug ~ '^[a-z0-9-]+$')
);

create table accounts.account_user (
    account_id uuid not null references accounts.accounts (id) on delete cascade,
    user_id uuid not null references auth.users (id) on delete cascade,
    account_role accounts.account_role not null,
    primary key (account_id, user_id)
);

create index account_user_user_id_idx on accounts.account_user (user_id);

-- Is the current user a member of the account (with at least this role)? SECURITY DEFINER so that
-- policies of account_user can use it without recursing through its own policies.
create function accounts.has_role_on_account(account uuid, min_role accounts.account_role default null)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1 from accounts.account_user as au
        where au.user_id = (select auth.uid()) and au.account_id = account
          and (min_role is null or au.account_role <= min_role)
    )
$$;

revoke execute on function accounts.has_role_on_account(uuid, accounts.account_role) from public, anon;
grant execute on function accounts.has_role_on_account(uuid, accounts.account_role) to authenticated;

alter table accounts.accounts enable row level security;
alter table accounts.account_user enable row level security;

grant select, update on accounts.accounts to authenticated;
grant select, delete on accounts.account_user to authenticated;
