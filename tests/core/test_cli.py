"""The command line's surface: every command listed with one line, exit codes documented."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest

from pgmanager.cli.main import cli as group
from tests.conftest import ROOT


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


def test_help_lists_every_command_with_one_line(cli) -> None:
    result = cli("--help")
    assert result.code == 0
    listed = " ".join(result.out.split("Commands:")[1].split())
    for name, command in _commands().items():
        module = sys.modules[command.callback.__module__] if command.callback else None
        doc = (module.__doc__ or "") if module else ""
        assert doc.startswith(f"`pgmanager {name}"), (name, doc)  # the summary names its own command
        summary = doc.splitlines()[0].partition("`: ")[2].removesuffix(".")
        assert f"{name} {summary}" in listed, (name, summary)
    assert "Exit codes: 0 ok; 1 checks failed" in " ".join(result.out.split())


HEAVY = ("psycopg", "pglast", "hypothesis", "sqlfluff", "rich", "pgmanager.sandbox", "pgmanager.models.lint",
         "pgmanager.models.advise", "pgmanager.models.agent", "pgmanager.models.verify")


def _loaded(*args: str) -> list[str]:
    """The heavy modules imported by `pgmanager ARGS` (in a fresh interpreter)."""
    code = ("import sys\nfrom pgmanager.cli.main import main\nsys.argv = ['pgmanager', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          check=False)
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    return [m for m in last.split(",") if m]


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_import_no_heavy_module(args: list[str]) -> None:
    """Start-up: listing the commands or the version loads no database driver, parser, fuzzer or linter."""
    assert _loaded(*args) == []


def test_migrate_loads_neither_the_linter_nor_the_fuzzer() -> None:
    loaded = _loaded("migrate", "--help")
    assert "sqlfluff" not in loaded and "hypothesis" not in loaded, loaded


@pytest.mark.parametrize("command", ["migrate", "plan", "status"])
def test_migration_commands_load_only_their_models(command: str) -> None:
    """The DBA's commands build only the models they return (pgmanager.models is lazy), print plain lines
    without rich, and import the sandbox machinery only for a rehearsal."""
    loaded = set(_loaded(command, "--help"))
    assert not loaded & {"rich", "pgmanager.sandbox", "pgmanager.models.lint", "pgmanager.models.advise",
                         "pgmanager.models.agent"}, loaded


def test_models_package_exports_every_module_name_once() -> None:
    """The lazy re-export finds each name of every models module's __all__, and no name is declared twice."""
    import importlib
    import pkgutil

    import pgmanager.models as models

    seen: dict[str, str] = {}
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"pgmanager.models.{info.name}")
        for name in module.__all__:
            assert name not in seen, (name, seen.get(name), info.name)
            seen[name] = info.name
            assert getattr(models, name) is getattr(module, name)
    assert sorted(seen) == models.__all__
    with pytest.raises(AttributeError):
        _ = models.NoSuchModel


def test_every_command_is_found() -> None:
    assert {"analyze", "check", "lint", "migrate", "plan", "repair", "rollback", "sandbox", "status",
            "verify"} <= set(_commands())


def test_unknown_command_and_option_are_usage_errors(cli) -> None:
    for args in (("check", "--no-such-option"), ("no-such-command",)):
        result = cli(*args)
        assert result.code == 2
        assert ("No such option" in result.err or "No such command" in result.err) and "Traceback" not in result.err


# ------------------------------------------------------------------ issue 14: what a new user trips on


def _readme_exit_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| ") and line[2].isdigit()]
    return {int(code): meaning.strip() for code, meaning in rows}


def test_every_exit_code_is_documented_in_one_table() -> None:
    """README's table is errors.EXIT_CODES (the one home), --help prints it, every command page links to it."""
    from pgmanager.errors import EXIT_CODES

    assert _readme_exit_codes() == EXIT_CODES
    help_text = subprocess.run([sys.executable, "-m", "pgmanager", "--help"], capture_output=True, text=True,
                               check=True).stdout
    assert all(f"{code} " in help_text for code in EXIT_CODES) and "4 internal error" in " ".join(help_text.split())
    for name in _commands():
        page = ROOT / "docs" / "commands" / f"{name}.md"
        if page.is_file() and name not in ("advise", "import"):  # others' new pages: theirs to link
            assert "(../../README.md#exit-codes)" in page.read_text(encoding="utf-8"), page


