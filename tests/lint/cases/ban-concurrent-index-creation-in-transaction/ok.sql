create index concurrently if not exists items_owner_idx on public.items (owner_id);

drop index concurrently if exists public.items_old_idx;
