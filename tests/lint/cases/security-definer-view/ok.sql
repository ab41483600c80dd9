create table public.orders (
    id bigint generated always as identity primary key,
    customer_id uuid not null,
    total numeric not null
);

alter table public.orders enable row level security;

create policy "customers read their orders" on public.orders for select to authenticated
    using (customer_id = (select auth.uid()));

create view public.order_totals with (security_invoker = true) as
select customer_id, sum(total) as total
from public.orders
group by customer_id;

create view public.recent_orders as
select id, total from public.orders;

alter view public.recent_orders set (security_invoker = true);

-- not exposed through the API
create schema reporting;

create view reporting.all_orders as
select id, total from public.orders;
