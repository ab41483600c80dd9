-- name: user-project-analytics
-- description: Analytics (members, files, last activity) of the projects a user owns or is a member of, most recently active first.
-- params: {"user_id": "00000000-0000-0000-0000-00000000000b"}
-- param: user_id from public.projects.user_id
select
    pa.id,
    pa.name,
    pa.member_count,
    pa.file_count,
    pa.last_activity
from public.project_analytics as pa
where pa.id in (
    select p.id
    from public.projects as p
    where p.user_id = %(user_id)s::uuid
    union all
    select pm.project_id
    from public.project_members as pm
    where pm.user_id = %(user_id)s::uuid
)
order by pa.last_activity desc nulls last, pa.id;
