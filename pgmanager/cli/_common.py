"""Options shared by commands, output helpers and the error boundary."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import click
from pydantic import BaseModel

from ..api import inputs
from ..config import PROVIDERS, Settings, resolve_dsn
from ..errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, ConfigError, PgmError
from ..project import Project
from ..redaction import RedactingStream, redact

F = TypeVar("F", bound=Callable[..., Any])

# The output boundary: every byte the CLI prints passes through redact. main() wraps sys.stdout and
# sys.stderr (so click's own messages, click.echo and print are redacted too); the consoles write through
# a redacting stream of their own as well, so that they stay safe when used without main().
# They are made on first use: importing rich costs ~30 ms that a command printing plain text never pays.
if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    def __init__(self, make: Callable[[], Console]) -> None:
        self._make = make
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            self._console = self._make()
        return getattr(self._console, name)


def _stdout_console() -> Console:
    from rich.console import Console

    console = Console(file=cast(IO[str], RedactingStream(lambda: sys.stdout)), highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 160  # piped: do not cut file paths at 80 columns
    return console


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(file=cast(IO[str], RedactingStream(lambda: sys.stderr)), stderr=True, highlight=False,
                   soft_wrap=True)


out = cast("Console", _LazyConsole(_stdout_console))
err = cast("Console", _LazyConsole(_stderr_console))


def echo(text: str, *, nl: bool = True, err: bool = False) -> None:
    """Plain text on stdout (or stderr), redacted, without rich (whose import a plain line need not pay)."""
    click.echo(redact(text), nl=nl, err=err)


def project_option(f: F) -> F:
    return click.option("-C", "--project", "project_dir", type=click.Path(path_type=Path),
                        default=None, help="Project folder (default: found upward from the current folder).")(f)


def format_option(*choices: str) -> Callable[[F], F]:
    values = choices or ("text", "json")

    def deco(f: F) -> F:
        return click.option("--format", "fmt", type=click.Choice(values), default="text", show_default=True,
                            help="Output format.")(f)
    return deco


def output_option(f: F) -> F:
    """``-o/--output FILE``: what the command prints on stdout (its report, in any --format) goes to FILE
    instead; stderr is unchanged and gets one line saying where the report went. Declared once, here."""

    @functools.wraps(f)
    def wrapper(*args: Any, output: Path | None = None, **kwargs: Any) -> Any:
        if output is None:
            return f(*args, **kwargs)
        buffer = io.StringIO()
        code: int | str | None = 0
        try:
            with contextlib.redirect_stdout(buffer):
                return f(*args, **kwargs)
        except SystemExit as exc:
            code = exc.code
            raise
        finally:
            if buffer.getvalue():  # nothing when the command failed before reporting: no empty file
                try:
                    output.write_text(redact(buffer.getvalue()), encoding="utf-8")
                except OSError as exc:
                    err.print(f"error: -o/--output: cannot write {output}: {exc.strerror}", markup=False)
                    sys.exit(EXIT_USAGE)
                state = "ok" if code in (0, None) else f"failed (exit {code})"
                err.print(f"{state}: report written to {output}", markup=False)

    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="Write the report (what goes to stdout) to this file instead.")(
        wrapper)  # type: ignore[return-value]


def sandbox_options(f: F) -> F:
    f = click.option("--keep", is_flag=True, help="Keep a failed sandbox running for inspection.")(f)
    f = click.option("--sandbox-dsn", envvar="PGMANAGER_SANDBOX_DSN", default=None,
                     help="Server for --sandbox dsn (each sandbox is a new database on it).")(f)
    return click.option("--sandbox", type=click.Choice(PROVIDERS), default=None,
                        help="Where throwaway PostgreSQL comes from (default: settings, auto).")(f)


def target_options(f: F) -> F:
    f = click.option("--target", default=None, help="A named target from [tool.pgmanager.targets].")(f)
    return click.option("--dsn", default=None,
                        help="Target database (else DATABASE_URL, else libpq PG* variables).")(f)


def load(project_dir: Path | None, **overrides: Any) -> tuple[Settings, Project]:
    if project_dir is not None and not project_dir.is_dir():
        what = "is not a folder" if project_dir.exists() else "does not exist"
        raise ConfigError(f"project folder {project_dir} {what}", where="-C/--project")
    return inputs.load(project_dir, **overrides)


def target_dsn(settings: Settings, dsn: str | None, target: str | None) -> str:
    return resolve_dsn(settings, dsn, target)


def emit_json(data: BaseModel | list[Any] | dict[str, Any]) -> None:
    """JSON on stdout, redacted (a registered secret is redacted in its JSON-escaped forms too)."""
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=2)
    else:
        text = json.dumps(_plain(data), indent=2, default=str)
    echo(text)


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_plain(d) for d in data]
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    return data


def interactive() -> bool:
    """A person watches stderr (rich's own test, which honours FORCE_COLOR), and this is not a CI job."""
    if os.environ.get("CI"):
        return False
    return err.is_terminal if "FORCE_COLOR" in os.environ or os.environ.get("TTY_COMPATIBLE") else sys.stderr.isatty()


@contextmanager
def progress(label: str, enabled: bool = True) -> Iterator[Callable[[Any, int, int], None] | None]:
    """A rich progress bar on a terminal; nothing when piped (the output stays machine-readable)."""
    if not (enabled and interactive()):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[item]}"), console=err, transient=True)
    task = bar.add_task(label, total=None, item="")

    def update(step: Any, index: int, total: int) -> None:
        bar.update(task, total=total, completed=index, item=getattr(step, "file", ""))

    with bar:
        yield update


def handle_errors(f: F) -> F:
    """The error boundary: a PgmError is one line on stderr and its exit code; never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except PgmError as exc:
            err.print(f"error: {redact(str(exc))}", markup=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("interrupted: everything started was stopped", markup=False)
            sys.exit(EXIT_INTERRUPTED)
        except click.exceptions.ClickException:
            raise
        except Exception as exc:  # a bug of ours: still one line, unless debugging
            if os.environ.get("PGMANAGER_DEBUG"):
                raise
            err.print(f"internal error: {type(exc).__name__}: {redact(str(exc))} "
                      "(set PGMANAGER_DEBUG=1 for a traceback)", markup=False)
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]
