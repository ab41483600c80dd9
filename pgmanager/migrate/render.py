"""`plan --sql`: the exact SQL `migrate` would send for a plan, offline and reviewable.

Built from the same pieces the Applier executes (script.py, history.record_sql); only the measured
execution time of a non-transactional migration differs (the runner fills in what it measured).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..config import Settings
from ..models import Plan, Step
from ..parse import SqlDocument
from . import history
from .script import RESET_TIMEOUTS, Timeouts, advisory_lock_sql, advisory_unlock_sql, as_text, timeouts_sql


def _statements(doc: SqlDocument) -> list[str]:
    return [s.text.rstrip().rstrip(";") + ";" for s in doc.statements]


def _whole(doc: SqlDocument) -> list[str]:
    """A transactional file as sent: its text verbatim (comments included) in one query."""
    return [doc.file.text.rstrip("\n"), ";"]


def _record(settings: Settings, step: Step, doc: SqlDocument, measured: bool) -> str:
    return as_text(history.record_sql(settings.history_schema, key=step.key, kind=step.kind, name=doc.file.name,
                                      checksum=step.checksum, script=history.script_of(doc.file),
                                      execution_ms=0.0 if measured else None)) + ";\n" + as_text(
        history.clear_failure_sql(settings.history_schema, step.key)) + ";"


def render_sql(plan: Plan, docs: Mapping[str, SqlDocument], settings: Settings, *, target: str) -> str:
    """The script: lock, bookkeeping tables, each step in its transaction (or none), unlock."""
    schema = settings.history_schema
    out = [f"-- pgmanager migrate: {len(plan.steps)} step(s) for {target}",
           "-- one runner at a time: released by the server if this session ends; polled until true",
           f"-- (backoff with jitter, no transaction open, for at most lock_wait = {settings.lock_wait})",
           as_text(advisory_lock_sql()) + ";", "",
           "-- bookkeeping tables (created once; idempotent)"]
    out += [as_text(s) + ";" for s in history.ensure_sql(schema)]
    repeatables = [s for s in plan.steps if s.kind.repeatable]
    for step in (s for s in plan.steps if not s.kind.repeatable):
        doc = docs[step.file]
        t = Timeouts.for_doc(settings, doc)
        out.append("")
        if step.transactional:
            out += [f"-- {step.file} ({step.kind.value}, {step.reason}): one transaction with its history row",
                    "begin;", as_text(timeouts_sql(t, local=True)) + ";", *_whole(doc),
                    _record(settings, step, doc, measured=False), "commit;"]
        else:
            out += [f"-- {step.file}: runs outside a transaction ({step.no_transaction_reason}); "
                    "statement by statement, history row after the last",
                    as_text(timeouts_sql(t, local=False)) + ";"]
            for stmt in _statements(doc):
                out.append(stmt)
            out += [as_text(RESET_TIMEOUTS) + ";",
                    "-- execution_ms: the runner records the time it measured",
                    _record(settings, step, doc, measured=True)]
    if repeatables:
        out += ["", "-- repeatables: " + ", ".join(s.file for s in repeatables)
                + " (dependency order, one transaction)",
                "begin;", as_text(timeouts_sql(Timeouts.default(settings), local=True)) + ";"]
        for step in repeatables:
            doc = docs[step.file]
            out += [f"-- {step.file} ({step.reason})", *_whole(doc), _record(settings, step, doc, measured=False)]
        out.append("commit;")
    out += ["", as_text(advisory_unlock_sql()) + ";"]
    return "\n".join(out) + "\n"
