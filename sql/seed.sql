-- Deterministic fixture for development, tests and benchmarks: fixed ids and timestamps, so tests
-- can name rows. Run as the table owner (it bypasses RLS). Re-running it changes nothing.
--
-- Users (auth.users id = public.users id = the JWT "sub"):
--   alice  00000000-0000-0000-0000-00000000000a  owns "Alice Private" and "Alice Public"
--   bob    00000000-0000-0000-0000-00000000000b  editor of "Alice Private"
--   carol  00000000-0000-0000-0000-00000000000c  stranger to alice's projects; owns "Carol Sandbox"
--   dave   00000000-0000-0000-0000-00000000000d  viewer of "Alice Private"; owns nothing
-- Projects:
--   00000000-0000-0000-0000-0000000000a1  "Alice Private"  owner alice, private, members bob (editor), dave (viewer)
--   00000000-0000-0000-0000-0000000000a2  "Alice Public"   owner alice, public (settings.isPublic = true), no members
--   00000000-0000-0000-0000-0000000000c1  "Carol Sandbox"  owner carol, private, no members
-- Owners have no project_members row: ownership is projects.user_id.
-- Files (ids 00000000-0000-0000-0000-000000000f01 .. f07):
--   Alice Private: f01 README.md, f02 src/main.py, f03 src/util.py (latest: 2024-01-12 16:00 UTC)
--   Alice Public:  f04 index.html, f05 style.css
--   Carol Sandbox: f06 notes.md, f07 data/sample.csv
-- Usage metrics (ids 00000000-0000-0000-0000-000000000e01 .. e10), 2024-01-10 .. 2024-01-13 UTC:
--   alice 4 events, bob 3, carol 2, dave 1; event types project.created, file.uploaded, api.request.
-- Expected visibility (RLS):
--   anon   projects: Alice Public               files: f04, f05
--   alice  projects: Alice Private, Alice Public files: f01..f05   usage: her 4 events
--   bob    projects: Alice Private, Alice Public files: f01..f05   (may write files of Alice Private)
--   carol  projects: Alice Public, Carol Sandbox files: f04..f07
--   dave   projects: Alice Private, Alice Public files: f01..f05   (may not write files)

insert into auth.users (id, email, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values
    ('00000000-0000-0000-0000-00000000000a', 'alice@example.com', 'authenticated',
        '{"provider": "email", "providers": ["email"]}', '{"display_name": "Alice"}',
        '2024-01-01 09:00:00+00', '2024-01-01 09:00:00+00'),
    ('00000000-0000-0000-0000-00000000000b', 'bob@example.com', 'authenticated',
        '{"provider": "email", "providers": ["email"]}', '{"display_name": "Bob"}',
        '2024-01-02 09:00:00+00', '2024-01-02 09:00:00+00'),
    ('00000000-0000-0000-0000-00000000000c', 'carol@example.com', 'authenticated',
        '{"provider": "email", "providers": ["email"]}', '{"display_name": "Carol"}',
        '2024-01-03 09:00:00+00', '2024-01-03 09:00:00+00'),
    ('00000000-0000-0000-0000-00000000000d', 'dave@example.com', 'authenticated',
        '{"provider": "email", "providers": ["email"]}', '{"display_name": "Dave"}',
        '2024-01-04 09:00:00+00', '2024-01-04 09:00:00+00')
on conflict (id) do nothing;

insert into public.users (id, email, display_name, created_at, updated_at)
values
    ('00000000-0000-0000-0000-00000000000a', 'alice@example.com', 'Alice',
        '2024-01-01 09:00:00+00', '2024-01-01 09:00:00+00'),
    ('00000000-0000-0000-0000-00000000000b', 'bob@example.com', 'Bob',
        '2024-01-02 09:00:00+00', '2024-01-02 09:00:00+00'),
    ('00000000-0000-0000-0000-00000000000c', 'carol@example.com', 'Carol',
        '2024-01-03 09:00:00+00', '2024-01-03 09:00:00+00'),
    ('00000000-0000-0000-0000-00000000000d', 'dave@example.com', 'Dave',
        '2024-01-04 09:00:00+00', '2024-01-04 09:00:00+00')
on conflict (id) do nothing;

insert into public.projects (id, name, description, settings, user_id, created_at, updated_at)
values
    ('00000000-0000-0000-0000-0000000000a1', 'Alice Private', 'Alice''s private project, shared with Bob and Dave.',
        '{"isPublic": false, "features": ["ai-assist"]}', '00000000-0000-0000-0000-00000000000a',
        '2024-01-10 08:00:00+00', '2024-01-10 08:00:00+00'),
    ('00000000-0000-0000-0000-0000000000a2', 'Alice Public', 'Alice''s public demo.',
        '{"isPublic": true, "features": []}', '00000000-0000-0000-0000-00000000000a',
        '2024-01-11 08:00:00+00', '2024-01-11 08:00:00+00'),
    ('00000000-0000-0000-0000-0000000000c1', 'Carol Sandbox', null,
        '{"isPublic": false, "features": []}', '00000000-0000-0000-0000-00000000000c',
        '2024-01-10 12:00:00+00', '2024-01-10 12:00:00+00')
on conflict (id) do nothing;

insert into public.project_members (project_id, user_id, role, created_at)
values
    ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000b', 'editor',
        '2024-01-10 09:00:00+00'),
    ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000d', 'viewer',
        '2024-01-10 09:30:00+00')
