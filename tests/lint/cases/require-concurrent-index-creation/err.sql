-- expect: require-concurrent-index-creation
create index users_email_idx on public.users (email);

-- expect: require-concurrent-index-creation
CREATE UNIQUE INDEX IF NOT EXISTS users_handle_idx ON public.users (handle);

-- PostgreSQL builds no index CONCURRENTLY on a partitioned table: reported, with no fix
-- expect: require-concurrent-index-creation
-- unfixable: require-concurrent-index-creation
create index events_owner_idx on public.events (owner_id);

-- and refuses the keyword there
-- expect: require-concurrent-index-creation
-- unfixable: require-concurrent-index-creation
create index concurrently events_created_idx on public.events (created_at);
