-- RLS policies of public.files (repeatable: re-applied whenever this file changes).
-- Files follow their project: readable whenever the project is (owner, member, or public project,
-- anon included), written (insert, update, delete) by the project's owner and by members with role
-- owner or editor; viewers read only.
-- The project checks live in private.can_read_project() / private.can_write_project() (SECURITY
-- DEFINER), so they do not depend on the caller's view of projects and project_members.
-- service_role has BYPASSRLS and needs no policy; the table owner (migrations, seed) bypasses RLS too.

alter table public.files enable row level security;

drop policy if exists "Files are readable with their project" on public.files;
create policy "Files are readable with their project"
    on public.files
    as permissive
    for select
    to anon, authenticated
    using (private.can_read_project(project_id));

drop policy if exists "Owners and editors can add files" on public.files;
create policy "Owners and editors can add files"
    on public.files
    as permissive
    for insert
    to authenticated
    with check (private.can_write_project(project_id));

-- with check as well: a file may not be moved into a project the user cannot write.
drop policy if exists "Owners and editors can update files" on public.files;
create policy "Owners and editors can update files"
    on public.files
    as permissive
    for update
    to authenticated
    using (private.can_write_project(project_id))
    with check (private.can_write_project(project_id));

drop policy if exists "Owners and editors can delete files" on public.files;
create policy "Owners and editors can delete files"
    on public.files
    as permissive
    for delete
    to authenticated
    using (private.can_write_project(project_id));
