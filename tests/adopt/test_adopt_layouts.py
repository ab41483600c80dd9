"""Reading the five tools' folders: naming, ordering, rollbacks and repeatables, set or guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
from _adopt_support import PROJECTS, copy_project

from pgmanager.config import load_settings
from pgmanager.errors import ConfigError
from pgmanager.layouts import flyway, load_project
from pgmanager.models import FileKind
from pgmanager.project import Project

EXPECTED = {
    "supabase": ["20240101000000", "20240102000000", "20240103000000"],
    # yoyo's own order: note_count depends on notes, so it comes after it although its name sorts first
    "yoyo": ["20240101_01_accounts", "20240102_01_notes", "20240101_02_note_count"],
    "golang-migrate": ["1", "2", "10"],  # numbers, not names: 10 after 2
    "dbmate": ["20240101000000", "20240102000000", "20240103000000"],
    "flyway": ["1", "1.2", "1.10"],  # Flyway compares parts as numbers: 1.2 < 1.10
}
ROLLBACKS = {"supabase": [], "yoyo": ["20240101_02_note_count", "20240102_01_notes"],
             "golang-migrate": ["1", "10", "2"], "dbmate": EXPECTED["dbmate"], "flyway": ["1.10"]}


def _load(root: Path, **overrides: str) -> Project:
    return load_project(load_settings(root, **overrides))


@pytest.mark.parametrize("tool", sorted(EXPECTED))
@pytest.mark.parametrize("how", ["set", "guessed"])
def test_each_layout_reads_in_the_tools_order(tool: str, how: str, tmp_path: Path) -> None:
    root = copy_project(tool, tmp_path)
    pyproject = root / "pyproject.toml"
    lines = [line for line in pyproject.read_text().splitlines() if not line.startswith("layout")]
    if how == "set":
        lines.insert(1, f'layout = "{tool}"')
    pyproject.write_text("\n".join(lines) + "\n")
    project = _load(root)
    assert project.problems == []
    assert project.layout == tool
    assert [m.version for m in project.migrations] == EXPECTED[tool]
    assert sorted(project.rollbacks) == sorted(ROLLBACKS[tool])
    assert all(r.kind == FileKind.ROLLBACK for r in project.rollbacks.values())
    order = project.version_order()
    assert sorted(reversed(EXPECTED[tool]), key=order) == EXPECTED[tool]


def test_our_own_project_is_still_guessed_as_ours() -> None:
    project = _load(Path(__file__).resolve().parents[2])
    assert project.layout == "pgmanager"
    assert project.problems == []
    assert len(project.migrations) > 3


def test_dbmate_sections_keep_their_line_numbers() -> None:
    project = _load(PROJECTS / "dbmate")
    up = project.migrations[1]
    down = project.rollbacks[up.version or ""]
    lines = up.path.read_text().splitlines()
    assert "migrate:down" not in up.text and "create table public.notes" in up.text
    assert down.display.endswith("20240102000000_notes.sql#down")
    n = next(i for i, line in enumerate(lines) if line.startswith("drop table"))
    assert down.text.splitlines()[n] == lines[n]  # same line, same number
    assert up.text.splitlines()[1] == lines[1]


def test_flyway_repeatables_are_policies_or_views_and_undo_is_rollback() -> None:
    project = _load(PROJECTS / "flyway")
    kinds = {Path(r.display).name: r.kind for r in project.repeatables}
    assert kinds == {"R__note_count.sql": FileKind.VIEW, "R__notes_policy.sql": FileKind.POLICY}
    assert project.rollbacks["1.10"].path.name == "U1_10__note_times.sql"


def test_flyway_checksum_is_crc32_of_lines_without_line_ends() -> None:
    # documented behaviour: line ends and a BOM do not change it; the content does; signed 32-bit
    lf = flyway.crc32(b"create table t (id int);\nselect 1;\n")
    assert lf == flyway.crc32(b"\xef\xbb\xbfcreate table t (id int);\r\nselect 1;")
    assert lf != flyway.crc32(b"create table t (id int);\nselect 2;\n")
    # CRC-32's published check value for "123456789" is 0xCBF43926; Java's (int) cast makes it negative
    assert flyway.crc32(b"123456789") == 0xCBF43926 - 2**32 == -873_187_034
    assert flyway.crc32(b"1234\n56789\n") == -873_187_034
    assert flyway.crc32(b"") == 0


@pytest.mark.parametrize(("tool", "name", "says"), [
    ("golang-migrate", "3_oops.sql", "golang-migrate file name must be"),
    ("flyway", "V2_add.sql", "Flyway file name must be"),
    ("flyway", "afterMigrate__grants.sql", "Flyway callback (afterMigrate): pgmanager runs no callbacks"),
    ("supabase", "latest.sql", "Supabase migration file name must be"),
    ("dbmate", "20240104000000_no_marker.sql", "no '-- migrate:up' section"),
])
def test_bad_file_in_a_layout_is_one_problem_naming_it(tool: str, name: str, says: str, tmp_path: Path) -> None:
    root = copy_project(tool, tmp_path)
    folder = {"golang-migrate": "migrations", "flyway": "db/migration", "supabase": "supabase/migrations",
              "dbmate": "db/migrations"}[tool]
    (root / folder / name).write_text("select 1;\n")
    project = _load(root)
    assert len(project.problems) == 1
    assert project.problems[0].file == f"{folder}/{name}"
    assert says in project.problems[0].message


def test_yoyo_python_migration_is_refused_not_run(tmp_path: Path) -> None:
    root = copy_project("yoyo", tmp_path)
    marker = tmp_path / "ran"
    (root / "migrations" / "20240105_01_code.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    project = _load(root)
    assert [p.file for p in project.problems] == ["migrations/20240105_01_code.py"]
    assert "cannot be read as SQL" in project.problems[0].message
    assert not marker.exists()


def test_yoyo_unknown_dependency_is_a_problem(tmp_path: Path) -> None:
    root = copy_project("yoyo", tmp_path)
    (root / "migrations" / "20240106_01_x.sql").write_text("-- depends: no_such_id\nselect 1;\n")
    project = _load(root)
    assert len(project.problems) == 1 and "yoyo cannot read this folder" in project.problems[0].message


def test_duplicate_golang_version_is_refused(tmp_path: Path) -> None:
    root = copy_project("golang-migrate", tmp_path)
    (root / "migrations" / "0002_again.up.sql").write_text("select 1;\n")
    project = _load(root)
    assert len(project.problems) == 1 and "version 2 is used twice" in project.problems[0].message


def test_unknown_layout_is_a_one_line_config_error(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("flyway", tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings(root, layout="liquibase")
    assert caught.value.where == "--layout" and "unknown layout 'liquibase'" in caught.value.message
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('layout = "flyway"', 'layout = "liquibase"'))
    result = cli("plan", "-C", str(root))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "error: tool.pgmanager.layout: unknown layout 'liquibase'; choose one of pgmanager, supabase, yoyo, "
        "golang-migrate, dbmate, flyway (or leave it unset to guess)"]


def test_golang_migrate_project_plans_offline_guessed(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # before layouts: "migration file name must be YYYYMMDDHHMMSS_name.sql"; now read as golang-migrate's
    root = copy_project("golang-migrate", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('layout = "golang-migrate"\n', ""))
    result = cli("plan", "-C", str(root), "--format", "json")
    assert result.code == 0, result.err
    assert '"key": "10"' in result.out and "YYYYMMDDHHMMSS" not in result.out + result.err
