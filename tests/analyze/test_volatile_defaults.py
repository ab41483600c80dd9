"""ADD COLUMN ... DEFAULT: analyze's rewrite decision, the lint rule adding-field-with-volatile-default, and
PostgreSQL itself agree (one volatility table, pgmanager.parse.volatility, decides for both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pgmanager.analyze.locks import statement_locks
from pgmanager.analyze.migration import analyze_document
from pgmanager.api import analyzing, linting
from pgmanager.parse import default_verdict

from ._support import doc_of, write_project

RULE = "adding-field-with-volatile-default"

# (default expression, column type, rewrites, known): "known" is False for user functions, where analyze
# and lint assume a rewrite unless the function is STABLE or IMMUTABLE.
DEFAULTS = [
    ("random()", "float8", True, True),
    ("now()", "timestamptz", False, True),
    ("statement_timestamp()", "timestamptz", False, True),
    ("md5('x')", "text", False, True),
    ("gen_random_uuid()", "uuid", True, True),
    ("clock_timestamp()", "timestamptz", True, True),
    ("timeofday()", "text", True, True),
    ("current_timestamp", "timestamptz", False, True),
    ("localtimestamp(0)", "timestamp", False, True),
    ("current_user", "text", False, True),
    ("lower('New')", "text", False, True),
    ("'new'", "text", False, True),
    ("now() + random() * interval '1 second'", "timestamptz", True, True),
    ("public.my_volatile_default()", "int", True, False),
    ("public.my_stable_default()", "int", True, False),
]
IDS = [d[0] for d in DEFAULTS]


def _add_column(expr: str, type_: str) -> str:
    return f"alter table public.items add column c {type_} default {expr};\n"


def _default_expr(expr: str, type_: str) -> Any:
    node: Any = doc_of(_add_column(expr, type_)).statements[0].node
    return node.cmds[0].def_.constraints[0].raw_expr


@pytest.mark.parametrize(("expr", "type_", "rewrites", "known"), DEFAULTS, ids=IDS)
def test_statement_locks_rewrite_decision(expr: str, type_: str, rewrites: bool, known: bool) -> None:
    [stmt] = doc_of(_add_column(expr, type_)).statements
    [lock] = statement_locks(stmt)
    assert (lock.lock, lock.table, lock.rewrites) == ("ACCESS EXCLUSIVE", "public.items", rewrites)
    if not known:
        assert "unless that function is STABLE or IMMUTABLE" in lock.note
    elif rewrites:
        assert "volatile default" in lock.note


def test_statement_timestamp_and_md5_defaults_do_not_rewrite() -> None:
    """The two cases where the old lists disagreed: both are stored once, like now()."""
    for expr in ("statement_timestamp()", "md5('x')"):
        fa = analyze_document(doc_of(_add_column(expr, "text")))
        assert fa.rewrites == [] and fa.scans == [], expr
        assert fa.risk == "medium"  # the brief ACCESS EXCLUSIVE of any ADD COLUMN, no more
    fa = analyze_document(doc_of(_add_column("clock_timestamp()", "timestamptz")))
    assert fa.rewrites == ["public.items"] and fa.risk == "high"


def test_lint_and_analyze_agree_on_every_default(tmp_path: Path) -> None:
    files = {f"migrations/202401010000{i:02d}_c{i}.sql": _add_column(expr, type_)
             for i, (expr, type_, _, _) in enumerate(DEFAULTS)}
    settings, project = write_project(tmp_path, files)
    lint = linting.lint(settings, project, style=False, cache=False, rules=[RULE])
    analysis = analyzing.analyze(settings, project)
    flagged = {f.file: f for f in lint.findings if f.rule == RULE}
    assert all(f.rule == RULE for f in lint.findings)
    by_file = {fa.file: fa for fa in analysis.files}
    for i, (expr, _type, rewrites, _known) in enumerate(DEFAULTS):
        name = f"migrations/202401010000{i:02d}_c{i}.sql"
        [lock] = by_file[name].statements[0].locks
        assert lock.rewrites is rewrites, expr
        assert (name in flagged) is rewrites, expr
        if rewrites:
            # the same words: analyze's note ends with the clause the lint finding gives
            verdict = default_verdict(_default_expr(expr, _type))
            assert flagged[name].message == f"column 'c': {verdict.reason}", expr
            assert lock.note.endswith(verdict.reason), expr
            assert flagged[name].severity.value == "warning"


# ------------------------------------------------------------------ against PostgreSQL


@pytest.fixture(scope="module")
def items_db(pgm_server) -> Iterator[str]:
    name = "pgm_volatile_defaults"
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = pgm_server.dsn(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""
            create table public.items (id int);
            insert into public.items select generate_series(1, 10);
            -- plpgsql: a SQL function would be inlined, and 'select 1' is a constant whatever it is declared
            create function public.my_volatile_default() returns int language plpgsql volatile as 'begin return 1; end';
            create function public.my_stable_default() returns int language plpgsql stable as 'begin return 1; end';
        """)
    yield dsn
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _server_rewrites(dsn: str, statement: str) -> bool:
    """Run ``statement`` in a rolled-back transaction: did the table get a new relfilenode?"""
    with psycopg.connect(dsn) as conn:
        before = conn.execute("select pg_relation_filenode('public.items')").fetchone()
        conn.execute(statement.encode(), prepare=False)
        after = conn.execute("select pg_relation_filenode('public.items')").fetchone()
        conn.rollback()
    return before != after


@pytest.mark.parametrize(("expr", "type_", "rewrites", "known"), DEFAULTS, ids=IDS)
def test_postgres_rewrites_exactly_when_analyze_says(items_db: str, expr: str, type_: str, rewrites: bool,
                                                     known: bool) -> None:
    statement = _add_column(expr, type_)
    [lock] = statement_locks(doc_of(statement).statements[0])
    server = _server_rewrites(items_db, statement)
    if known:
        assert lock.rewrites is server, f"{expr}: PostgreSQL {'rewrites' if server else 'does not rewrite'}"
    else:
        # unknown volatility: assumed to rewrite, which PostgreSQL does unless the function is STABLE or IMMUTABLE
        assert lock.rewrites and server is ("volatile" in expr)
