-- expect: prefer-robust-stmts
create index concurrently users_email_idx on public.users (email);

-- expect: prefer-robust-stmts
drop index concurrently public.users_old_idx;

-- expect: prefer-robust-stmts
create table public.t (id bigint primary key);

-- expect: prefer-robust-stmts
alter table public.users add column note text;

-- the fix follows the keywords' letter case, and goes before each column of ADD without COLUMN
-- expect: prefer-robust-stmts
ALTER TABLE public.users ADD COLUMN bio TEXT, ADD nickname TEXT;

-- expect: prefer-robust-stmts
alter table public.users drop column note;

-- after COLUMN, or after DROP without it; not in the drops of other things; a café's accent moves nothing
-- expect: prefer-robust-stmts
ALTER TABLE public.users /* café */ DROP COLUMN "Bio", DROP nick, ALTER COLUMN email DROP DEFAULT,
    DROP CONSTRAINT users_email_key, DROP COLUMN IF EXISTS old_note;

-- expect: prefer-robust-stmts
alter type public.address drop attribute zip;

-- expect: prefer-robust-stmts
create unlogged table public.scratch (id bigint);

-- expect: prefer-robust-stmts
drop table public.scratch;

-- expect: prefer-robust-stmts
drop view public.user_list;

-- expect: prefer-robust-stmts
drop sequence public.user_seq;

-- expect: prefer-robust-stmts
drop type public.mood;

-- expect: prefer-robust-stmts
drop function public.touch();

-- expect: prefer-robust-stmts
drop schema legacy;
