"""The command line's surface: every command listed with one line, exit codes documented."""

from __future__ import annotations

from pgmanager.cli.main import cli as group


def test_help_lists_every_command_with_one_line(cli) -> None:
    result = cli("--help")
    assert result.code == 0
    listed = result.out.split("Commands:")[1]
    for name, command in group.commands.items():
        line = next(line for line in listed.splitlines() if line.strip().startswith(name + " "))
        assert (command.get_short_help_str(limit=200) or "").split()[0] in line
    assert "Exit codes: 0 ok, 1 checks failed, 2 usage or configuration error" in " ".join(result.out.split())


def test_core_commands_exist() -> None:
    assert {"check", "sandbox", "migrate", "rollback"} <= set(group.commands)


def test_unknown_option_is_a_usage_error(cli) -> None:
    result = cli("check", "--no-such-option")
    assert result.code == 2
    assert "No such option" in result.err and "Traceback" not in result.err
