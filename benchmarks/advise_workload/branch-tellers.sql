-- name: branch-tellers
-- description: A branch's tellers and balances (small tables: no index pays).
-- param: bid from public.pgbench_branches.bid
select t.tid, t.tbalance, b.bbalance
from public.pgbench_tellers as t
join public.pgbench_branches as b on b.bid = t.bid
where t.bid = %(bid)s::integer;
