create table public.items (id bigint primary key, owner_id uuid);

-- the table is new and empty: a plain index is fine
create index items_owner_idx on public.items (owner_id);

-- a partitioned table, the way round: ON ONLY the parent, concurrently on each partition, attach
create index events_owner_idx on only public.events (owner_id);

create index concurrently events_2024_owner_idx on public.events_2024 (owner_id);

alter index public.events_owner_idx attach partition public.events_2024_owner_idx;
