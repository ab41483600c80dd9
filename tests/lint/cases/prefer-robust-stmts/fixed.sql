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

-- expect: prefer-robust-stmts
alter table public.users drop column if exists note;

-- after COLUMN, or after DROP without it; not in the drops of other things; a café's accent moves nothing
-- expect: prefer-robust-stmts
ALTER TABLE public.users /* café */ DROP COLUMN IF EXISTS "Bio", DROP IF EXISTS nick, ALTER COLUMN email DROP DEFAULT,
    DROP CONSTRAINT users_email_key, DROP COLUMN IF EXISTS old_note;

-- expect: prefer-robust-stmts
alter type public.address drop attribute if exists zip;

-- expect: prefer-robust-stmts
create unlogged table if not exists public.scratch (id bigint);

-- expect: prefer-robust-stmts
drop table if exists public.scratch;

-- expect: prefer-robust-stmts
drop view if exists public.user_list;

-- expect: prefer-robust-stmts
drop sequence if exists public.user_seq;

-- expect: prefer-robust-stmts
drop type if exists public.mood;

-- expect: prefer-robust-stmts
drop function if exists public.touch();

-- expect: prefer-robust-stmts
drop schema if exists legacy;
