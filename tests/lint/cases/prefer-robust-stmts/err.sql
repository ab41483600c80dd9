-- expect: prefer-robust-stmts
create index concurrently users_email_idx on public.users (email);

-- expect: prefer-robust-stmts
drop index concurrently public.users_old_idx;

-- expect: prefer-robust-stmts
create table public.t (id bigint primary key);

-- expect: prefer-robust-stmts
alter table public.users add column note text;
