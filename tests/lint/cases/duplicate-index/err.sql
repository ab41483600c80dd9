create table public.orders (
    id bigint generated always as identity primary key,
    customer_id bigint not null,
    status text not null,
    constraint orders_customer_status_key unique (customer_id, status)
);

create index idx_orders_customer on public.orders (customer_id);

-- expect: duplicate-index
create index idx_orders_customer_again on public.orders (customer_id);

-- the unique constraint already indexes these columns
-- expect: duplicate-index
create index idx_orders_customer_status on public.orders (customer_id, status);

-- the primary key already does
-- expect: duplicate-index
create unique index idx_orders_id on public.orders (id);

create index idx_orders_open on public.orders (lower(status)) where status <> 'done';

-- expect: duplicate-index
create index idx_orders_open_2 on public.orders (lower(status)) where status <> 'done';

-- unnamed indexes get a name from PostgreSQL: still duplicates
create index on public.orders (lower(status), customer_id);

-- expect: duplicate-index
create index on public.orders (lower(status), customer_id);
