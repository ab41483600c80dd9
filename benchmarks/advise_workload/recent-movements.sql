-- name: recent-movements
-- description: The newest movements since a moment (an operator's feed).
-- param: since range 2024-03-30..2024-03-31
select aid, tid, delta, mtime
from public.pgbench_history
where mtime >= %(since)s::timestamp
order by mtime desc
limit 50;
