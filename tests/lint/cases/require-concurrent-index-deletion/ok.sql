drop index concurrently if exists public.users_email_idx;
