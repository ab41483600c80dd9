-- Create public.users: the application profile of each authenticated user.
-- A profile is keyed by its auth user (auth.users.id, the sub claim of a request's JWT), so RLS
-- policies compare ids directly and deleting the auth user removes the profile and, through the
-- cascades of later tables, everything the user owns.

create table public.users (
    id uuid primary key references auth.users (id) on delete cascade,
    email text,
    display_name text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- TRUNCATE ignores RLS, so the API roles must not have it (nor REFERENCES or TRIGGER, which they
-- never need); the other privileges come from the default privileges and RLS narrows them.
revoke truncate, references, trigger on table public.users from anon, authenticated;

comment on table public.users is 'Application profile of a platform user; one row per auth.users row.';
comment on column public.users.id is 'The auth user id (the JWT sub claim of a request); deleting the auth user deletes the profile.';
comment on column public.users.email is 'Contact email, copied from the auth user; may be null for phone or anonymous sign-ins.';
comment on column public.users.display_name is 'Name shown to collaborators.';
