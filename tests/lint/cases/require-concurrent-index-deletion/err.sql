-- expect: require-concurrent-index-deletion
drop index if exists public.users_email_idx;

-- expect: require-concurrent-index-deletion
drop index public.a_idx, public.b_idx;
