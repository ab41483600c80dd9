-- Members read the billing customer of their accounts; only the server writes it.

drop policy if exists "billing_customers: members read" on accounts.billing_customers;
create policy "billing_customers: members read"
    on accounts.billing_customers for select to authenticated
    using (accounts.has_role_on_account(account_id));
