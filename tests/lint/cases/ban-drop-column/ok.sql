alter table public.users add column legacy text;

-- pgmanager-ignore ban-drop-column: unused since release 42
alter table public.users drop column legacy_flag;
