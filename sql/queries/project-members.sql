-- name: project-members
-- description: The members of a project with their profile and role, in the order they joined.
-- params: {"project_id": "00000000-0000-0000-0000-0000000000a1"}
-- param: project_id from public.projects.id
select
    pm.user_id,
    u.display_name,
    u.email,
    pm.role,
    pm.created_at
from public.project_members as pm
join public.users as u on u.id = pm.user_id
where pm.project_id = %(project_id)s::uuid
order by pm.created_at, pm.user_id;
