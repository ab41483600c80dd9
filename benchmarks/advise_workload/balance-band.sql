-- name: balance-band
-- description: Accounts whose balance falls in a narrow band (a risk report).
-- param: low range -10000..9900
-- param: high after low by 10..100
select count(*)
from public.pgbench_accounts
where abalance >= %(low)s::integer and abalance < %(high)s::integer;
