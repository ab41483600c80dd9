"""`pgmanager`: the click group. Commands live one module each in cli/commands/ and register themselves."""

from __future__ import annotations

import importlib
import pkgutil

import click

from .. import __version__
from . import commands

EXIT_CODES = """Exit codes: 0 ok, 1 checks failed, 2 usage or configuration error,
3 database unreachable or database error, 130 interrupted."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
             epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="pgmanager")
def cli() -> None:
    """pgmanager: migrations, RLS policies and views for PostgreSQL and Supabase, SQL first."""


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="pgmanager")
