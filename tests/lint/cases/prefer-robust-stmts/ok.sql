-- in a transaction (the default) a failure rolls everything back
create index users_email_idx on public.users (email);

create table public.t (id bigint primary key);
