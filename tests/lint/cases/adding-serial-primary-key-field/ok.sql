create unique index concurrently if not exists items_pkey_idx on public.items (id);

alter table public.items add constraint items_pkey primary key using index items_pkey_idx;

create table public.t (v text);

alter table public.t add column id bigserial primary key;
