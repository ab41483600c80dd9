"""Text renderers for the models commands return (JSON is the model itself)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..models import FileKind, MigrateResult, StepOutcome, StepResult
from ._common import echo


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
        echo(f"{result.target}: nothing to do, schema is up to date")
        return
    click.echo(steps_text(result.steps))
    echo(f"{result.target}: {steps_summary(result.steps)} in {result.duration_ms / 1000:.2f} s")


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def files_text(kinds: Sequence[FileKind]) -> str:
    """Files counted as `status` counts them: migrations, policy and view files; the auth emulation (applied on
    plain PostgreSQL, not a migration) and the seed are named, not counted. "" for none."""
    parts = []
    migrations = sum(k == FileKind.MIGRATION for k in kinds)
    repeatables = sum(k.repeatable for k in kinds)
    if migrations:
        parts.append(_n(migrations, "migration", "migrations"))
    if repeatables:
        parts.append(_n(repeatables, "policy or view file", "policy and view files"))
    parts += [name for kind, name in ((FileKind.AUTH_EMULATION, "the Supabase auth emulation"),
                                      (FileKind.SEED, "the seed")) if kind in kinds]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def steps_summary(steps: list[StepResult]) -> str:
    """What migrate or rollback did: "applied 6 migrations, 11 policy and view files and the Supabase auth
    emulation", "rolled back 1 migration"."""
    back = [FileKind.MIGRATION if s.kind == FileKind.ROLLBACK else s.kind for s in steps
            if s.action == StepOutcome.ROLLED_BACK]  # a rollback file undoes its migration
    done = files_text([s.kind for s in steps if s.action != StepOutcome.ROLLED_BACK])
    texts = ([f"rolled back {files_text(back)}"] if back else []) + ([f"applied {done}"] if done else [])
    return "; ".join(texts) or "nothing done"


def sandbox_choice(requested: str, sandbox_dsn: str | None, chosen: str) -> str:
    """Why this provider: asked for by name, or auto's first that works (and why the ones before it did not)."""
    if requested != "auto":
        return f"--sandbox {requested}"
    from ..sandbox import providers  # the sandbox machinery stays out of migrate's and plan's start-up

    skipped = []
    for provider in providers("auto", sandbox_dsn):
        if provider.name == chosen:
            break
        reason = provider.unavailable()
        if reason:
            skipped.append(f"{provider.name}: {reason}")
    order = ", ".join(p.name for p in providers("auto", sandbox_dsn))
    return f"auto, the first of {order} that works" + (f"; skipped {'; '.join(skipped)}" if skipped else "")
