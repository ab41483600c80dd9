create unique index concurrently if not exists users_email_key_idx on public.users (email);

alter table public.users add constraint users_email_key unique using index users_email_key_idx;

create table public.t (v text);

alter table public.t add constraint t_v_key unique (v);
