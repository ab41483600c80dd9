-- Members see their accounts; only the primary owner renames one.

drop policy if exists "accounts: members read their accounts" on accounts.accounts;
create policy "accounts: members read their accounts"
    on accounts.accounts for select to authenticated
    using (primary_owner_user_id = (select auth.uid()) or accounts.has_role_on_account(id));

drop policy if exists "accounts: the primary owner edits the account" on accounts.accounts;
create policy "accounts: the primary owner edits the account"
    on accounts.accounts for update to authenticated
    using (primary_owner_user_id = (select auth.uid()))
    with check (primary_owner_user_id = (select auth.uid()));
