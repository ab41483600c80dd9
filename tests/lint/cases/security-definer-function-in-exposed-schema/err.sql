-- expect: security-definer-function-in-exposed-schema
create function public.user_count()
returns bigint
language sql
stable
security definer
set search_path = ''
as $$ select count(*) from auth.users $$;
