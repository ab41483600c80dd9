-- public.usage_analytics(p_start, p_end, p_group_by): usage events per time bucket and event type
-- over [p_start, p_end), backing GET /api/v1/analytics/usage (startDate, endDate, groupBy).
-- (repeatable: re-applied whenever this file changes).
-- Buckets are truncated in UTC, so results do not depend on the session's TimeZone.
-- security invoker: RLS on usage_metrics applies, so a signed-in user gets their own events and
-- service_role gets everyone's. Invalid arguments raise SQLSTATE 22023 (invalid_parameter_value),
-- which the API maps to a 400.
-- create or replace cannot change the result columns or argument types: that needs
-- "drop function public.usage_analytics(timestamptz, timestamptz, text);" first.

create or replace function public.usage_analytics(
    p_start timestamptz,
    p_end timestamptz,
    p_group_by text default 'day'
)
returns table (
    bucket timestamptz,
    event_type text,
    event_count bigint,
    user_count bigint
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
    if p_group_by is null or p_group_by not in ('day', 'week', 'month') then
        raise exception 'invalid p_group_by: %', coalesce(quote_literal(p_group_by), 'null')
            using errcode = '22023',
                hint = 'Use one of day, week, month.';
    end if;
    if p_start is null or p_end is null or p_end < p_start then
        raise exception 'invalid range: [%, %)', p_start, p_end
            using errcode = '22023',
                hint = 'Give p_start and p_end, with p_start <= p_end.';
    end if;

    return query
        select
            date_trunc(p_group_by, um.created_at, 'UTC') as bucket,
            um.event_type::text as event_type,
            count(*) as event_count,
            count(distinct um.user_id) as user_count
        from public.usage_metrics as um
        where um.created_at >= p_start
            and um.created_at < p_end
        group by 1, 2
        order by 1, 2;
end;
$$;

comment on function public.usage_analytics(timestamptz, timestamptz, text) is 'Usage events per bucket (day, week or month, in UTC) and event type over [p_start, p_end); RLS applies (security invoker).';

revoke execute on function public.usage_analytics(timestamptz, timestamptz, text) from public, anon;

grant execute on function public.usage_analytics(timestamptz, timestamptz, text) to authenticated, service_role;
