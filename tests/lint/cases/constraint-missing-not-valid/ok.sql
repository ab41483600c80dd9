alter table public.items add constraint items_price_positive check (price > 0) not valid;

create table public.t (v int);

alter table public.t add constraint t_v_check check (v > 0);
