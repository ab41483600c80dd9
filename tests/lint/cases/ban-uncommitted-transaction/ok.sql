begin;

alter table public.items add column note text;

commit;
