-- name: teller-recent-accounts
-- description: The accounts a teller served last, with their balance now.
-- param: tid from public.pgbench_tellers.tid
select a.aid, a.abalance, h.delta, h.mtime
from public.pgbench_history as h
join public.pgbench_accounts as a on a.aid = h.aid
where h.tid = %(tid)s::integer
order by h.mtime desc
limit 20;
