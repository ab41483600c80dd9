-- Roll back 20240301000100_add_projects_public_index without blocking writes to projects.

drop index concurrently if exists public.idx_projects_public_created;
