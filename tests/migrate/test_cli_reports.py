"""What migrate, rollback, status and plan print: counts that agree with each other, aligned plan columns,
and -o/--output on every command with a report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from _migrate_support import MiniProject


def test_migrate_counts_what_status_counts(project_copy: Path, empty_db, cli) -> None:
    res = cli("migrate", "-C", str(project_copy), "--dsn", empty_db.dsn)
    assert res.code == 0, res.err
    summary = res.out.strip().splitlines()[-1]
    m = re.search(r"applied (\d+) migrations, (\d+) policy and view files and the Supabase auth emulation", summary)
    assert m, summary
    status = cli("status", "-C", str(project_copy), "--dsn", empty_db.dsn, "--format", "json")
    assert status.code == 0, status.err
    entries = json.loads(status.out)["entries"]
    applied = [e for e in entries if e["state"] == "applied"]
    assert int(m.group(1)) + int(m.group(2)) == len(applied)
    assert "step(s)" not in res.out


def test_rollback_says_rolled_back(tmp_path: Path, empty_db, cli) -> None:
    p = MiniProject(tmp_path)
    p.migration(1, "t", "create table public.t (id int);\n")
    p.write(f"migrations/{p.key(1)}_t.rollback.sql", "drop table public.t;\n")
    assert cli("migrate", "-C", str(p.root), "--dsn", empty_db.dsn).code == 0
    res = cli("rollback", "-C", str(p.root), "--dsn", empty_db.dsn)
    assert res.code == 0, res.err
    assert ": rolled back 1 migration in " in res.out and "applied" not in res.out.splitlines()[-1]


def test_plan_columns_stay_aligned_with_long_names(tmp_path: Path, cli) -> None:
    long = "t" * 60
    p = MiniProject(tmp_path)
    p.migration(1, "long", f"create table public.{long} (id int);\ncomment on table public.{long} is 'x';\n"
                           "create table public.short (id int);\nselect 1;\n")
    res = cli("plan", "-C", str(p.root), "--offline")
    assert res.code == 0, res.err
    rows = [line for line in res.out.splitlines() if re.match(r"^\s+\d+  ", line)]
    assert len(rows) == 4
    starts = {line.index(summary) for line, summary in zip(rows, (
        "create table", "comment on table", "create table", "select 1"), strict=True)}
    assert len(starts) == 1, res.out


def test_output_option_on_every_reporting_command(tmp_path: Path, empty_db, cli) -> None:
    p = MiniProject(tmp_path / "project")
    p.migration(1, "t", "create table public.t (id int);\n")
    runs = {
        "plan": ["plan", "--offline"],
        "analyze": ["analyze", "--format", "json"],
        "lint": ["lint", "--no-style", "--format", "json"],
        "migrate": ["migrate", "--dsn", empty_db.dsn],
        "status": ["status", "--dsn", empty_db.dsn, "--format", "json"],
    }
    for name, args in runs.items():
        report = tmp_path / f"{name}.out"
        res = cli(*args, "-C", str(p.root), "-o", str(report))
        assert res.out == "", name  # the report went to the file
        state = "ok" if res.code == 0 else f"failed (exit {res.code})"  # lint: findings on this tiny project
        assert res.code in ((0, 1) if name == "lint" else (0,)), (name, res.err)
        assert f"{state}: report written to {report}" in res.err, name
        assert report.read_text().strip(), name
    assert json.loads((tmp_path / "status.out").read_text())["entries"][0]["state"] == "applied"
    for command in ("check", "verify", "bench", "rollback", "repair"):
        assert "-o, --output" in cli(command, "--help").out, command
