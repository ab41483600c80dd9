alter table public.orders add constraint orders_user_fk
    foreign key (user_id) references public.users (id) not valid;

alter table public.orders validate constraint orders_user_fk;

create table public.lines (id bigint primary key, order_id bigint);

alter table public.lines add constraint lines_order_fk foreign key (order_id) references public.orders (id);
