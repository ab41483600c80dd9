-- expect: require-concurrent-index-deletion
drop index if exists public.users_email_idx;

-- CONCURRENTLY drops one index at a time: no fix is offered
-- expect: require-concurrent-index-deletion
-- unfixable: require-concurrent-index-deletion
drop index public.a_idx, public.b_idx;

-- CONCURRENTLY does not take CASCADE: no fix is offered
-- expect: require-concurrent-index-deletion
-- unfixable: require-concurrent-index-deletion
drop index public.c_idx cascade;

-- an index of a partitioned table cannot be dropped concurrently: no fix is offered
-- expect: require-concurrent-index-deletion
-- unfixable: require-concurrent-index-deletion
drop index events_created_idx;
