-- expect: ban-uncommitted-transaction
begin;

alter table public.items add column note text;
