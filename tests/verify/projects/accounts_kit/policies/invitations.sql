-- Owners and admins of an account manage its invitations.

drop policy if exists "invitations: admins read invitations" on accounts.invitations;
create policy "invitations: admins read invitations"
    on accounts.invitations for select to authenticated
    using (accounts.has_role_on_account(account_id, 'admin'));

drop policy if exists "invitations: admins invite" on accounts.invitations;
create policy "invitations: admins invite"
    on accounts.invitations for insert to authenticated
    with check (accounts.has_role_on_account(account_id, 'admin') and invited_by_user_id = (select auth.uid()));

drop policy if exists "invitations: admins revoke" on accounts.invitations;
create policy "invitations: admins revoke"
    on accounts.invitations for delete to authenticated
    using (accounts.has_role_on_account(account_id, 'admin'));