def test_an_internal_error_is_one_line_and_exit_4() -> None:
    code = ("from pgmanager.cli._common import handle_errors\n"
            "handle_errors(lambda: {}['missing'])()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={k: v for k, v in os.environ.items() if k != "PGMANAGER_DEBUG"})
    assert proc.returncode == 4
    assert proc.stderr.strip().splitlines() == ["internal error: KeyError: 'missing' (set PGMANAGER_DEBUG=1 for a "
                                                "traceback)"]
    assert _readme_exit_codes()[4].startswith("internal error")


def test_readme_first_command_installs_quietly() -> None:
    """The set-up's first command: pip's ~116 lines of progress hidden, so what check prints comes first."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Set-up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    first = next(line for line in block.splitlines() if line.strip() and not line.startswith("#"))
    assert first.startswith("pip install -q ") and "&& pgmanager check" in first


def test_sandbox_down_with_nothing_up_is_a_noop(project_copy: Path, cli) -> None:
    res = cli("sandbox", "down", "-C", str(project_copy))
    assert (res.code, res.out.strip(), res.err) == (0, "no sandbox is up for this project: nothing to stop", "")
    res = cli("sandbox", "down", "-C", str(project_copy), "--format", "json")
    assert res.code == 0 and json.loads(res.out) == {"stopped": None}


@pytest.mark.skipif(importlib.util.find_spec("pgserver") is None,
                    reason="--sandbox embedded needs the embedded extra: pip install '.[embedded]'")
def test_check_on_the_embedded_server_names_the_skipped_pgtap_stage(cli) -> None:
    from pgmanager.cli.commands.check import junit, verdict
    from pgmanager.models import CheckReport

    res = cli("check", "--sandbox", "embedded", "--no-style", "--format", "json")
    assert res.code == 0, res.err
    report = CheckReport.model_validate_json(res.out)
    why = report.skipped["pgTAP"]
    assert why.startswith("no pgtap on the embedded server; install postgresql-") and "--sandbox local" in why
    assert verdict(report) == f"ok, 1 stage skipped (pgTAP: {why})"
    root = ET.fromstring(junit(report))
    stages = next(s for s in root if s.get("name") == "check stages")
    assert stages.get("skipped") == "1"
    [skipped] = [c for c in stages if c.find("skipped") is not None]
    assert skipped.get("name") == "pgTAP" and skipped.find("skipped").get("message") == why  # type: ignore[union-attr]
    assert {s.get("name") for s in root} >= {"check stages", "pgmanager lint", "coverage matrix", "specs"}
    assert int(root.get("tests", "0")) == sum(len(s) for s in root)


def test_sandbox_choice_says_why_auto_took_a_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from pgmanager.cli._render import sandbox_choice

    assert sandbox_choice("embedded", None, "embedded") == "--sandbox embedded"
    assert sandbox_choice("auto", None, "local") == "auto, the first of local, embedded, docker that works"
    monkeypatch.setenv("PGMANAGER_PG_BINDIR", "/nonexistent/bin")  # no local binaries: auto goes on to embedded
    why = sandbox_choice("auto", None, "embedded")
    assert why.startswith("auto, the first of local, embedded, docker that works; skipped local: ")
    assert "embedded:" not in why


def test_a_failed_check_says_which_stage_failed_and_why(cli, project_copy: Path) -> None:
    (project_copy / "migrations" / "20300101000000_index_projects.sql").write_text(
        "create index projects_name_idx on public.projects (name);\n")
    res = cli("check", "-C", str(project_copy), "--no-style", "--no-verify")
    assert res.code == 1, res.out + res.err
    last = res.out.strip().splitlines()[-1]
    assert last.startswith("failed (lint: ") and "at or above fail_on warning)" in last, last
    assert "style findings" not in last
