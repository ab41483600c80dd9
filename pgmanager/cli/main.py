"""`pgmanager`: the click group. Commands live one module each in cli/commands/ and register themselves:
a module defining `command` is found by name, and imported only when that command runs (or for its own
--help). `pgmanager --help` lists them from their modules' docstrings, importing none of them."""

from __future__ import annotations

import gc
import importlib
import pkgutil
import sys
from pathlib import Path

import click

from .. import __version__
from ..errors import EXIT_CODES
from ..redaction import redact_stdio, register_startup_secrets
from . import commands

EPILOG = "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()) + "."


def _summary(module_name: str) -> str:
    """The first line of a command module's docstring, less its "`pgmanager X`: " head; read, not imported."""
    text = (Path(commands.__path__[0]) / f"{module_name}.py").read_text(encoding="utf-8")
    first = text.split('"""', 2)[1].strip().splitlines()[0] if text.lstrip().startswith('"""') else ""
    head, sep, rest = first.partition("`: ")
    return (rest if sep and head.startswith("`pgmanager") else first).removesuffix(".")


def _command_name(module_name: str) -> str:
    """cli/commands/foo_bar.py is `foo-bar`; a trailing _ (import_.py, a Python keyword) is dropped."""
    return module_name.removesuffix("_").replace("_", "-")


class LazyGroup(click.Group):
    """Finds commands in cli/commands/ and imports a command's module only when it is needed."""

    freeze_after_import = False
    """Set by :func:`main` (a process of its own): once the command's modules are imported, their objects live
    until the process exits, so they are moved out of the garbage collector's sight (``gc.freeze``). Then no
    full collection walks them again, and neither does the interpreter's shutdown: about a tenth of a second
    of every command here. Not done when the group runs inside another program (tests, an embedding)."""

    def _names(self) -> list[str]:
        return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(_command_name(n) for n in self._names())})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each module docstring's summary: `pgmanager X`: <this part>."""
        rows = [(_command_name(n), _summary(n)) for n in self._names()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None:
            return known
        module_name = cmd_name.replace("-", "_")
        if module_name not in self._names():
            module_name += "_"  # a command named by a Python keyword (import) lives in import_.py
        if module_name not in self._names():
            return None
        return self._load(module_name)

    def _load(self, module_name: str) -> click.Command:
        command = getattr(importlib.import_module(f"{commands.__name__}.{module_name}"), "command", None)
        if not isinstance(command, click.Command):
            raise click.ClickException(f"cli/commands/{module_name}.py defines no click command")
        self.add_command(command)
        if self.freeze_after_import:
            gc.freeze()
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
             epilog=EPILOG)
@click.version_option(__version__, prog_name="pgmanager")
def cli() -> None:
    """pgmanager: migrations, RLS policies and views for PostgreSQL and Supabase, SQL first."""


def main() -> None:
    # Before anything can print: the passwords of the environment (PGPASSWORD, PGSERVICE's) and of every
    # argument or variable that may be a DSN are registered, and stdout/stderr redact them (no psycopg here).
    register_startup_secrets(sys.argv[1:])
    redact_stdio()
    cli.freeze_after_import = True
    cli(prog_name="pgmanager")
