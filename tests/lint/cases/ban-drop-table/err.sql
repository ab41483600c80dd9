-- expect: ban-drop-table
drop table public.legacy_events;
