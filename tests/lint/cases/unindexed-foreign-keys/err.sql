create table public.customers (
    id bigint generated always as identity primary key
);

-- expect: unindexed-foreign-keys
create table public.orders (
    id bigint generated always as identity primary key,
    customer_id bigint not null references public.customers (id),
    shop_id bigint not null,
    region text not null
);

-- an index where the key is not the leading column does not serve it
create index idx_orders_region_customer on public.orders (region, customer_id);

create table public.shops (
    id bigint not null,
    region text not null,
    constraint shops_pkey primary key (id, region)
);

-- expect: unindexed-foreign-keys
alter table public.orders add constraint orders_shop_fk
    foreign key (shop_id, region) references public.shops (id, region) not valid;

-- a partial index does not count either
create index idx_orders_shop_partial on public.orders (shop_id, region) where region <> 'eu';
