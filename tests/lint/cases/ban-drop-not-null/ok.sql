alter table public.users alter column phone set default '';
