"""Parsing once with pglast: positions, syntax errors, statements that refuse a transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgmanager.models import FileKind, SqlFile
from pgmanager.parse import parse_file
from pgmanager.project import checksum


def doc_of(text: str, name: str = "migrations/20240101000000_x.sql"):
    return parse_file(SqlFile(path=Path("/x") / name, display=name, kind=FileKind.MIGRATION, text=text,
                              checksum=checksum(text), version="20240101000000", name="x"))


def test_statements_carry_lines_columns_and_leading_comments() -> None:
    doc = doc_of("select 1;\n-- why\n  create table t (\n    a int\n);\n")
    assert [(s.line, s.col, s.end_line) for s in doc.statements] == [(1, 1, 1), (3, 3, 5)]
    assert "-- why" in doc.statements[1].leading
    assert doc.statements[1].kind == "CreateStmt"


def test_syntax_error_points_at_the_token() -> None:
    doc = doc_of("select 1;\n\ncreate tabl x ();\n")
    assert doc.error is not None
    assert doc.error.location == "migrations/20240101000000_x.sql:3:8"
    assert 'syntax error at or near "tabl"' in doc.error.message
    assert doc.statements == ()


def test_unicode_before_an_error_keeps_columns_in_characters() -> None:
    doc = doc_of("select 'éé';\nselect 'ü' from from;\n")
    assert doc.error is not None and doc.error.location.endswith(":2:17")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("create index concurrently i on t (a)", "CREATE INDEX CONCURRENTLY"),
        ("drop index concurrently i", "DROP INDEX CONCURRENTLY"),
        ("reindex index concurrently i", "REINDEX CONCURRENTLY"),
        ("vacuum t", "VACUUM"),
        ("alter system set work_mem = '8MB'", "ALTER SYSTEM"),
        ("create database d", "CREATE DATABASE"),
        ("create index i on t (a)", None),
        ("analyze t", None),
        ("refresh materialized view concurrently v", None),
    ],
)
def test_non_transactional_statements_are_found_from_the_ast(sql: str, reason: str | None) -> None:
    doc = doc_of(sql + ";")
    assert doc.statements[0].no_transaction == reason
    assert doc.transactional is (reason is None)


def test_transaction_control_in_a_file_is_a_problem() -> None:
    doc = doc_of("begin;\ncreate table t (a int);\ncommit;\n")
    assert [(p.rule, p.line) for p in doc.problems] == [("transaction-control", 1), ("transaction-control", 3)]


def test_directives_are_read_and_bad_ones_reported() -> None:
    doc = doc_of("-- pgmanager: lock_timeout=10s statement_timeout=1min\nselect 1;\n-- pgmanager: colour=blue\n")
    assert doc.directives == {"lock_timeout": "10s", "statement_timeout": "1min"}
    assert [(p.rule, p.line) for p in doc.problems] == [("bad-directive", 3)]


def test_empty_file_is_a_finding() -> None:
    doc = doc_of("-- nothing here\n")
    assert doc.error is not None and doc.error.rule == "empty-file"


def test_each_file_is_parsed_once() -> None:
    text = "select 42;\n"
    assert doc_of(text) is doc_of(text)


@pytest.mark.parametrize(
    "sql",
    ["create index concurrently i on t (a)", "drop index concurrently i", "reindex index concurrently i",
     "reindex index i", "vacuum t", "analyze t", "cluster", "cluster t using i", "alter system set work_mem = 1",
     "create database d", "drop database d", "create table t (a int)", "drop index i"],
)
def test_the_cheap_json_classification_agrees_with_the_ast(sql: str) -> None:
    from pgmanager.parse import no_transaction_reason

    stmt = doc_of(sql + ";\n").statements[0]
    assert stmt.no_transaction == no_transaction_reason(stmt.node)
    assert stmt.kind == type(stmt.node).__name__


def test_nodes_are_built_lazily_and_keep_file_offsets() -> None:
    text = "select 'héllo';\n-- é\ncreate table t (a int);\nselect 2;\n"
    doc = doc_of(text)
    second = doc.statements[1]
    assert "node" not in second.__dict__  # not built until asked for
    assert (second.line, second.col, second.text) == (3, 1, "create table t (a int)")
    assert second.node.relation.relname == "t"
    assert text[second.node.relation.location:].startswith("t (a int)")  # character offsets in the file
    assert doc.statements[2].text == "select 2"


def test_documents_are_parsed_once_and_the_store_is_bounded(tmp_path) -> None:
    from pgmanager.models import FileKind, SqlFile
    from pgmanager.parse._document import Documents
    from pgmanager.project import checksum

    def sql_file(i: int) -> SqlFile:
        text = f"select {i};\n"
        return SqlFile(path=tmp_path / f"f{i}.sql", display=f"f{i}.sql", kind=FileKind.MIGRATION, text=text,
                       checksum=checksum(text), version=None, name=f"f{i}")

    store = Documents(maxsize=3)
    first = store.get(sql_file(0))
    assert store.get(sql_file(0)) is first  # the same document, not parsed again
    for i in range(1, 5):
        store.get(sql_file(i))
    assert len(store) == 3
    assert store.get(sql_file(0)) is not first  # dropped as least recently used, parsed anew


def _same_tree(a: object, b: object, where: str = "") -> None:
    """Two pglast trees are the same: equal types and values at every attribute, positions included."""
    from pglast import ast

    assert type(a) is type(b), (where, type(a), type(b))
    if isinstance(a, ast.Node):
        for name in a:
            _same_tree(getattr(a, name), getattr(b, name), f"{where}.{type(a).__name__}.{name}")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where  # type: ignore[arg-type]
        for i, (x, y) in enumerate(zip(a, b, strict=True)):  # type: ignore[call-overload]
            _same_tree(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def test_fast_node_building_gives_pglasts_own_trees() -> None:
    """parse_sql skips pglast's per-attribute re-validation: on every SQL file of this repository (the
    project, the lint cases, the layouts' fixtures) its trees equal pglast.parse_sql's, and pglast's
    checking is back on afterwards, also after a syntax error."""
    import pglast
    from pglast import ast

    from pgmanager.parse import parse_sql

    root = Path(__file__).resolve().parents[2]
    files = sorted(p for p in root.rglob("*.sql") if ".git" not in p.parts and "node_modules" not in p.parts)
    parsed = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            with pytest.raises(pglast.parser.ParseError):
                parse_sql(text)
            continue
        _same_tree(tuple(expected), parse_sql(text), path.name)
        parsed += 1
    assert parsed > 100, parsed
    with pytest.raises(ValueError):  # the check is on again: a bad value is refused
        ast.RangeVar(relname=1)  # type: ignore[arg-type]
