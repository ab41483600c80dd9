-- Partial index of public projects, newest first: what anon (and "explore public projects") reads.
-- Its predicate is written exactly as the anon policy's expression, so the planner can use it for
-- that policy. Built CONCURRENTLY (runs outside a transaction); a leftover INVALID index from a
-- failed attempt is dropped first.

drop index concurrently if exists public.idx_projects_public_created;

create index concurrently if not exists idx_projects_public_created
    on public.projects (created_at desc)
    where (settings ->> 'isPublic')::boolean;
