-- name: update-account
-- description: TPC-B's account update (an index on abalance makes it a non-HOT update).
-- param: aid from public.pgbench_accounts.aid
-- param: delta range -5000..5000
update public.pgbench_accounts
set abalance = abalance + %(delta)s::integer
where aid = %(aid)s::integer;
