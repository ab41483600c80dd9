create schema extensions;

create extension if not exists pg_trgm with schema extensions;

create extension if not exists citext;

-- moved out of public later: counts
alter extension citext set schema extensions;
