-- expect: renaming-table
alter table public.customer rename to customers;
