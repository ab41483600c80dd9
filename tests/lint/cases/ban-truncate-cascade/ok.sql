truncate table public.order_items, public.orders;
