-- Makes `pgbench -i` data look used (run by benchmarks/advise.py once after `pgbench -i -I dtgvp`, deterministic
-- by setseed): balances spread over -10000..10000, and three months of history, 2 rows per account.
select setseed(0.42);
update public.pgbench_accounts set abalance = floor(random() * 20001)::integer - 10000;
insert into public.pgbench_history (tid, bid, aid, delta, mtime)
select t.tid, t.bid, 1 + floor(random() * n.accounts)::integer, floor(random() * 10001)::integer - 5000,
    timestamp '2024-01-01' + random() * interval '90 days'
from (select count(*) as accounts, (select count(*) from public.pgbench_tellers) as tellers
      from public.pgbench_accounts) as n
cross join lateral generate_series(1, 2 * n.accounts) as g(i)
join public.pgbench_tellers as t on t.tid = 1 + (g.i * 7919) % n.tellers;
