-- expect: auth-users-exposed
create view public.user_directory as
select id, email, raw_user_meta_data ->> 'name' as name
from auth.users;

-- through another view
-- expect: auth-users-exposed
create view public.user_emails as
select email from public.user_directory;

-- a materialized view cannot be security invoker
-- expect: auth-users-exposed
create materialized view public.user_count as
select count(*) as n from auth.users;
