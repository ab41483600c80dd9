"""The command line's surface: every command listed with one line, exit codes documented."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from pgmanager.cli.main import cli as group


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
    assert "Exit codes: 0 ok, 1 checks failed, 2 usage or configuration error" in " ".join(result.out.split())


HEAVY = ("psycopg", "pglast", "hypothesis", "sqlfluff")


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


def test_every_command_is_found() -> None:
    assert {"analyze", "check", "lint", "migrate", "plan", "repair", "rollback", "sandbox", "status",
            "verify"} <= set(_commands())


def test_unknown_command_and_option_are_usage_errors(cli) -> None:
    for args in (("check", "--no-such-option"), ("no-such-command",)):
        result = cli(*args)
        assert result.code == 2
        assert ("No such option" in result.err or "No such command" in result.err) and "Traceback" not in result.err