on conflict (project_id, user_id) do nothing;

insert into public.files (id, project_id, path, size_bytes, created_at, updated_at)
values
    ('00000000-0000-0000-0000-000000000f01', '00000000-0000-0000-0000-0000000000a1', 'README.md', 1200,
        '2024-01-10 08:05:00+00', '2024-01-10 08:05:00+00'),
    ('00000000-0000-0000-0000-000000000f02', '00000000-0000-0000-0000-0000000000a1', 'src/main.py', 4096,
        '2024-01-10 10:00:00+00', '2024-01-11 14:00:00+00'),
    ('00000000-0000-0000-0000-000000000f03', '00000000-0000-0000-0000-0000000000a1', 'src/util.py', 2048,
        '2024-01-11 15:00:00+00', '2024-01-12 16:00:00+00'),
    ('00000000-0000-0000-0000-000000000f04', '00000000-0000-0000-0000-0000000000a2', 'index.html', 850,
        '2024-01-11 08:10:00+00', '2024-01-11 09:00:00+00'),
    ('00000000-0000-0000-0000-000000000f05', '00000000-0000-0000-0000-0000000000a2', 'style.css', 300,
        '2024-01-11 08:20:00+00', '2024-01-11 08:20:00+00'),
    ('00000000-0000-0000-0000-000000000f06', '00000000-0000-0000-0000-0000000000c1', 'notes.md', 512,
        '2024-01-10 12:30:00+00', '2024-01-13 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000f07', '00000000-0000-0000-0000-0000000000c1', 'data/sample.csv', 0,
        '2024-01-13 11:00:00+00', '2024-01-13 11:00:00+00')
on conflict (id) do nothing;

insert into public.usage_metrics (id, user_id, project_id, event_type, metadata, created_at)
values
    ('00000000-0000-0000-0000-000000000e01', '00000000-0000-0000-0000-00000000000a',
        '00000000-0000-0000-0000-0000000000a1', 'project.created', '{}', '2024-01-10 08:00:00+00'),
    ('00000000-0000-0000-0000-000000000e02', '00000000-0000-0000-0000-00000000000a',
        '00000000-0000-0000-0000-0000000000a1', 'file.uploaded', '{"path": "README.md"}', '2024-01-10 08:05:00+00'),
    ('00000000-0000-0000-0000-000000000e03', '00000000-0000-0000-0000-00000000000a',
        '00000000-0000-0000-0000-0000000000a2', 'project.created', '{}', '2024-01-11 08:00:00+00'),
    ('00000000-0000-0000-0000-000000000e04', '00000000-0000-0000-0000-00000000000a',
        null, 'api.request', '{"endpoint": "/api/v1/projects"}', '2024-01-12 09:00:00+00'),
    ('00000000-0000-0000-0000-000000000e05', '00000000-0000-0000-0000-00000000000b',
        '00000000-0000-0000-0000-0000000000a1', 'file.uploaded', '{"path": "src/main.py"}', '2024-01-10 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000e06', '00000000-0000-0000-0000-00000000000b',
        '00000000-0000-0000-0000-0000000000a1', 'file.uploaded', '{"path": "src/util.py"}', '2024-01-11 15:00:00+00'),
    ('00000000-0000-0000-0000-000000000e07', '00000000-0000-0000-0000-00000000000b',
        null, 'api.request', '{"endpoint": "/api/v1/analytics/usage"}', '2024-01-12 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000e08', '00000000-0000-0000-0000-00000000000c',
        '00000000-0000-0000-0000-0000000000c1', 'project.created', '{}', '2024-01-10 12:00:00+00'),
    ('00000000-0000-0000-0000-000000000e09', '00000000-0000-0000-0000-00000000000c',
        '00000000-0000-0000-0000-0000000000c1', 'file.uploaded', '{"path": "data/sample.csv"}', '2024-01-13 11:00:00+00'),
    ('00000000-0000-0000-0000-000000000e10', '00000000-0000-0000-0000-00000000000d',
        null, 'api.request', '{"endpoint": "/api/v1/projects"}', '2024-01-12 11:00:00+00')
on conflict (id) do nothing;
