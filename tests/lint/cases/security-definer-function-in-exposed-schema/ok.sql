create schema private;

create function private.user_count()
returns bigint
language sql
stable
security definer
set search_path = ''
as $$ select count(*) from auth.users $$;

create function public.add_one(x integer)
returns integer
language sql
immutable
security invoker
set search_path = ''
as $$ select x + 1 $$;
