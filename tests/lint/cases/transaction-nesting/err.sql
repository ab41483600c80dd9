-- expect: transaction-nesting
begin;

alter table public.items add column note text;

-- expect: transaction-nesting
savepoint before_drop;

-- expect: transaction-nesting
commit;
