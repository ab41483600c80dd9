-- Create public.project_members: who besides the owner may work on a project, and with which role.
-- One row per (project, user): the primary key. The owner of a project is projects.user_id; a member
-- row with role 'owner' is a co-owner (may write files, does not manage members).
-- The primary key covers the project_id foreign key; idx_project_members_user covers user_id and
-- serves "the projects a user is a member of".

create table public.project_members (
    project_id uuid not null references public.projects (id) on delete cascade,
    user_id uuid not null references public.users (id) on delete cascade,
    role text not null,
    created_at timestamptz not null default now(),
    constraint project_members_pkey primary key (project_id, user_id),
    constraint project_members_role_check check (role in ('owner', 'editor', 'viewer'))
);

create index idx_project_members_user on public.project_members (user_id);

-- TRUNCATE ignores RLS, so the API roles must not have it (nor REFERENCES or TRIGGER, which they
-- never need); the other privileges come from the default privileges and RLS narrows them.
revoke truncate, references, trigger on table public.project_members from anon, authenticated;

comment on table public.project_members is 'Membership of users in projects; one row per project and user.';
comment on column public.project_members.role is 'owner or editor: may write the project''s files; viewer: read only.';
