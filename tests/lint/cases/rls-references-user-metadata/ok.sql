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
