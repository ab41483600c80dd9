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

create table public.invoices (id bigint not null, number text not null);

create unique index invoices_pkey on public.invoices using btree (id);

alter table public.invoices add constraint invoices_pkey primary key using index invoices_pkey;

create unique index invoices_number_key on public.invoices using btree (number);

alter table public.invoices add constraint invoices_number_key unique using index invoices_number_key;

-- the primary key made from an index is still the primary key
-- expect: duplicate-index
create index idx_invoices_id on public.invoices (id);

-- expect: duplicate-index
create index idx_invoices_number on public.invoices (number);
