-- name: branch-activity-by-day
-- description: A branch's movements per day over up to two weeks.
-- param: bid from public.pgbench_branches.bid
-- param: start range 2024-01-01..2024-03-15
-- param: end after start by 1..14 days
select date_trunc('day', mtime) as day, count(*) as movements, sum(delta) as total
from public.pgbench_history
where bid = %(bid)s::integer and mtime >= %(start)s::timestamp and mtime < %(end)s::timestamp
group by 1
order by 1;
