create table public.orders (
    id bigint generated always as identity primary key,
    customer_id bigint not null,
    status text not null,
    created_at timestamptz not null
);

create index idx_orders_customer on public.orders (customer_id);

-- different order of columns, direction, method or predicate: different indexes
create index idx_orders_customer_created on public.orders (customer_id, created_at);

create index idx_orders_customer_created_desc on public.orders (customer_id, created_at desc);

create index idx_orders_created_customer on public.orders (created_at, customer_id);

create index idx_orders_customer_hash on public.orders using hash (customer_id);

create index idx_orders_customer_open on public.orders (customer_id) where status <> 'done';

-- dropped and created again under another name
drop index public.idx_orders_customer;

create index idx_orders_customer_v2 on public.orders (customer_id);

-- an exclusion constraint is an index of its own kind
alter table public.orders add constraint orders_no_overlap exclude using gist (customer_id with =);

create index on public.orders (status);

-- the form `supabase db diff` writes: the index becomes the constraint's, it is not a second one
create table "public"."invoices" (
    "id" bigint not null,
    "number" text not null
);

CREATE UNIQUE INDEX invoices_pkey ON public.invoices USING btree (id);

CREATE UNIQUE INDEX invoices_number_key ON public.invoices USING btree (number);

alter table "public"."invoices" add constraint "invoices_pkey" PRIMARY KEY using index "invoices_pkey";

alter table "public"."invoices" add constraint "invoices_number_key" UNIQUE using index "invoices_number_key";

-- under another name the index is renamed after the constraint
create unique index invoices_id_number_idx on public.invoices (id, number);

alter table public.invoices add constraint invoices_id_number_key unique using index invoices_id_number_idx;
