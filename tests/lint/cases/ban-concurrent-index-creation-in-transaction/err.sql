begin;

-- expect: ban-concurrent-index-creation-in-transaction
create index concurrently if not exists items_owner_idx on public.items (owner_id);

commit;
