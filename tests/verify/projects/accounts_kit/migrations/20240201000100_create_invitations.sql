-- Invitations to join an account, sent by one of its owners or admins.

create table accounts.invitations (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts.accounts (id) on delete cascade,
    invited_by_user_id uuid not null references auth.users (id) on delete cascade,
    email text not null,
    token text not null unique,
    account_role accounts.account_role not null default 'member',
    status text not null default 'pending',
    created_at timestamptz not null default now(),
    constraint invitations_status check (status in ('pending', 'accepted', 'revoked'))
);

create index invitations_account_id_idx on accounts.invitations (account_id);

alter table accounts.invitations enable row level security;

grant select, insert, delete on accounts.invitations to authenticated;
