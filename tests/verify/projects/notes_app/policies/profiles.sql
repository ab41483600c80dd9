-- Profiles are public; a user edits only their own.

drop policy if exists "profiles: anyone reads profiles" on public.profiles;
create policy "profiles: anyone reads profiles"
    on public.profiles for select to anon, authenticated
    using (true);

drop policy if exists "profiles: users edit their own profile" on public.profiles;
create policy "profiles: users edit their own profile"
    on public.profiles for update to authenticated
    using (id = (select auth.uid()))
    with check (id = (select auth.uid()));
