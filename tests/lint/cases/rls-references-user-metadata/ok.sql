create table public.reports (
    id bigint generated always as identity primary key,
    tenant text not null
);

alter table public.reports enable row level security;

-- app_metadata is set by the server only
create policy "admins read" on public.reports for select to authenticated
    using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');

create policy "tenant reads" on public.reports for select to authenticated
    using (tenant = ((select auth.jwt()) -> 'app_metadata' ->> 'tenant'));

-- a string that merely mentions the words is not a key
create policy "notes" on public.reports for update to authenticated
    using (tenant <> 'user metadata is editable')
    with check (jsonb_extract_path_text((select auth.jwt()), 'app_metadata', 'plan') = 'pro');
