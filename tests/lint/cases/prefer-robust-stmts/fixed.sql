-- expect: prefer-robust-stmts
create index concurrently if not exists users_email_idx on public.users (email);

-- expect: prefer-robust-stmts
drop index concurrently if exists public.users_old_idx;

-- expect: prefer-robust-stmts
create table if not exists public.t (id bigint primary key);

-- expect: prefer-robust-stmts
alter table public.users add column if not exists note text;

-- the fix follows the keywords' letter case, and goes before each column of ADD without COLUMN
-- expect: prefer-robust-stmts
ALTER TABLE public.users ADD COLUMN IF NOT EXISTS bio TEXT, ADD IF NOT EXISTS nickname TEXT;

-- no fix is offered for DROP COLUMN
-- expect: prefer-robust-stmts
-- unfixable: prefer-robust-stmts
alter table public.users drop column note;
