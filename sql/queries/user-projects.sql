-- name: user-projects
-- description: A user's own projects, newest first (project list page); served by idx_projects_user_created.
-- params: {"user_id": "00000000-0000-0000-0000-00000000000a", "limit": 50}
-- param: user_id from public.projects.user_id
select
    p.id,
    p.name,
    p.description,
    p.settings,
    p.created_at,
    p.updated_at
from public.projects as p
where p.user_id = %(user_id)s::uuid
order by p.created_at desc
limit %(limit)s::integer;
