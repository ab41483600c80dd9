alter table public.items add column note text;

create index concurrently if not exists items_note_idx on public.items (note);
