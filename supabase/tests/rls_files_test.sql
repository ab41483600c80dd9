-- pgTAP: RLS of public.files (files follow their project; owners and editors write, viewers read).
-- Seed ids (sql/seed.sql): bob ...0b edits a1; dave ...0d views a1; files f01..f03 belong to a1.

begin;

create extension if not exists pgtap;

select plan(4);

set local role authenticated;
select set_config('request.jwt.claims',
    '{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000d"}', true);

select results_eq(
    $$select count(*)::int from public.files where project_id = '00000000-0000-0000-0000-0000000000a1'$$,
    array[3],
    'dave (viewer) reads the three files of Alice Private'
);

select throws_ok(
    $$insert into public.files (project_id, path, size_bytes)
      values ('00000000-0000-0000-0000-0000000000a1', 'dave.txt', 1)$$,
    '42501',
    null,
    'dave (viewer) cannot add a file'
);

select set_config('request.jwt.claims',
    '{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000b"}', true);

select lives_ok(
    $$insert into public.files (project_id, path, size_bytes)
      values ('00000000-0000-0000-0000-0000000000a1', 'bob.txt', 1)$$,
    'bob (editor) adds a file'
);

select throws_ok(
    $$update public.files set project_id = '00000000-0000-0000-0000-0000000000c1'$$,
    '42501',
    null,
    'bob cannot move files into a project he cannot write'
);

select * from finish();

rollback;
