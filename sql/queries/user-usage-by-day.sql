-- name: user-usage-by-day
-- description: A user's usage events per UTC day and event type over [start, end); served by idx_usage_metrics_user_date.
-- params: {"user_id": "00000000-0000-0000-0000-00000000000a", "start": "2024-01-10T00:00:00Z", "end": "2024-01-14T00:00:00Z"}
-- param: user_id from public.usage_metrics.user_id
-- param: start range 2024-01-01..2024-03-25
-- param: end after start by 1..7 days
select
    date_trunc('day', um.created_at, 'UTC') as day,
    um.event_type,
    count(*) as event_count
from public.usage_metrics as um
where um.user_id = %(user_id)s::uuid
    and um.created_at >= %(start)s::timestamptz
    and um.created_at < %(end)s::timestamptz
group by 1, 2
order by 1, 2;
