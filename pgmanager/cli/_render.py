"""Text renderers for the models commands return (JSON is the model itself)."""

from __future__ import annotations

from rich.table import Table

from ..models import Finding, MigrateResult, StepResult
from ._common import out


def finding_line(f: Finding) -> str:
    return f"{f.location}: {f.severity.value}: {f.message} [{f.rule}]"


def print_findings(findings: list[Finding]) -> None:
    for f in findings:
        out.print(finding_line(f), markup=False)


def steps_table(steps: list[StepResult], title: str | None = None) -> Table:
    table = Table(title=title, show_edge=False, box=None, pad_edge=False)
    for col, justify in (("file", "left"), ("kind", "left"), ("action", "left"), ("tx", "left"),
                         ("stmts", "right"), ("ms", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for s in steps:
        table.add_row(s.file, s.kind.value, s.action, "yes" if s.transactional else "no", str(s.statements),
                      f"{s.duration_ms:.1f}")
    return table


def print_migrate(result: MigrateResult) -> None:
    if not result.steps:
        out.print(f"{result.target}: nothing to do, schema is up to date", markup=False)
        return
    out.print(steps_table(result.steps))
    out.print(f"{result.target}: applied {result.applied} step(s) in {result.duration_ms / 1000:.2f} s", markup=False)
