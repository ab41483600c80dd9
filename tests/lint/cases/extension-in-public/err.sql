-- expect: extension-in-public
create extension if not exists pg_trgm;

create schema extensions;

-- expect: extension-in-public
create extension if not exists citext with schema public;

create extension if not exists hstore with schema extensions;

-- moved into the exposed schema
-- expect: extension-in-public
alter extension hstore set schema public;
