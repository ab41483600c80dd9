-- name: branch-top-accounts
-- description: A branch's ten richest accounts.
-- param: bid from public.pgbench_branches.bid
select aid, abalance
from public.pgbench_accounts
where bid = %(bid)s::integer
order by abalance desc
limit 10;
