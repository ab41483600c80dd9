"""Plan's repeatable order and analyze's dependency graph come from the same reference extractor, so they
agree: each repeatable applies after the repeatables creating what the graph says it depends on.

They used to disagree: plan read CTE names as tables and did not read function bodies. On this project
it saw a cycle between two views that have none (a CTE named like the other view), put a SQL function
before the view its body reads (so PostgreSQL refused to create it), and a PL/pgSQL function that
writes a table before the policy file creating that table."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pgmanager.api import analyzing, migrating
from pgmanager.migrate import order_repeatables, parse_all
from pgmanager.parse import created_names

from ._support import write_project

FILES = {
    "migrations/20240101000000_init.sql": """
create table public.orders (id bigint primary key, total numeric not null, paid boolean not null default false);
""",
    # the CTE is named like the view of b_totals.sql: it reads public.orders, not that view
    "views/a_paid.sql": """
create or replace view public.paid_orders with (security_invoker = true) as
with order_totals as (select id, total from public.orders where paid)
select id, total from order_totals;
""",
    "views/b_totals.sql": """
create or replace view public.order_totals with (security_invoker = true) as
select count(*) as n, sum(total) as total from public.paid_orders;
""",
    # a SQL function's body is checked when it is created: the view it reads must exist first
    "views/c_count.sql": """
create or replace function public.paid_total() returns numeric
language sql stable set search_path = ''
as $$ select total from public.z_summary $$;
""",
    "views/z_summary.sql": """
create or replace view public.z_summary with (security_invoker = true) as
select total from public.order_totals;
""",
    "views/d_log.sql": """
create or replace function public.log_event(p_what text) returns void
language plpgsql set search_path = ''
as $$
begin
    insert into public.audit_log (what) values (p_what);
end;
$$;
""",
    "policies/audit_log.sql": """
create table if not exists public.audit_log (id bigint generated always as identity primary key, what text);
alter table public.audit_log enable row level security;
drop policy if exists audit_read on public.audit_log;
create policy audit_read on public.audit_log for select to authenticated using (true);
""",
}


def _check_agreement(tmp_path: Path) -> tuple[list[str], set[tuple[str, str, str]]]:
    settings, project = write_project(tmp_path, FILES, settings='auth_emulation = ""\nseed = ""\n')
    docs = parse_all(project.repeatables)
    order = order_repeatables(docs)
    creator = {name: file for file, doc in docs.items() for s in doc.statements for name in created_names(s.node)}
    edges = analyzing.analyze(settings, project).edges
    for e in edges:
        target_file = creator.get(e.target.name)
        if e.file in order and target_file in order and target_file != e.file:
            assert order.index(target_file) < order.index(e.file), (
                f"{e.source} {e.kind} {e.target}, but plan applies {e.file} before {target_file}: {order}")
    return order, {(str(e.source), e.kind, str(e.target)) for e in edges}


def test_plan_order_follows_the_graph(tmp_path: Path) -> None:
    order, edges = _check_agreement(tmp_path)
    # the edges that plan used to miss or invent
    assert {
        ("view public.order_totals", "reads", "view public.paid_orders"),
        ("view public.paid_orders", "reads", "table public.orders"),
        ("function public.paid_total", "reads", "view public.z_summary"),
        ("function public.log_event", "reads", "table public.audit_log"),
    } <= edges
    assert ("view public.paid_orders", "reads", "view public.order_totals") not in edges
    assert order == ["views/a_paid.sql", "views/b_totals.sql", "views/z_summary.sql", "views/c_count.sql",
                     "policies/audit_log.sql", "views/d_log.sql"]


def test_that_order_applies(tmp_path: Path, empty_db) -> None:
    settings, project = write_project(tmp_path, FILES, settings='auth_emulation = ""\nseed = ""\n')
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("do $$ begin create role authenticated; exception when duplicate_object then null; end $$")
    result = migrating.migrate(settings, project, empty_db.dsn)
    assert [s.file for s in result.steps][1:] == order_repeatables(parse_all(project.repeatables))
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("insert into public.orders values (1, 10, true), (2, 5, false)")
        conn.execute("select public.log_event('checked')")
        assert conn.execute("select public.paid_total(), (select what from public.audit_log)").fetchone() == (
            10, "checked")


MUTUAL = {
    "migrations/20240101000000_init.sql": "create table public.nodes (id int primary key, parent int);\n",
    # two PL/pgSQL functions in two files calling each other: PostgreSQL resolves their bodies when they run,
    # so either order creates them; only a reference outside a body (the view) must order the files
    "views/a_even.sql": """
create or replace function public.is_even(n int) returns boolean
language plpgsql set search_path = ''
as $$ begin if n = 0 then return true; end if; return public.is_odd(n - 1); end $$;
""",
    "views/b_odd.sql": """
create or replace function public.is_odd(n int) returns boolean
language plpgsql set search_path = ''
as $$ begin if n = 0 then return false; end if; return public.is_even(n - 1); end $$;
create or replace view public.even_nodes with (security_invoker = true) as
select id from public.nodes where public.is_even(id);
""",
}


def test_functions_calling_each_other_across_files_are_no_cycle(tmp_path: Path, empty_db) -> None:
    settings, project = write_project(tmp_path, MUTUAL, settings='auth_emulation = ""\nseed = ""\n')
    order = order_repeatables(parse_all(project.repeatables))
    assert order == ["views/a_even.sql", "views/b_odd.sql"]  # the view's call of is_even is not in a body
    migrating.migrate(settings, project, empty_db.dsn)
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("insert into public.nodes values (1, null), (2, 1), (4, 2)")
        assert conn.execute("select array_agg(id order by id) from public.even_nodes").fetchone() == ([2, 4],)
