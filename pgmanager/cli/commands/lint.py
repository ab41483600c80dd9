"""`pgmanager lint [PATHS]`: migration-safety, security and style findings, without a database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...api import linting
from ...config import load_settings
from ...layouts import load_project
from ...models import Severity
from .. import _reporters as reporters
from .._common import echo, handle_errors, output_option, project_option


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@project_option
@click.option("--format", "fmt", type=click.Choice(reporters.FORMATS), default="text", show_default=True,
              help="Output format (sarif: 2.1.0, for GitHub code scanning; github: workflow annotations).")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default=None,
              help="Exit 1 when a finding is at or above this severity (default: settings, warning).")
@click.option("--fix", is_flag=True, help="Apply mechanical fixes to the files, then report what remains.")
@click.option("--no-style", is_flag=True, help="Skip sqlfluff (the style engine): AST rules only.")
@click.option("--no-cache", is_flag=True, help="Lint every file again instead of reusing cached findings.")
@click.option("--rule", "rules", multiple=True, help="Run only this rule (repeatable).")
@output_option
@handle_errors
def command(paths: tuple[Path, ...], project_dir: Path | None, fmt: str, fail_on: str | None, fix: bool,
            no_style: bool, no_cache: bool, rules: tuple[str, ...]) -> None:
    """Lint migrations, policies and views: safety and security rules over the AST, sqlfluff for style.

    The whole project is read (rules see the schema every migration, policy and view leaves);
    findings are reported for PATHS (default: every file). Ignore one finding with
    `-- pgmanager-ignore <rule>: reason` before the statement, a whole file with
    `-- pgmanager-ignore-file <rule>`.
    """
    settings = load_settings(project_dir)  # lint needs no migrations folder: findings() is not for it
    project = load_project(settings)
    report = linting.lint(settings, project, list(paths) or None, fix=fix, style=not no_style, cache=not no_cache,
                      rules=list(rules) or None, fail_on=fail_on)
    body = reporters.render(report, fmt, settings.root, suite="pgmanager lint")
    if body:
        echo(body)
    if fmt == "text":
        if report.fixes_applied:
            echo(f"fixed {report.fixes_applied} finding(s) in {len(report.fixed_files)} file(s)", err=True)
        counts = ", ".join(f"{report.count(s)} {s.value}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))
        echo(f"linted {report.files} files, {report.statements} statements: {counts} "
             f"({report.timings_ms.get('total', 0) / 1000:.2f} s, {report.cached_files} from cache)", err=True)
    sys.exit(0 if report.ok else 1)
