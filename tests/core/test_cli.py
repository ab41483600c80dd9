"""The command line's surface: every command listed with one line, exit codes documented."""

from __future__ import annotations

import click

from pgmanager.cli.main import cli as group


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


def test_help_lists_every_command_with_one_line(cli) -> None:
    result = cli("--help")
    assert result.code == 0
    listed = result.out.split("Commands:")[1]
    for name, command in _commands().items():
        line = next(line for line in listed.splitlines() if line.strip().startswith(name + " "))
        assert (command.get_short_help_str(limit=200) or "").split()[0] in line
    assert "Exit codes: 0 ok, 1 checks failed, 2 usage or configuration error" in " ".join(result.out.split())


def test_every_command_is_found() -> None:
    assert {"analyze", "check", "lint", "migrate", "plan", "repair", "rollback", "sandbox", "status",
            "verify"} <= set(_commands())


def test_unknown_command_and_option_are_usage_errors(cli) -> None:
    for args in (("check", "--no-such-option"), ("no-such-command",)):
        result = cli(*args)
        assert result.code == 2
        assert ("No such option" in result.err or "No such command" in result.err) and "Traceback" not in result.err
