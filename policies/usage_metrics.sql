-- RLS policies of public.usage_metrics (repeatable: re-applied whenever this file changes).
-- A user reads and appends only their own events; an event may name a project only if the user
-- can read that project. No update or delete policy: the log is append-only for API users (the
-- migration also revokes those privileges), and anon has no access at all.
-- service_role has BYPASSRLS and needs no policy (it writes server-side events for any user).

alter table public.usage_metrics enable row level security;

drop policy if exists "Users can view their own usage" on public.usage_metrics;
create policy "Users can view their own usage"
    on public.usage_metrics
    as permissive
    for select
    to authenticated
    using (user_id = (select auth.uid()));

drop policy if exists "Users can record their own usage" on public.usage_metrics;
create policy "Users can record their own usage"
    on public.usage_metrics
    as permissive
    for insert
    to authenticated
    with check (
        user_id = (select auth.uid())
        and (project_id is null or private.can_read_project(project_id))
    );
