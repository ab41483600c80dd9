"""Text renderers for the models commands return (JSON is the model itself)."""

from __future__ import annotations

import click

from ..models import MigrateResult, StepResult
from ._common import out


def steps_text(steps: list[StepResult]) -> str:
    """An aligned plain-text table of applied steps (rich's Table costs ~1 ms a row: too slow for 200)."""
    rows = [("file", "kind", "action", "tx", "stmts", "ms")] + [
        (s.file, s.kind.value, s.action.value, "yes" if s.transactional else "no", str(s.statements),
         f"{s.duration_ms:.1f}")
        for s in steps
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    return "\n".join(
        "  ".join(cell.rjust(w) if i >= 4 else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        .rstrip()
        for r in rows
    )


def print_migrate(result: MigrateResult) -> None:
    if not result.steps:
        out.print(f"{result.target}: nothing to do, schema is up to date", markup=False)
        return
    click.echo(steps_text(result.steps))
    out.print(f"{result.target}: applied {result.applied} step(s) in {result.duration_ms / 1000:.2f} s", markup=False)
