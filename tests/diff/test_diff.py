"""`pgmanager diff` against real PostgreSQL: a small project built once on the session's server, clones of
it changed by hand in many ways, each change found; the generated migration applied to the clone, and a
second diff finds nothing left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pgmanager.api import diffing, inputs
from pgmanager.api.building import project_migrator
from pgmanager.config import Settings
from pgmanager.project import Project
from pgmanager.sandbox import Sandbox
from tests.conftest import run_cli

INIT = """\
create type public.status as enum ('active', 'archived');

create table public.items (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    name text not null default 'x',
    status public.status not null default 'active',
    note varchar(50)
);

create index items_owner_idx on public.items (owner_id);

alter table public.items enable row level security;

create policy items_owner on public.items for select
    using (owner_id = current_setting('app.uid', true)::uuid);

create policy items_insert on public.items for insert with check (true);

create function public.touch() returns trigger language plpgsql as $$
begin
    new.name := trim(new.name);
    return new;
end
$$;

create trigger items_touch before insert on public.items for each row execute function public.touch();

create function public.item_count(p uuid) returns bigint language sql stable security definer
    set search_path = '' as $$ select count(*) from public.items where owner_id = p $$;

revoke all on function public.item_count(uuid) from public;
grant execute on function public.item_count(uuid) to pg_monitor;

create view public.item_names with (security_invoker = true) as
    select id, name, public.item_count(owner_id) as n from public.items;

grant select on public.item_names to pg_monitor;

