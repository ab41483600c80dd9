-- Billing: one customer per account at the payment provider, and its subscriptions. Written by
-- the server (service_role) from the provider's webhooks; members only read them.

create table accounts.billing_customers (
    account_id uuid primary key references accounts.accounts (id) on delete cascade,
    customer_id text not null unique,
    email text,
    provider text not null,
    constraint billing_customers_provider check (provider in ('stripe', 'paddle'))
);

create table accounts.billing_subscriptions (
    id text primary key,
    account_id uuid not null references accounts.accounts (id) on delete cascade,
    billing_customer_id text not null references accounts.billing_customers (customer_id) on delete cascade,
    status text not null,
    quantity integer not null default 1,
    current_period_end timestamptz,
    constraint billing_subscriptions_status check (status in ('trialing', 'active', 'past_due', 'canceled')),
    constraint billing_subscriptions_quantity check (quantity > 0)
);

create index billing_subscriptions_account_id_idx on accounts.billing_subscriptions (account_id);
create index billing_subscriptions_customer_idx on accounts.billing_subscriptions (billing_customer_id);

alter table accounts.billing_customers enable row level security;
alter table accounts.billing_subscriptions enable row level security;

grant select on accounts.billing_customers, accounts.billing_subscriptions to authenticated;
grant all on all tables in schema accounts to service_role;
