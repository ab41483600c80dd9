-- Give back Supabase's default privileges revoked by the migration (RLS still guards the rows).

grant select, insert, update, delete on public.users to anon;
grant delete on public.users to authenticated;

grant insert, update, delete on public.projects to anon;

grant select, insert, update, delete on public.project_members to anon;

grant insert, update, delete on public.files to anon;
