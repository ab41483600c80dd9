"""`pgmanager supabase export`: the exported folder, applied by the Supabase CLI itself (2.117.0,
`supabase migration up --db-url`: each file in one transaction, recorded in
supabase_migrations.schema_migrations), gives the catalog `pgmanager migrate` gives; its pgTAP tests
(from our policy specs) pass there and fail when a policy is gone; a re-export adds only what changed."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.models import FileKind, SqlFile
from pgmanager.policies import run_tap_file
from pgmanager.project import read_sql_file
from pgmanager.sandbox import Sandbox, open_sandbox

from ._catalog import catalog

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "adopt"))
from _adopt_support import no_ssl, npm_tool

ROOT = Path(__file__).resolve().parent.parent.parent
EMULATION = (ROOT / "sql" / "supabase_auth.sql").read_text()


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with open_sandbox("auto") as box:
        yield box


def _database(box: Sandbox) -> str:
    name = "ex_" + secrets.token_hex(4)
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return box.dsn(name)


def _cli_up(dsn: str, folder: Path) -> str:
    proc = subprocess.run([str(npm_tool("supabase")), "migration", "up", "--db-url", no_ssl(dsn)], cwd=folder,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _tap(dsn: str, folder: Path) -> dict[str, list[bool]]:
    out = {}
    for path in sorted((folder / "supabase" / "tests").glob("pgmanager_*_test.sql")):
        f = read_sql_file(path, folder, FileKind.OTHER)
        assert isinstance(f, SqlFile), f
        with psycopg.connect(dsn, autocommit=True) as conn:
            out[path.name] = [r.passed for r in run_tap_file(conn, f)]
    return out


def test_the_export_applied_by_the_cli_is_what_migrate_builds(server: Sandbox, project_copy: Path, tmp_path: Path,
                                                             cli) -> None:
    folder = tmp_path / "out"
    result = cli("supabase", "export", str(folder), "-C", str(project_copy), "--format", "json")
    assert result.code == 0, result.err
    migrations = sorted(p.name for p in (folder / "supabase" / "migrations").glob("*.sql"))
    ours = sorted(p.name for p in (project_copy / "migrations").glob("*.sql") if not p.name.endswith(".rollback.sql"))
    assert migrations[:-1] == ours and migrations[-1].endswith("_pgmanager_repeatables.sql")
    assert (folder / "supabase" / "config.toml").is_file() and (folder / "supabase" / "seed.sql").is_file()

    by_cli, by_us = _database(server), _database(server)
    with psycopg.connect(by_cli, autocommit=True) as conn:
        conn.execute(EMULATION)  # what the Supabase platform provides
    _cli_up(by_cli, folder)
    migrated = cli("migrate", "-C", str(project_copy), "--dsn", by_us)
    assert migrated.code == 0, migrated.err
    with psycopg.connect(by_cli) as a, psycopg.connect(by_us) as b:
        theirs, ours_catalog = catalog(a), catalog(b)
        assert ours_catalog["policies"] and ours_catalog["views"] and ours_catalog["indexes"]
        for part in ours_catalog:
            assert theirs[part] == ours_catalog[part], part
        versions = [v for (v,) in a.execute("select version from supabase_migrations.schema_migrations order by 1")]
        assert versions == [m.split("_", 1)[0] for m in migrations]

    with psycopg.connect(by_cli, autocommit=True) as conn:
        conn.execute((folder / "supabase" / "seed.sql").read_text())  # type: ignore[call-overload]
    results = _tap(by_cli, folder)
    assert len(results) == 5 and all(all(r) and r for r in results.values()), results
    with psycopg.connect(by_cli, autocommit=True) as conn:  # the generated tests can fail
        conn.execute('drop policy "Users can view owned, shared and public projects" on public.projects')
    assert not all(_tap(by_cli, folder)["pgmanager_projects_test.sql"])

    again = cli("supabase", "export", str(folder), "-C", str(project_copy))
    assert again.code == 0 and "0 file(s) written" in again.out, again.out + again.err
    view = project_copy / "views" / "project_analytics.sql"
    view.write_text(view.read_text() + "\n-- changed\n")
    third = cli("supabase", "export", str(folder), "-C", str(project_copy), "--format", "json")
    assert third.code == 0, third.err
    new = sorted(set(p.name for p in (folder / "supabase" / "migrations").glob("*.sql")) - set(migrations))
    assert len(new) == 1 and new[0].endswith("_pgmanager_repeatables.sql")
    text = (folder / "supabase" / "migrations" / new[0]).read_text()
    assert [line for line in text.splitlines() if line.startswith("-- pgmanager repeatable:")] == [
        line for line in text.splitlines() if line.startswith("-- pgmanager repeatable: views/project_analytics.sql")]
    assert "-- pgmanager repeatable: views/project_analytics.sql" in text
    assert "Applying migration " + new[0] in _cli_up(by_cli, folder)


def test_export_never_overwrites_other_content(project_copy: Path, tmp_path: Path, cli) -> None:
    folder = tmp_path / "out"
    (folder / "supabase").mkdir(parents=True)
    (folder / "supabase" / "config.toml").write_text('project_id = "mine"\n')
    result = cli("supabase", "export", str(folder), "-C", str(project_copy))
    assert result.code == 2
    line = result.err.strip()
    assert "\n" not in line and "supabase/config.toml" in line and "nothing was written" in line
    assert sorted(p.name for p in (folder / "supabase").iterdir()) == ["config.toml"]
