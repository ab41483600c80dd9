-- expect: disallowed-unique-constraint
alter table public.users add constraint users_email_key unique (email);

-- expect: disallowed-unique-constraint
alter table public.users add column handle text unique;
