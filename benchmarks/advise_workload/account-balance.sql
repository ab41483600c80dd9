-- name: account-balance
-- description: One account's balance (served by the primary key).
-- param: aid from public.pgbench_accounts.aid
select abalance
from public.pgbench_accounts
where aid = %(aid)s::integer;
