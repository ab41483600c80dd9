"""The dependency graph of small inline projects: views, policies, foreign keys, triggers, function bodies."""

from __future__ import annotations

from pathlib import Path

from pgmanager.api import analyzing

from ._support import write_project

MIGRATION = """
create schema private;

create table public.customers (id bigint primary key);

create table public.orders (
    id bigint primary key,
    customer_id bigint not null references public.customers (id),
    total numeric not null
);

create table public.audit (id bigint generated always as identity primary key, what text);

create function private.owns(p_customer bigint) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.customers as c where c.id = p_customer) $$;

create function public.log_change() returns trigger
language plpgsql set search_path = ''
as $$
begin
    insert into public.audit (what) values (tg_op);
    return new;
end;
$$;

create trigger orders_log after update on public.orders for each row execute function public.log_change();

create trigger orders_log_old after insert on public.orders for each row execute function public.log_change();

drop trigger orders_log_old on public.orders;
"""

POLICY = """
alter table public.orders enable row level security;

create policy "owners read orders" on public.orders for select to authenticated
    using (private.owns(customer_id) and (select auth.uid()) is not null);
"""

VIEW = """
create or replace view public.order_totals with (security_invoker = true) as
select customer_id, sum(total) as total from public.orders group by customer_id;

create or replace view public.big_customers with (security_invoker = true) as
with t as (select * from public.order_totals)
select customer_id from t where total > 100;
"""


def _edges(tmp_path: Path) -> set[tuple[str, str, str]]:
    settings, project = write_project(tmp_path, {
        "migrations/20240101000000_init.sql": MIGRATION,
        "policies/orders.sql": POLICY,
        "views/orders.sql": VIEW,
    })
    report = analyzing.analyze(settings, project)
    assert report.findings == []
    return {(str(e.source), e.kind, str(e.target)) for e in report.edges}


def test_graph_edges(tmp_path: Path) -> None:
    edges = _edges(tmp_path)
    expected = {
        ("table public.orders", "foreign-key", "table public.customers"),
        ("view public.order_totals", "reads", "table public.orders"),
        ("view public.big_customers", "reads", "view public.order_totals"),
        ("policy owners read orders on public.orders", "policy-on", "table public.orders"),
        ("policy owners read orders on public.orders", "calls", "function private.owns"),
        ("function private.owns", "reads", "table public.customers"),
        ("function public.log_change", "reads", "table public.audit"),
        ("trigger orders_log on public.orders", "trigger-on", "table public.orders"),
        ("trigger orders_log on public.orders", "trigger-calls", "function public.log_change"),
    }
    assert expected <= edges, expected - edges
    # the CTE name is not a relation, the dropped trigger is gone, and built-ins are not nodes
    assert not any(target.split(" ", 1)[-1] == "public.t" for _, _, target in edges)
    assert not any("orders_log_old" in source for source, _, _ in edges)
    assert not any(target.endswith(("sum", "exists")) for _, _, target in edges)


def test_auth_emulation_functions_are_graph_nodes(tmp_path: Path) -> None:
    auth = (Path(__file__).resolve().parents[2] / "sql" / "supabase_auth.sql").read_text()
    settings, project = write_project(tmp_path, {
        "sql/supabase_auth.sql": auth,
        "migrations/20240101000000_init.sql": MIGRATION,
        "policies/orders.sql": POLICY,
    }, settings='auth_emulation = "sql/supabase_auth.sql"\n')
    report = analyzing.analyze(settings, project)
    edges = {(str(e.source), e.kind, str(e.target)) for e in report.edges}
    assert ("policy owners read orders on public.orders", "calls", "function auth.uid") in edges
    # the auth emulation feeds the graph but is not itself listed as a migration
    assert [f.file for f in report.files] == ["migrations/20240101000000_init.sql", "policies/orders.sql"]
