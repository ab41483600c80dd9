create table public.items (id bigint primary key, owner_id uuid);

-- the table is new and empty: a plain index is fine
create index items_owner_idx on public.items (owner_id);
