-- expect: ban-drop-not-null
alter table public.users alter column phone drop not null;
