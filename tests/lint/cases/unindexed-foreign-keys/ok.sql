create table public.customers (
    id bigint generated always as identity primary key
);

create table public.orders (
    id bigint generated always as identity primary key,
    customer_id bigint not null references public.customers (id),
    shop_id bigint not null,
    region text not null
);

create table public.shops (
    id bigint not null,
    region text not null,
    constraint shops_pkey primary key (id, region)
);

alter table public.orders add constraint orders_shop_fk
    foreign key (shop_id, region) references public.shops (id, region) not valid;

-- indexed later: leading columns in any order
create index idx_orders_customer on public.orders (customer_id, id);

create index idx_orders_region_shop on public.orders (region, shop_id);

-- a primary key that leads with the key column covers it
create table public.order_lines (
    order_id bigint not null references public.orders (id),
    line integer not null,
    constraint order_lines_pkey primary key (order_id, line)
);
