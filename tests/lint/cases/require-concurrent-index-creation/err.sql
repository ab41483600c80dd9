-- expect: require-concurrent-index-creation
create index users_email_idx on public.users (email);

-- expect: require-concurrent-index-creation
CREATE UNIQUE INDEX IF NOT EXISTS users_handle_idx ON public.users (handle);
