-- Roll back 20240101000500_add_updated_at_triggers: drop the three triggers, then their function.

drop trigger if exists files_set_updated_at on public.files;

drop trigger if exists projects_set_updated_at on public.projects;

drop trigger if exists users_set_updated_at on public.users;

drop function if exists public.set_updated_at();
