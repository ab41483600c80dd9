-- Keep updated_at honest: a before-update trigger stamps every changed row with now(), whatever the
-- client sends. Reversible: the rollback file drops the triggers and the function.
-- search_path is empty so the function cannot be hijacked by objects in the caller's schemas.

create function public.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

comment on function public.set_updated_at() is 'Trigger function: sets updated_at to now() on update.';

create trigger users_set_updated_at
    before update on public.users
    for each row
    execute function public.set_updated_at();

create trigger projects_set_updated_at
    before update on public.projects
    for each row
    execute function public.set_updated_at();

create trigger files_set_updated_at
    before update on public.files
    for each row
    execute function public.set_updated_at();
