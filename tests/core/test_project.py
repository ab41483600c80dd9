"""Reading the project: checksums of normalized text, migration names, bad files as findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgmanager.config import load_settings
from pgmanager.layouts import load_project
from pgmanager.models import FileKind
from pgmanager.project import checksum, normalize


@pytest.mark.parametrize(
    "variant",
    [
        "create table t (a int);\r\nselect 1;\r\n",  # CRLF
        "\ufeffcreate table t (a int);\nselect 1;\n",  # BOM
        "create table t (a int);   \nselect 1;\t\n\n\n",  # trailing whitespace and blank lines
        "create table t (a int);\nselect 1;",  # no final newline
    ],
)
def test_checksum_ignores_line_ends_bom_and_trailing_whitespace(variant: str) -> None:
    assert checksum(variant) == checksum("create table t (a int);\nselect 1;\n")


def test_checksum_sees_real_changes() -> None:
    assert checksum("select 1;\n") != checksum("select 2;\n")
    assert checksum("select  1;\n") != checksum("select 1;\n")  # inner whitespace is content
    assert normalize("a\r\nb") == "a\nb\n"


def _project(tmp_path: Path, files: dict[str, bytes]):
    (tmp_path / "pyproject.toml").write_text("[tool.pgmanager]\nseed = ''\n")
    for rel, data in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return load_project(load_settings(tmp_path))


def test_migrations_ordered_with_rollbacks_and_repeatables(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "migrations/20240102000000_second.sql": b"select 2;",
        "migrations/20240101000000_first.sql": b"select 1;",
        "migrations/20240101000000_first.rollback.sql": b"select -1;",
        "policies/t.sql": b"select 3;",
        "views/v.sql": b"select 4;",
    })
    assert [m.version for m in project.migrations] == ["20240101000000", "20240102000000"]
    assert [m.name for m in project.migrations] == ["first", "second"]
    assert project.rollbacks["20240101000000"].kind is FileKind.ROLLBACK
    assert [(r.display, r.kind) for r in project.repeatables] == [("policies/t.sql", FileKind.POLICY),
                                                                   ("views/v.sql", FileKind.VIEW)]
    assert project.problems == []


@pytest.mark.parametrize(
    ("files", "rule", "where", "fragment"),
    [
        ({"migrations/1_bad.sql": b"select 1;"}, "migration-name", "migrations/1_bad.sql", "YYYYMMDDHHMMSS"),
        ({"migrations/20240101000000_a.sql": b"select 1;", "migrations/20240101000000_b.sql": b"select 1;"},
         "migration-name", "migrations/20240101000000_b.sql", "used twice"),
        ({"migrations/20240101000000_a.rollback.sql": b"select 1;"}, "migration-name",
         "migrations/20240101000000_a.rollback.sql", "no migration"),
        ({"migrations/20240101000000_a.sql": b"select 1;\nselect '\xff';\n"}, "invalid-encoding",
         "migrations/20240101000000_a.sql", "UTF-8"),
    ],
)
def test_bad_files_are_findings_naming_the_file(tmp_path: Path, files: dict[str, bytes], rule: str, where: str,
                                                fragment: str) -> None:
    project = _project(tmp_path, files)
    assert [p.rule for p in project.problems] == [rule]
    problem = project.problems[0]
    assert problem.file == where
    assert fragment in problem.message


def test_non_utf8_finding_points_at_line_and_column(tmp_path: Path) -> None:
    project = _project(tmp_path, {"migrations/20240101000000_a.sql": b"select 1;\nselect '\xff';\n"})
    assert project.problems[0].location == "migrations/20240101000000_a.sql:2:9"
