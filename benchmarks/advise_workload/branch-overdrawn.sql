-- name: branch-overdrawn
-- description: How many accounts of a branch are overdrawn beyond a threshold, and by how much.
-- param: bid from public.pgbench_branches.bid
-- param: floor range -10000..-9000
select count(*) as accounts, sum(abalance) as total
from public.pgbench_accounts
where bid = %(bid)s::integer and abalance < %(floor)s::integer;
