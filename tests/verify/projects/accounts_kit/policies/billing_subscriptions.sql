-- Members read the subscriptions of their accounts; only the server writes them.

drop policy if exists "billing_subscriptions: members read" on accounts.billing_subscriptions;
create policy "billing_subscriptions: members read"
    on accounts.billing_subscriptions for select to authenticated
    using (accounts.has_role_on_account(account_id));
