create table public.orders (
    id bigint generated always as identity primary key,
    customer_id uuid not null,
    total numeric not null
);

alter table public.orders enable row level security;

create policy "customers read their orders" on public.orders for select to authenticated
    using (customer_id = (select auth.uid()));

-- expect: security-definer-view
create view public.order_totals as
select customer_id, sum(total) as total
from public.orders
group by customer_id;

-- a view over that view reaches the same table
-- expect: security-definer-view
create view public.big_customers as
select customer_id from public.order_totals where total > 1000;

-- security_invoker switched off again later
-- expect: security-definer-view
create view public.recent_orders with (security_invoker = true) as
select id, total from public.orders;

alter view public.recent_orders set (security_invoker = false);
