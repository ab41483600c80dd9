-- expect: require-concurrent-index-creation
create index concurrently users_email_idx on public.users (email);

-- expect: require-concurrent-index-creation
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_handle_idx ON public.users (handle);
