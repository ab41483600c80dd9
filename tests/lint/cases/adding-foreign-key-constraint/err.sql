-- expect: adding-foreign-key-constraint
alter table public.orders add constraint orders_user_fk foreign key (user_id) references public.users (id);

-- expect: adding-foreign-key-constraint
alter table public.orders add column shop_id bigint references public.shops (id);
