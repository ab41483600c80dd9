-- expect: constraint-missing-not-valid
alter table public.items add constraint items_price_positive check (price > 0);

alter table public.items add constraint items_qty_positive check (qty > 0) not valid;

-- expect: constraint-missing-not-valid
alter table public.items validate constraint items_qty_positive;
