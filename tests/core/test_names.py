"""The name helpers of pgmanager.parse (one spelling for every caller: schema-qualified, ``public`` when bare,
``""`` when there is no name) and the path display of pgmanager.project."""

from __future__ import annotations

from pathlib import Path

import pglast
from pglast import ast

from pgmanager.analyze.locks import statement_locks
from pgmanager.models import FileKind, SqlFile
from pgmanager.parse import dotted, parse_file, qualify, qualify_name, rangevar_name
from pgmanager.project import checksum, display_path


def _stmt(sql: str) -> ast.Node:
    return pglast.parse_sql(sql)[0].stmt


def test_dotted_takes_the_last_two_parts_and_defaults_to_public() -> None:
    assert dotted(_stmt("drop function app.f()").objects[0].objname) == "app.f"
    assert dotted(_stmt("drop function f()").objects[0].objname) == "public.f"
    assert dotted(_stmt("drop table db.app.t").objects[0]) == "app.t"
    assert dotted(()) == dotted(None) == ""


def test_rangevar_name() -> None:
    assert rangevar_name(_stmt("create table app.t (id int)").relation) == "app.t"
    assert rangevar_name(_stmt("create table t (id int)").relation) == "public.t"
    assert rangevar_name(None) == ""


def test_qualify_and_qualify_name() -> None:
    assert qualify(None, "t") == "public.t" and qualify("app", "t") == "app.t" and qualify(None, "t", "x") == "x.t"
    assert qualify_name("users") == "public.users" and qualify_name("app.users") == "app.users"


def test_no_name_is_no_locked_table() -> None:
    """Lock info keeps None (not "") where a statement names no table."""
    text = "vacuum;\ndo $$ begin end $$;\n"
    doc = parse_file(SqlFile(path=Path("/virtual/migrations/m.sql"), display="migrations/m.sql",
                             kind=FileKind.MIGRATION, text=text, checksum=checksum(text), name="m"))
    assert [[i.table for i in statement_locks(s)] for s in doc.statements] == [[None], [None]]


def test_display_path(tmp_path: Path) -> None:
    assert display_path(tmp_path / "migrations" / "a.sql", tmp_path) == "migrations/a.sql"
    outside = tmp_path.parent / "elsewhere.sql"
    assert display_path(outside, tmp_path) == str(outside)
