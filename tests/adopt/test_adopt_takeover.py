"""Taking over a database each tool migrated: status sees it applied, migrate seeds our history from the
tool's in one transaction and re-runs nothing; bad histories are refused, changing nothing."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from _adopt_support import APPLY, copy_project, flyway_by_hand, golang_migrate_by_hand, run_sql, status_json

NEW_FILE = {
    "yoyo": ("migrations/20240107_01_tags.sql", "-- depends: 20240101_02_note_count\n{sql}"),
    "dbmate": ("db/migrations/20240107000000_tags.sql",
               "-- migrate:up\n{sql}\n-- migrate:down\ndrop table public.tags;\n"),
    "supabase": ("supabase/migrations/20240107000000_tags.sql", "{sql}"),
    "golang-migrate": ("migrations/11_tags.up.sql", "{sql}"),
    "flyway": ("db/migration/V2__tags.sql", "{sql}"),
}
APPLIED = {"yoyo": 3, "dbmate": 3, "supabase": 3, "golang-migrate": 3, "flyway": 5}  # flyway: 3 V + 2 R files
TAGS = "create table public.tags (note_id bigint references public.notes (id), tag text not null);\n"


def _history(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return [(r[0], r[1]) for r in conn.execute("select key, source from pgmanager.schema_history order by key")]


@pytest.mark.parametrize("tool", sorted(APPLY))
def test_takeover_recognises_the_tools_history_and_reruns_nothing(tool: str, tmp_path: Path, empty_db, cli) -> None:
    root = copy_project(tool, tmp_path)
    APPLY[tool](empty_db.dsn, root)
    run_sql(empty_db.dsn, "insert into public.accounts (email) values ('kept@example.com')")

    report = status_json(cli, root, empty_db.dsn)
    states = {(e["state"], e["source"]) for e in report["entries"]}
    assert states == {("applied", tool)}, report["entries"]
    assert len(report["entries"]) == APPLIED[tool]
    with psycopg.connect(empty_db.dsn) as conn:  # status only reads
        assert conn.execute("select to_regnamespace('pgmanager')").fetchone() == (None,)
    text = cli("status", "-C", str(root), "--dsn", empty_db.dsn)
    assert f"{APPLIED[tool]} applied entries adopted from {tool}" in text.out

    first = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn, "--format", "json")
    assert first.code == 0, first.err
    assert '"steps": []' in first.out.replace("\n", "").replace("  ", " ") or '"steps":[]' in first.out
    seeded = _history(empty_db.dsn)
    assert len(seeded) == APPLIED[tool] and {s for _, s in seeded} == {tool}
    verbose = cli("status", "-C", str(root), "--dsn", empty_db.dsn, "-v")
    assert f"[adopted from {tool}]" in verbose.out and "up to date" in verbose.out

    name, body = NEW_FILE[tool]
    (root / name).write_text(body.format(sql=TAGS))
    second = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn, "--format", "json")
    assert second.code == 0, second.err
    after = _history(empty_db.dsn)
    assert len(after) == APPLIED[tool] + 1
    assert [s for _, s in after].count("pgmanager") == 1
    with psycopg.connect(empty_db.dsn) as conn:
        assert conn.execute("select email from public.accounts").fetchall() == [("kept@example.com",)]
        assert conn.execute("select to_regclass('public.tags') is not null").fetchone() == (True,)


def test_golang_migrate_latest_version_means_every_earlier_one(tmp_path: Path, empty_db, cli) -> None:
    root = copy_project("golang-migrate", tmp_path)
    golang_migrate_by_hand(empty_db.dsn, root, upto=2)
    report = status_json(cli, root, empty_db.dsn)
    assert [(e["key"], e["state"]) for e in report["entries"]] == [("1", "applied"), ("2", "applied"),
                                                                     ("10", "pending")]
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn)
    assert result.code == 0, result.err
    assert _history(empty_db.dsn) == [("1", "golang-migrate"), ("10", "pgmanager"), ("2", "golang-migrate")]


def test_dirty_golang_migrate_database_is_refused(tmp_path: Path, empty_db, cli) -> None:
    root = copy_project("golang-migrate", tmp_path)
    golang_migrate_by_hand(empty_db.dsn, root, upto=2, dirty=True)
    for command in ("status", "migrate"):
        result = cli(command, "-C", str(root), "--dsn", empty_db.dsn)
        assert result.code == 1
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and "golang-migrate marked version 2 dirty" in lines[0]
        assert "public.schema_migrations" not in lines[0] or "schema_migrations" in lines[0]
    with psycopg.connect(empty_db.dsn) as conn:
        assert conn.execute("select to_regnamespace('pgmanager')").fetchone() == (None,)


@pytest.mark.parametrize(("tool", "table"), [
    ("dbmate", "create table public.schema_migrations (version bigint, dirty boolean, applied_at timestamptz)"),
    ("flyway", "create table public.flyway_schema_history (installed_rank int, version text)"),
    ("yoyo", "create table public._yoyo_migration (id text)"),
])
def test_history_table_of_unknown_shape_is_refused(tool: str, table: str, tmp_path: Path, empty_db, cli) -> None:
    root = copy_project(tool, tmp_path)
    run_sql(empty_db.dsn, table)
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn)
    assert result.code == 1
    line = result.err.strip()
    assert "\n" not in line and "is not a shape pgmanager knows" in line and "nothing was changed" in line
    with psycopg.connect(empty_db.dsn) as conn:
        assert conn.execute("select to_regnamespace('pgmanager')").fetchone() == (None,)
        assert conn.execute("select to_regclass('public.accounts')").fetchone() == (None,)


def test_flyway_file_edited_since_it_ran_is_drift(tmp_path: Path, empty_db, cli) -> None:
    root = copy_project("flyway", tmp_path)
    flyway_by_hand(empty_db.dsn, root)
    edited = root / "db/migration/V1_2__notes.sql"
    edited.write_text(edited.read_text() + "-- a later edit\n")
    report = status_json(cli, root, empty_db.dsn)
    states = {e["key"]: e["state"] for e in report["entries"]}
    assert states["1.2"] == "drifted" and states["1"] == "applied"
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn)
    assert result.code == 1 and "applied migration changed since it ran" in result.err
    with psycopg.connect(empty_db.dsn) as conn:
        assert conn.execute("select to_regnamespace('pgmanager')").fetchone() == (None,)


def test_flyway_repeatable_changed_since_is_reapplied_not_the_migrations(tmp_path: Path, empty_db, cli) -> None:
    root = copy_project("flyway", tmp_path)
    flyway_by_hand(empty_db.dsn, root)
    rep = root / "db/migration/repeatable/R__note_count.sql"
    rep.write_text(rep.read_text().replace("count(*)", "count(id)"))
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn, "--format", "json")
    assert result.code == 0, result.err
    assert '"key": "db/migration/repeatable/R__note_count.sql"' in result.out
    assert result.out.count('"key"') == 1
    with psycopg.connect(empty_db.dsn) as conn:
        assert "count(id)" in conn.execute("select prosrc from pg_proc where proname = 'note_count'").fetchone()[0]
