-- pgTAP: RLS of public.projects, as `supabase test db` runs it (pgmanager verify runs it too when the
-- pgtap extension is available). Identities are switched as PostgREST does: SET LOCAL ROLE plus the
-- request.jwt.claims setting. Everything happens in one transaction that is rolled back.
-- Seed ids (sql/seed.sql): alice ...0a owns a1 (private) and a2 (public); bob ...0b edits a1;
-- carol ...0c is a stranger to a1.

begin;

create extension if not exists pgtap;

select plan(8);

select ok(
    (select relrowsecurity from pg_catalog.pg_class where oid = 'public.projects'::regclass),
    'row level security is enabled on public.projects'
);

select policies_are(
    'public', 'projects',
    array[
        'Anyone can view public projects',
        'Users can view owned, shared and public projects',
        'Users can create their own projects',
        'Owners can update their projects',
        'Owners can delete their projects'
    ],
    'public.projects has exactly the expected policies'
);

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);

select results_eq(
    'select name from public.projects order by name',
    array['Alice Public'],
    'anon sees the public project only'
);

set local role authenticated;
select set_config('request.jwt.claims',
    '{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000a"}', true);

select results_eq(
    'select name from public.projects order by name',
    array['Alice Private', 'Alice Public'],
    'alice sees the projects she owns'
);

select lives_ok(
    $$insert into public.projects (name, user_id) values ('pgTAP', '00000000-0000-0000-0000-00000000000a')$$,
    'alice creates a project she owns'
);

select throws_ok(
    $$insert into public.projects (name, user_id) values ('Fake', '00000000-0000-0000-0000-00000000000c')$$,
    '42501',
    null,
    'alice cannot create a project owned by carol'
);

select set_config('request.jwt.claims',
    '{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000c"}', true);

select is_empty(
    $$select 1 from public.projects where id = '00000000-0000-0000-0000-0000000000a1'$$,
    'carol (a stranger) does not see Alice Private'
);

select results_eq(
    $$with changed as (
        update public.projects set description = 'defaced'
        where id = '00000000-0000-0000-0000-0000000000a2'
        returning 1
    ) select count(*)::int from changed$$,
    array[0],
    'carol cannot update the public project she can see'
);

select * from finish();

rollback;
