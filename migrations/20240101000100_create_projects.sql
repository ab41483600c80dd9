-- Create public.projects: the unit of ownership and sharing.
-- The checks mirror the API's validation (name 1..100 characters; settings.isPublic a boolean and
-- settings.features an array) so that rows written by any client obey the same contract.
-- idx_projects_user_created serves "a user's projects, newest first" and covers the user_id
-- foreign key (its leading column).

create table public.projects (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    description text,
    settings jsonb not null default '{"isPublic": false, "features": []}'::jsonb,
    user_id uuid not null references public.users (id) on delete cascade,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint projects_name_length_check check (char_length(name) between 1 and 100),
    -- coalesce: a missing key makes jsonb_typeof() null, which a bare check would let through.
    constraint projects_settings_is_public_check check (
        coalesce(jsonb_typeof(settings -> 'isPublic') = 'boolean', false)
    ),
    constraint projects_settings_features_check check (
        coalesce(jsonb_typeof(settings -> 'features') = 'array', false)
    )
);

create index idx_projects_user_created on public.projects (user_id, created_at desc);

-- TRUNCATE ignores RLS, so the API roles must not have it (nor REFERENCES or TRIGGER, which they
-- never need); the other privileges come from the default privileges and RLS narrows them.
revoke truncate, references, trigger on table public.projects from anon, authenticated;

comment on table public.projects is 'A project owned by one user and shared with members (project_members).';
comment on column public.projects.name is 'Display name, 1 to 100 characters.';
comment on column public.projects.settings is 'Project settings: {"isPublic": boolean, "features": [text]}; isPublic makes the project readable by everyone, anon included.';
comment on column public.projects.user_id is 'The owner: reads and writes the project and manages its members.';
