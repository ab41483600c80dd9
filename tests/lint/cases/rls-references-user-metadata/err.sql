create table public.reports (
    id bigint generated always as identity primary key,
    tenant text not null
);

alter table public.reports enable row level security;

-- expect: rls-references-user-metadata
create policy "admins read" on public.reports for select to authenticated
    using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');

-- expect: rls-references-user-metadata
create policy "tenant reads" on public.reports for select to authenticated
    using (tenant = (select u.raw_user_meta_data ->> 'tenant' from auth.users as u where u.id = (select auth.uid())));

-- expect: rls-references-user-metadata
create policy "tenant writes" on public.reports for insert to authenticated
    with check (tenant = ((select auth.jwt()) #>> '{user_metadata,tenant}'));

-- expect: rls-references-user-metadata
create policy "plan readers" on public.reports for select to authenticated
    using (jsonb_extract_path_text((select auth.jwt()), 'user_metadata', 'plan') = 'pro');

-- expect: rls-references-user-metadata
create policy "admins write" on public.reports for update to authenticated
    using ((select auth.jwt()) @> '{"user_metadata": {"admin": true}}');
