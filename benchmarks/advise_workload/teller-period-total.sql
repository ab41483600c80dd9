-- name: teller-period-total
-- description: A teller's movements over a few days.
-- param: tid from public.pgbench_tellers.tid
-- param: start range 2024-01-01..2024-03-25
-- param: end after start by 1..3 days
select count(*) as movements, sum(delta) as total
from public.pgbench_history
where tid = %(tid)s::integer and mtime >= %(start)s::timestamp and mtime < %(end)s::timestamp;