create publication diff_pub for table public.items;
"""


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("diffproj")
    (root / "migrations").mkdir()
    (root / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')
    (root / "migrations" / "20240101000000_init.sql").write_text(INIT)
    return root


@pytest.fixture(scope="module")
def loaded(project_dir: Path) -> tuple[Settings, Project]:
    return inputs.load(project_dir)


@pytest.fixture(scope="module")
def template(pgm_server: Sandbox, loaded: tuple[Settings, Project]) -> str:
    settings, project = loaded
    return pgm_server.template(project_migrator(settings, project, seed=False))


@pytest.fixture
def clone(pgm_server: Sandbox, template: str) -> Iterator[str]:
    name = pgm_server.clone(template)
    yield pgm_server.dsn(name)
    pgm_server.drop(name)


HAND_CHANGES = [
    "alter table public.items add column extra text",
    "drop policy items_owner on public.items",
    "create or replace view public.item_names as select id, name, public.item_count(owner_id) as n "
    "from public.items where id > 0",
    "alter view public.item_names reset (security_invoker)",
    "grant select on public.items to pg_monitor",
    "create or replace function public.item_count(p uuid) returns bigint language sql volatile security definer "
    "set search_path = '' as $$ select count(*) from public.items where owner_id = p $$",
    "drop index public.items_owner_idx",
    "alter table public.items alter column name set default 'y'",
    "alter table public.items alter column note type varchar(20)",
    "drop trigger items_touch on public.items",
    "alter table public.items disable row level security",
    "alter publication diff_pub drop table public.items",
]

EXPECTED = {
    ("extra", "column", "public.items.extra"),
    ("missing", "policy", "public.items.items_owner"),
    ("changed", "view", "public.item_names"),
    ("extra", "grant", "table public.items to pg_monitor"),
    ("changed", "function", "public.item_count(p uuid)"),
    ("missing", "index", "public.items_owner_idx"),
    ("changed", "column", "public.items.name"),
    ("changed", "column", "public.items.note"),
    ("missing", "trigger", "public.items.items_touch"),
    ("changed", "table", "public.items"),
    ("changed", "publication", "diff_pub"),
}


def _box(server: Sandbox) -> list[str]:
    return ["--sandbox", "dsn", "--sandbox-dsn", server.dsn()]


def test_equal_exits_0(project_dir: Path, clone: str, pgm_server: Sandbox) -> None:
    res = run_cli("diff", "-C", str(project_dir), "--dsn", clone, *_box(pgm_server))
    assert res.code == 0, res.err
    assert "no differences" in res.out


def test_every_hand_change_is_found_and_the_migration_removes_it(pgm_server: Sandbox,
                                                                   loaded: tuple[Settings, Project],
                                                                   clone: str) -> None:
    settings, project = loaded
    with psycopg.connect(clone, autocommit=True) as conn:
        for statement in HAND_CHANGES:
            conn.execute(statement)
    report = diffing.diff(settings, project, clone, with_sql=True, box=pgm_server)
    found = {(d.change, d.kind, d.identity) for d in report.differences}
    assert found == EXPECTED
    props = {(d.kind, d.identity): {p.name: (p.live, p.project) for p in d.properties} for d in report.differences}
    assert props[("function", "public.item_count(p uuid)")]["volatility"] == ("volatile", "stable")
    assert props[("view", "public.item_names")]["options"] == ([], ["security_invoker=true"])
    assert props[("table", "public.items")] == {"rls_enabled": (False, True)}
    assert props[("column", "public.items.note")] == {"type": ("character varying(20)", "character varying(50)")}
    # the one destructive statement (dropping the extra column) is commented out
    assert report.destructive == 1
    assert '-- alter table public.items drop column "extra"' in (report.sql or "")
    assert "security_invoker=true" in (report.sql or "")

    fixed = diffing.diff(settings, project, clone, with_sql=True, allow_destructive=True, box=pgm_server)
    with psycopg.connect(clone, autocommit=True) as conn:
        conn.execute(fixed.sql or "")
    again = diffing.diff(settings, project, clone, box=pgm_server)
    assert again.differences == []
    assert again.equal


def test_a_changed_table_brings_no_grant_and_a_missing_view_keeps_its_options(
        pgm_server: Sandbox, loaded: tuple[Settings, Project], clone: str) -> None:
    settings, project = loaded
    with psycopg.connect(clone, autocommit=True) as conn:
        conn.execute("drop view public.item_names")
        conn.execute("drop function public.item_count(uuid)")
        conn.execute("alter table public.items add column tmp int")
    report = diffing.diff(settings, project, clone, with_sql=True, allow_destructive=True, box=pgm_server)
    sql_text = report.sql or ""
    assert [d.identity for d in report.differences if d.kind == "grant"] == [
        "function public.item_count(p uuid) to pg_monitor", "table public.item_names to pg_monitor"]
    statements = [line for line in sql_text.splitlines() if not line.startswith("--")]
    assert not [line for line in statements if "public.items " in line + " " and ("grant" in line or "revoke" in line)]
    # the view is created after the function it calls, with security_invoker
    lowered = sql_text.lower()
    assert lowered.index("create or replace function public.item_count") < lowered.index(
        'create view "public"."item_names"')
    assert 'create view "public"."item_names" with (security_invoker=true)' in sql_text
    with psycopg.connect(clone, autocommit=True) as conn:
        conn.execute(sql_text)
        row = conn.execute("select reloptions from pg_class where oid = 'public.item_names'::regclass").fetchone()
    assert row is not None and row[0] == ["security_invoker=true"]
    assert diffing.diff(settings, project, clone, box=pgm_server).equal


def test_cli_json_and_sql_exit_1_on_drift(project_dir: Path, clone: str, tmp_path: Path, pgm_server: Sandbox) -> None:
    with psycopg.connect(clone, autocommit=True) as conn:
        conn.execute("drop index public.items_owner_idx")
    res = run_cli("diff", "-C", str(project_dir), "--dsn", clone, *_box(pgm_server), "--sql",
                  "-o", str(tmp_path / "fix.sql"))
    assert res.code == 1, res.err
    assert "create index items_owner_idx" in (tmp_path / "fix.sql").read_text().lower()
    res = run_cli("diff", "-C", str(project_dir), "--dsn", clone, *_box(pgm_server), "--format", "json")
    assert res.code == 1 and '"identity": "public.items_owner_idx"' in res.out


def test_unreachable_dsn_is_one_line_exit_3(project_dir: Path) -> None:
    res = run_cli("diff", "-C", str(project_dir), "--dsn", "postgresql://u:secretpw@127.0.0.1:1/x")
    assert res.code == 3
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and "unreachable" in lines[0] and "secretpw" not in res.err
