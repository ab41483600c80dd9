"""`pgmanager analyze` as users run it: a real process, text, json and dot, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_text_json_and_dot() -> None:
    text = run_cli("analyze")
    assert text.code == 0, text.err
    header = "migrations/20240301000000_add_files_project_updated_index.sql  [migration, outside a transaction"
    assert header in text.out
    assert "SHARE UPDATE EXCLUSIVE  public.files SCAN" in text.out
    assert "policy Files are readable with their project on public.files" in text.out
    assert "    calls function private.can_read_project" in text.out

    data = json.loads(run_cli("analyze", "--format", "json").out)
    files = {f["file"]: f for f in data["files"]}
    assert files["policies/projects.sql"]["altered"] == [{"kind": "table", "name": "public.projects"}]
    assert {"kind": "foreign-key", "source": "public.files", "target": "public.projects"} in [
        {"kind": e["kind"], "source": e["source"]["name"], "target": e["target"]["name"]} for e in data["edges"]]

    dot = run_cli("analyze", "--format", "dot")
    assert dot.code == 0 and dot.out.startswith("digraph pgmanager {")
    assert '"table public.files" -> "table public.projects" [label="foreign-key"];' in dot.out


def test_bad_input_is_one_line_and_exit_1(tmp_path: Path) -> None:
    missing = run_cli("analyze", str(tmp_path / "nope.sql"))
    assert missing.code == 1 and "nope.sql: no such file or folder" in missing.err
    assert "Traceback" not in missing.err and len(missing.err.strip().splitlines()) == 1

    broken = tmp_path / "20990101000000_broken.sql"
    broken.write_text("create table ok_table (id int);\nalter tabel x add column y int;\n")
    result = run_cli("analyze", "--no-statements", str(broken))
    assert result.code == 1
    assert result.out.count("20990101000000_broken.sql:2:7: syntax error") == 1


def test_paths_show_the_edges_of_what_they_touch(tmp_path: Path) -> None:
    new = tmp_path / "20990101000000_usage_kind.sql"
    new.write_text("alter table public.usage_metrics add column kind text;\n")
    result = run_cli("analyze", str(new))
    assert result.code == 0, result.err
    assert "risk: medium" in result.out
    assert "  policy Users can view their own usage on public.usage_metrics" in result.out
    assert "  table public.usage_metrics\n    foreign-key table public.users" in result.out
    assert "view public.project_analytics" not in result.out  # reads nothing this file touches
    assert "more edges in the project: run without PATHS to see all" in result.out
