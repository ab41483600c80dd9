-- RLS helper functions for the policies in policies/.
-- projects is readable by its members and project_members by the project's owner: policies that
-- query each other's table directly would recurse ("infinite recursion detected in policy"). These
-- functions are SECURITY DEFINER, owned by the role that owns the tables, so their lookups skip RLS
-- and break the cycle. Do not FORCE ROW LEVEL SECURITY on these tables, or that stops working.
-- They live in schema private, which is not exposed through the API, and each one only answers a
-- question about the calling user ((select auth.uid())), so they leak nothing a caller could not
-- already see. search_path is empty and every name is qualified.

create schema private;

comment on schema private is 'Internal helpers (RLS); never listed in the API''s exposed schemas.';

-- Policies run with the caller's privileges, so the API roles need to reach the schema; what they
-- may execute is granted function by function below.
grant usage on schema private to anon, authenticated, service_role;

alter default privileges in schema private revoke execute on functions from public;

create function private.is_project_member(p_project_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1
        from public.project_members as pm
        where pm.project_id = p_project_id
            and pm.user_id = (select auth.uid())
    );
$$;

comment on function private.is_project_member(uuid) is 'True when the calling user has a project_members row for the project (any role).';

create function private.is_project_owner(p_project_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1
        from public.projects as p
        where p.id = p_project_id
            and p.user_id = (select auth.uid())
    );
$$;

comment on function private.is_project_owner(uuid) is 'True when the calling user owns the project (projects.user_id).';

create function private.can_read_project(p_project_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1
        from public.projects as p
        where p.id = p_project_id
            and (
                p.user_id = (select auth.uid())
                or (p.settings ->> 'isPublic')::boolean
                or exists (
                    select 1
                    from public.project_members as pm
                    where pm.project_id = p.id
                        and pm.user_id = (select auth.uid())
                )
            )
    );
$$;

comment on function private.can_read_project(uuid) is 'True when the calling user owns the project, is a member of it, or the project is public (anon: public only).';

create function private.can_write_project(p_project_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1
        from public.projects as p
        where p.id = p_project_id
            and (
                p.user_id = (select auth.uid())
                or exists (
                    select 1
                    from public.project_members as pm
                    where pm.project_id = p.id
                        and pm.user_id = (select auth.uid())
                        and pm.role in ('owner', 'editor')
                )
            )
    );
$$;

comment on function private.can_write_project(uuid) is 'True when the calling user owns the project or is a member with role owner or editor.';

revoke execute on function private.is_project_member(uuid) from public;
revoke execute on function private.is_project_owner(uuid) from public;
revoke execute on function private.can_read_project(uuid) from public;
revoke execute on function private.can_write_project(uuid) from public;

grant execute on function private.is_project_member(uuid) to authenticated, service_role;
grant execute on function private.is_project_owner(uuid) to authenticated, service_role;
grant execute on function private.can_read_project(uuid) to anon, authenticated, service_role;
grant execute on function private.can_write_project(uuid) to authenticated, service_role;
