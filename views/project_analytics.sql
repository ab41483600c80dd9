-- public.project_analytics: per project, its member count, file count and last file activity
-- (repeatable: re-applied whenever this file changes).
-- Same output and meaning as the platform design's
--     count(distinct pm.user_id), count(distinct f.id), max(f.updated_at)
--     from projects left join project_members left join files group by p.id, p.name
-- but each aggregate is computed on its own (scalar subquery, lateral): the two-way join multiplies
-- members by files before the distinct counts throw the duplicates away. (project_id, user_id) is
-- the primary key of project_members, so count(*) there equals count(distinct user_id).
-- security_invoker: the caller's RLS applies to the tables read, so a user gets rows for the
-- projects they can see and counts of the members and files they can see (a stranger looking at a
-- public project sees member_count 0: membership is private to the project).
-- create or replace can only add columns at the end; renaming, retyping or removing a column needs
-- "drop view public.project_analytics;" first (and the grants below re-applied, as they are here).

create or replace view public.project_analytics
with (security_invoker = true)
as
select
    p.id,
    p.name,
    (
        select count(*)
        from public.project_members as pm
        where pm.project_id = p.id
    ) as member_count,
    f.file_count,
    f.last_activity
from public.projects as p
cross join lateral (
    select
        count(*) as file_count,
        max(files.updated_at) as last_activity
    from public.files as files
    where files.project_id = p.id
) as f;

comment on view public.project_analytics is 'Per project: member_count (project_members rows), file_count and last_activity (latest files.updated_at, null without files). Security invoker: reflects what the caller may see.';

-- Read-only, for signed-in users and the server; anon has no analytics.
revoke all on table public.project_analytics from anon, authenticated, service_role;

grant select on table public.project_analytics to authenticated, service_role;
