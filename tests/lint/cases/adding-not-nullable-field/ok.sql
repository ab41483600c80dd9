alter table public.users add constraint users_email_not_null check (email is not null) not valid;

create table public.t (id bigint primary key, v text);

alter table public.t alter column v set not null;
