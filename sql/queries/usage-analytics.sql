-- name: usage-analytics
-- description: GET /api/v1/analytics/usage: events and distinct users per bucket (day, week or month) and event type.
-- params: {"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z", "group_by": "day"}
-- param: start range 2024-01-01..2024-03-01
-- param: end after start by 1..31 days
-- param: group_by one of day,week,month
select
    ua.bucket,
    ua.event_type,
    ua.event_count,
    ua.user_count
from public.usage_analytics(%(start)s::timestamptz, %(end)s::timestamptz, %(group_by)s::text) as ua;
