-- expect: adding-not-nullable-field
alter table public.users alter column email set not null;
