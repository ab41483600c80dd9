-- RLS policies of public.projects (repeatable: re-applied whenever this file changes).
-- Visibility: a user sees the projects they own, the projects they are a member of, and public
-- projects (settings.isPublic); anon sees public projects only. Only the owner writes a project.
-- Membership is checked through private.is_project_member() (SECURITY DEFINER): a direct subquery
-- on project_members would recurse through that table's policies, which read projects.
-- One permissive policy per role and command: alternatives are OR-ed inside it, not stacked.
-- service_role has BYPASSRLS and needs no policy; the table owner (migrations, seed) bypasses RLS too.

alter table public.projects enable row level security;

drop policy if exists "Anyone can view public projects" on public.projects;
create policy "Anyone can view public projects"
    on public.projects
    as permissive
    for select
    to anon
    using ((settings ->> 'isPublic')::boolean);

drop policy if exists "Users can view owned, shared and public projects" on public.projects;
create policy "Users can view owned, shared and public projects"
    on public.projects
    as permissive
    for select
    to authenticated
    using (
        user_id = (select auth.uid())
        or (settings ->> 'isPublic')::boolean
        or private.is_project_member(id)
    );

drop policy if exists "Users can create their own projects" on public.projects;
create policy "Users can create their own projects"
    on public.projects
    as permissive
    for insert
    to authenticated
    with check (user_id = (select auth.uid()));

drop policy if exists "Owners can update their projects" on public.projects;
create policy "Owners can update their projects"
    on public.projects
    as permissive
    for update
    to authenticated
    using (user_id = (select auth.uid()))
    with check (user_id = (select auth.uid()));

drop policy if exists "Owners can delete their projects" on public.projects;
create policy "Owners can delete their projects"
    on public.projects
    as permissive
    for delete
    to authenticated
    using (user_id = (select auth.uid()));
