-- Index files by (project_id, updated_at desc) for "a project's recently updated files".
-- Built CONCURRENTLY so writes to files continue during the build; pgmanager therefore runs this
-- migration outside a transaction, statement by statement.
-- A failed concurrent build leaves an INVALID index behind and "if not exists" would then skip it,
-- so a previous attempt's leftover is dropped first (the migration is only run when not recorded).

drop index concurrently if exists public.idx_files_project_updated;

create index concurrently if not exists idx_files_project_updated
    on public.files (project_id, updated_at desc);
