drop table public.accounts;
