-- RLS policies of public.project_members (repeatable: re-applied whenever this file changes).
-- The member list of a project is readable by its members and its owner; only the owner
-- (projects.user_id) adds, changes or removes members. anon sees no membership.
-- The checks go through private.is_project_member() / private.is_project_owner() (SECURITY
-- DEFINER): querying projects here, whose policy reads project_members, would recurse.
-- service_role has BYPASSRLS and needs no policy; the table owner (migrations, seed) bypasses RLS too.

alter table public.project_members enable row level security;

drop policy if exists "Members and owners can view project members" on public.project_members;
create policy "Members and owners can view project members"
    on public.project_members
    as permissive
    for select
    to authenticated
    using (
        private.is_project_member(project_id)
        or private.is_project_owner(project_id)
    );

drop policy if exists "Owners can add project members" on public.project_members;
create policy "Owners can add project members"
    on public.project_members
    as permissive
    for insert
    to authenticated
    with check (private.is_project_owner(project_id));

drop policy if exists "Owners can change project members" on public.project_members;
create policy "Owners can change project members"
    on public.project_members
    as permissive
    for update
    to authenticated
    using (private.is_project_owner(project_id))
    with check (private.is_project_owner(project_id));

drop policy if exists "Owners can remove project members" on public.project_members;
create policy "Owners can remove project members"
    on public.project_members
    as permissive
    for delete
    to authenticated
    using (private.is_project_owner(project_id));
