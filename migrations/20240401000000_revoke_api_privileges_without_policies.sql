-- Least privilege for the API roles: revoke what no policy grants, so RLS is not the only guard.
-- Supabase's default privileges give anon and authenticated every privilege on every table; RLS
-- then denies what no policy allows. Revoking those privileges too means a policy added by mistake
-- later cannot open them, and the API answers "permission denied" instead of silently matching
-- no row. `pgmanager verify` reports any privilege that no policy covers.

revoke select, insert, update, delete on public.users from anon;
revoke delete on public.users from authenticated;

revoke insert, update, delete on public.projects from anon;

revoke select, insert, update, delete on public.project_members from anon;

revoke insert, update, delete on public.files from anon;
