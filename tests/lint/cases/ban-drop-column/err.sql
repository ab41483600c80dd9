-- expect: ban-drop-column
alter table public.users drop column legacy_flag;
