-- RLS policies of public.users (repeatable: re-applied whenever this file changes).
-- A user reads, creates and updates only their own profile row; nobody deletes through the API
-- (profiles go away with their auth user, by cascade). anon sees no profile.
-- service_role has BYPASSRLS and needs no policy; the table owner (migrations, seed) bypasses RLS too.

alter table public.users enable row level security;

drop policy if exists "Users can view their own profile" on public.users;
create policy "Users can view their own profile"
    on public.users
    as permissive
    for select
    to authenticated
    using (id = (select auth.uid()));

drop policy if exists "Users can create their own profile" on public.users;
create policy "Users can create their own profile"
    on public.users
    as permissive
    for insert
    to authenticated
    with check (id = (select auth.uid()));

drop policy if exists "Users can update their own profile" on public.users;
create policy "Users can update their own profile"
    on public.users
    as permissive
    for update
    to authenticated
    using (id = (select auth.uid()))
    with check (id = (select auth.uid()));
