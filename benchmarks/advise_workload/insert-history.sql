-- name: insert-history
-- description: TPC-B's history row (every index on pgbench_history is one more entry to write).
-- param: tid from public.pgbench_tellers.tid
-- param: bid from public.pgbench_tellers.bid
-- param: aid from public.pgbench_accounts.aid
-- param: delta range -5000..5000
insert into public.pgbench_history (tid, bid, aid, delta, mtime)
values (%(tid)s::integer, %(bid)s::integer, %(aid)s::integer, %(delta)s::integer, now()::timestamp);
