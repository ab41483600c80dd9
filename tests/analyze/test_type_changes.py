"""ALTER COLUMN ... TYPE: analyze's rewrite decision, the lint rule changing-column-type, and PostgreSQL itself
agree (one helper, pgmanager.schema.retype_without_rewrite, decides for both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.analyze.migration import analyze_document
from pgmanager.api import analyzing, linting
from pgmanager.schema import build_model, retype_without_rewrite

from ._support import doc_of, write_project

RULE = "changing-column-type"

# (old type, new type, PostgreSQL rewrites the table)
CHANGES = [
    ("varchar(128)", "varchar(1024)", False),
    ("varchar(128)", "varchar", False),
    ("varchar(128)", "text", False),
    ("varchar", "text", False),
    ("text", "varchar", False),
    ("numeric(10, 2)", "numeric(12, 2)", False),
    ("numeric(10, 2)", "numeric", False),
    ("numeric(10)", "numeric(12)", False),
    ("timestamp(3)", "timestamp(6)", False),
    ("timestamptz(0)", "timestamptz", False),
    ("varbit(4)", "varbit(8)", False),
    ("cidr", "inet", False),
    ("int4", "int4", False),
    ("varchar(1024)", "varchar(128)", True),
    ("text", "varchar(64)", True),
    ("numeric(10, 2)", "numeric(12, 3)", True),
    ("numeric(10, 2)", "numeric(8, 2)", True),
    ("numeric", "numeric(12, 2)", True),
    ("timestamp(6)", "timestamp(3)", True),
    ("int4", "int8", True),
    ("bpchar(3)", "bpchar(5)", True),
    ("bpchar(3)", "text", True),
    ("text", "int4", True),
]
IDS = [f"{o}->{n}" for o, n, _ in CHANGES]
SAMPLE = {"varchar": "'a'", "text": "'1'", "numeric": "1.5", "timestamp": "now()", "timestamptz": "now()",
          "varbit": "B'101'", "cidr": "'10.0.0.0/8'", "int4": "1", "bpchar": "'ab'"}


def _sample(type_: str) -> str:
    return SAMPLE[type_.split("(")[0]]


def _using(old: str, new: str) -> str:
    return " using c::int4" if (old, new) == ("text", "int4") else ""


def _migrations(old: str, new: str) -> tuple[str, str]:
    create = f"create table public.items (id int primary key, c {old});\n"
    alter = f"alter table public.items alter column c type {new}{_using(old, new)};\n"
    return create, alter


@pytest.mark.parametrize(("old", "new", "rewrites"), CHANGES, ids=IDS)
def test_helper(old: str, new: str, rewrites: bool) -> None:
    assert retype_without_rewrite(old, new) is (not rewrites)


def test_unknown_old_type_is_assumed_to_rewrite() -> None:
    fa = analyze_document(doc_of("alter table public.items alter column c type varchar(1024);\n"))
    [lock] = fa.statements[0].locks
    assert lock.rewrites and fa.rewrites == ["public.items"] and fa.risk == "high"


def test_using_is_a_rewrite_whatever_the_types(tmp_path: Path) -> None:
    settings, project = write_project(tmp_path, {
        "migrations/20240101000000_items.sql": "create table public.items (c varchar(10));\n",
        "migrations/20240101000100_retype.sql": "alter table public.items alter column c type text using upper(c);\n",
    })
    [_, retype] = analyzing.analyze(settings, project).files
    assert retype.rewrites == ["public.items"] and "USING" in retype.statements[0].locks[0].note


def test_analyze_and_lint_agree_on_every_change(tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for i, (old, new, _) in enumerate(CHANGES):
        create, alter = _migrations(old, new)
        table = f"items_{i}"
        files[f"migrations/2024010100{i:02d}00_create_{i}.sql"] = create.replace("public.items", f"public.{table}")
        files[f"migrations/2024020100{i:02d}00_retype_{i}.sql"] = alter.replace("public.items", f"public.{table}")
    settings, project = write_project(tmp_path, files)
    lint = linting.lint(settings, project, style=False, cache=False, rules=[RULE])
    flagged = {f.file for f in lint.findings if f.rule == RULE}
    by_file = {fa.file: fa for fa in analyzing.analyze(settings, project).files}
    for i, (old, new, rewrites) in enumerate(CHANGES):
        if _using(old, new):
            continue  # USING is a rewrite to analyze; the lint rule judges the types alone
        name = f"migrations/2024020100{i:02d}00_retype_{i}.sql"
        fa = by_file[name]
        [lock] = fa.statements[0].locks
        assert lock.rewrites is rewrites, f"{old} -> {new}: {lock.note}"
        assert (name in flagged) is rewrites, f"{old} -> {new}"
        assert fa.risk == ("high" if rewrites else "medium"), f"{old} -> {new}"
        if not rewrites:
            assert f"from {old} to {new}: no rewrite" in lock.note and fa.rewrites == [] and fa.scans == []


# ------------------------------------------------------------------ against PostgreSQL


@pytest.fixture(scope="module")
def server_db(pgm_server) -> Iterator[str]:
    name = "pgm_type_changes"
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield pgm_server.dsn(name)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.mark.parametrize(("old", "new", "rewrites"), CHANGES, ids=IDS)
def test_postgres_rewrites_exactly_when_analyze_says(server_db: str, old: str, new: str, rewrites: bool) -> None:
    """The relfilenode of the table changes exactly when analyze says the ALTER rewrites it (in a rolled-back
    transaction, on a table holding rows)."""
    create, alter = _migrations(old, new)
    # analyze reads the old type from the earlier migration, as in a project
    doc_before = doc_of(create, "20240101000000_create.sql")
    doc_after = doc_of(alter, "20240101000100_retype.sql")
    model = build_model([doc_before])
    [lock] = analyze_document(doc_after, schema=model).statements[0].locks
    with psycopg.connect(server_db) as conn:
        conn.execute(create.encode())
        conn.execute(sql.SQL("insert into public.items select g, {} from generate_series(1, 10) g").format(
            sql.SQL(_sample(old))))
        before = conn.execute("select pg_relation_filenode('public.items')").fetchone()
        conn.execute(alter.encode())
        after = conn.execute("select pg_relation_filenode('public.items')").fetchone()
        conn.rollback()
    server = before != after
    assert server is rewrites, f"{old} -> {new}: PostgreSQL {'rewrites' if server else 'does not rewrite'}"
    assert lock.rewrites is server, f"{old} -> {new}: analyze says {lock.note}"
