-- Create public.files: the files of a project, addressed by their path inside it.
-- unique (project_id, path) makes a path name one file per project and, with project_id as its
-- leading column, also covers the project_id foreign key.

create table public.files (
    id uuid primary key default gen_random_uuid(),
    project_id uuid not null references public.projects (id) on delete cascade,
    path text not null,
    size_bytes bigint not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint files_project_id_path_key unique (project_id, path),
    constraint files_path_not_empty_check check (char_length(path) > 0),
    constraint files_size_bytes_check check (size_bytes >= 0)
);

-- TRUNCATE ignores RLS, so the API roles must not have it (nor REFERENCES or TRIGGER, which they
-- never need); the other privileges come from the default privileges and RLS narrows them.
revoke truncate, references, trigger on table public.files from anon, authenticated;

comment on table public.files is 'Files of a project; readable with the project, writable by its owner and editors.';
comment on column public.files.path is 'Path inside the project, unique per project, never empty.';
comment on column public.files.size_bytes is 'Size of the content in bytes.';
comment on column public.files.updated_at is 'Last change of the file; project_analytics.last_activity is its maximum per project.';
