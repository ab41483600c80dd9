-- expect: renaming-column
alter table public.users rename column name to full_name;
