"""`pgmanager import --from TOOL DIR`: our layout written, nothing overwritten, and a database that tool
migrated still taken over by the converted project."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
from _adopt_support import APPLY, PROJECTS, copy_project, status_json

from pgmanager.config import load_settings
from pgmanager.layouts import load_project
from pgmanager.project import MIGRATION_NAME

DEST = '[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n'
WRITTEN = {  # our folders: Flyway's R__ files become a view and a policy file; the others stay migrations
    "flyway": ["migrations/20000101000001_accounts.sql", "migrations/20000101000002_notes.sql",
               "migrations/20000101000003_note_times.rollback.sql", "migrations/20000101000003_note_times.sql",
               "policies/notes_policy.sql", "views/note_count.sql"],
    "golang-migrate": ["migrations/20000101000001_accounts.rollback.sql", "migrations/20000101000001_accounts.sql",
                       "migrations/20000101000002_notes.rollback.sql", "migrations/20000101000002_notes.sql",
                       "migrations/20000101000003_note_count.rollback.sql", "migrations/20000101000003_note_count.sql"],
    "supabase": ["migrations/20240101000000_accounts.sql", "migrations/20240102000000_notes.sql",
                 "views/note_count.sql"],  # only CREATE OR REPLACE FUNCTION, no rollback: repeatable
}


def _dest(tmp_path: Path) -> Path:
    dest = tmp_path / "ours"
    dest.mkdir()
    (dest / "pyproject.toml").write_text(DEST)
    return dest


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.sql"))


@pytest.mark.parametrize("tool", sorted(APPLY))
def test_import_writes_our_layout_with_the_tools_versions_kept(tool: str, tmp_path: Path, cli) -> None:
    dest = _dest(tmp_path)
    result = cli("import", "--from", tool, str(PROJECTS / tool), "-C", str(dest), "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert sorted(r["path"] for r in rows) == _files(dest)
    if tool in WRITTEN:
        assert _files(dest) == WRITTEN[tool]
    project = load_project(load_settings(dest))
    assert project.layout == "pgmanager" and project.problems == []
    assert all(MIGRATION_NAME.match(m.path.name) for m in project.migrations)
    source = load_project(load_settings(PROJECTS / tool))
    kept = [re.match(r"-- pgmanager import: from (\S+) version (\S+)", f.text).groups()  # type: ignore[union-attr]
            for f in [*project.migrations, *project.repeatables]]
    assert {t for t, _ in kept} == {tool}
    assert {v for _, v in kept} - {"R"} == {m.version for m in source.migrations}
    by_version = {m.version: m for m in source.migrations}
    for (_, version), f in zip(kept, [*project.migrations, *project.repeatables], strict=True):
        if version != "R":  # the SQL itself is the tool's, unchanged, after the header line
            assert by_version[version].text.strip("\n") in f.text

def test_import_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, cli) -> None:
    dest = _dest(tmp_path)
    (dest / "migrations").mkdir()
    taken = dest / "migrations" / "20000101000002_notes.sql"
    taken.write_text("-- mine\n")
    result = cli("import", "--from", "flyway", str(PROJECTS / "flyway"), "-C", str(dest))
    assert result.code == 2
    assert result.err.strip() == ("error: migrations/20000101000002_notes.sql: exists already (db/migration/"
                                  "V1_2__notes.sql would be written here); nothing was written: move it away or "
                                  "import into another project")
    assert _files(dest) == ["migrations/20000101000002_notes.sql"] and taken.read_text() == "-- mine\n"


def test_import_of_a_folder_without_migrations_is_a_usage_error(tmp_path: Path, cli) -> None:
    dest = _dest(tmp_path)
    (tmp_path / "empty").mkdir()
    result = cli("import", "--from", "dbmate", str(tmp_path / "empty"), "-C", str(dest))
    assert result.code == 2 and "no dbmate migrations found" in result.err and "\n" not in result.err.strip()
    assert _files(dest) == []


@pytest.mark.parametrize("tool", sorted(APPLY))
def test_a_database_the_tool_migrated_is_taken_over_by_the_imported_project(tool: str, tmp_path: Path, empty_db,
                                                                           cli) -> None:
    original = copy_project(tool, tmp_path)
    APPLY[tool](empty_db.dsn, original)
    run = cli("import", "--from", tool, str(original), "-C", str(_dest(tmp_path)))
    assert run.code == 0, run.err
    dest = tmp_path / "ours"
    report = status_json(cli, dest, empty_db.dsn)
    assert {(e["state"], e["source"]) for e in report["entries"]} == {("applied", tool)}, report["entries"]
    result = cli("migrate", "-C", str(dest), "--dsn", empty_db.dsn, "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["steps"] == []
    with psycopg.connect(empty_db.dsn) as conn:
        sources = {r[0] for r in conn.execute("select source from pgmanager.schema_history")}
        keys = {r[0] for r in conn.execute("select key from pgmanager.schema_history")}
    assert sources == {tool}
    assert keys == {f.key for f in [*load_project(load_settings(dest)).migrations,
                                    *load_project(load_settings(dest)).repeatables]}
