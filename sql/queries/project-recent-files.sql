-- name: project-recent-files
-- description: A project's most recently updated files (activity feed); served by idx_files_project_updated.
-- params: {"project_id": "00000000-0000-0000-0000-0000000000a1", "limit": 20}
-- param: project_id from public.files.project_id
select
    f.id,
    f.path,
    f.size_bytes,
    f.updated_at
from public.files as f
where f.project_id = %(project_id)s::uuid
order by f.updated_at desc
limit %(limit)s::integer;
