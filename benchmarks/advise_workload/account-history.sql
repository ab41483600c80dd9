-- name: account-history
-- description: An account's latest movements (statement page).
-- param: aid from public.pgbench_history.aid
select tid, delta, mtime
from public.pgbench_history
where aid = %(aid)s::integer
order by mtime desc
limit 20;
