-- Roll back 20240301000000_add_files_project_updated_index without blocking writes to files.

drop index concurrently if exists public.idx_files_project_updated;
