-- Members see the other members of their accounts; owners remove members.

drop policy if exists "account_user: members read the members" on accounts.account_user;
create policy "account_user: members read the members"
    on accounts.account_user for select to authenticated
    using (user_id = (select auth.uid()) or accounts.has_role_on_account(account_id));

drop policy if exists "account_user: owners remove members" on accounts.account_user;
create policy "account_user: owners remove members"
    on accounts.account_user for delete to authenticated
    using (accounts.has_role_on_account(account_id, 'owner'));
