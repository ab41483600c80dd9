"""Migrating: the plan and its details, results, history, status and repair."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from ._base import FileKind, Model
from .analyze import LockDetail

__all__ = [
    "Drift", "HistoryRow", "InvalidIndex", "MigrateResult", "MigrationState", "Plan", "PlanReport",
    "RepairResult", "StatementDetail", "StatusEntry", "StatusReport", "Step", "StepAction", "StepDetail",
    "StepOutcome", "StepResult",
]


class StepOutcome(StrEnum):
    """What happened to a step on a database."""

    APPLIED = "applied"
    REAPPLIED = "reapplied"
    ROLLED_BACK = "rolled back"


class StepResult(Model):
    """One migration or repeatable applied (or rolled back) on a database."""

    key: str
    file: str
    kind: FileKind
    action: StepOutcome
    transactional: bool = True
    statements: int
    duration_ms: float
    resumed_at: int = Field(default=0, description="statements skipped as done by an earlier, interrupted attempt")


class MigrateResult(Model):
    target: str = Field(description="redacted DSN or sandbox name")
    steps: list[StepResult] = []
    duration_ms: float = 0.0

    @property
    def applied(self) -> int:
        return len(self.steps)


class HistoryRow(Model):
    key: str
    kind: FileKind
    name: str
    checksum: str
    applied_at: str
    execution_ms: float
    applied_by: str
    source: str = Field(default="pgmanager", description="who applied it: pgmanager, or the tool whose history "
                                                         "it was adopted from (flyway, yoyo, ...)")
    text: str | None = Field(default=None, exclude=True, description="the normalized text as applied")


class StepAction(StrEnum):
    APPLY = "apply"
    REAPPLY = "reapply"


class Step(Model):
    """One unit of work in a plan: a migration, or a repeatable to (re)apply."""

    key: str
    file: str
    kind: FileKind
    action: StepAction
    checksum: str
    transactional: bool = True
    no_transaction_reason: str | None = None
    statements: int = 0
    reason: str = ""
    resume_at: int = Field(default=0, description="statements already done by an earlier, interrupted attempt "
                                                  "(a non-transactional migration resumes after them)")
    in_flight: bool = Field(default=False, description="statement resume_at was running when an attempt died: "
                                                       "reconciled by its effect before it runs again")


class Drift(Model):
    """An applied migration whose file changed since (or vanished)."""

    key: str
    file: str
    applied_checksum: str
    current_checksum: str | None
    summary: str


class Plan(Model):
    """What `migrate` would do, computed without touching the database beyond reading history."""

    steps: list[Step] = []
    drift: list[Drift] = []
    out_of_order: list[str] = []
    unknown_applied: list[str] = Field(default=[], description="applied on the target, absent from the project")

    @property
    def blocked(self) -> bool:
        return bool(self.drift or self.unknown_applied)


class StatementDetail(Model):
    """One statement of a planned step: where it is, whether it runs in a transaction, what it locks."""

    line: int
    col: int
    kind: str = Field(description="pglast node name, e.g. AlterTableStmt")
    summary: str = Field(description="the statement's first line, shortened")
    transactional: bool = True
    locks: list[LockDetail] = []


class StepDetail(Model):
    step: Step
    statements: list[StatementDetail] = []
    lock_timeout_ms: int = Field(default=0, description="the first attempt's lock_timeout")
    lock_timeout_max_ms: int = Field(default=0, description="the cap later attempts escalate to")
    statement_timeout_ms: int = 0
    lock_retries: int = 0
    lock_wait_bound_s: float = Field(default=0, description="the longest the step can wait for locks, every "
                                                            "attempt and sleep between them included")
    risk: Literal["none", "low", "medium", "high", "critical"] | None = Field(
        default=None, description="the highest risk of its locks (plan --dsn); None offline")


class PlanReport(Model):
    """What `pgmanager plan` shows: the plan, and per statement its locks, rewrites, scans and transaction."""

    target: str = Field(description="redacted target, or 'offline (empty database)'")
    plan: Plan
    details: list[StepDetail] = []
    sql: str | None = Field(default=None, description="the exact SQL migrate would run (plan --sql)")
    rate_mb_s: float | None = Field(default=None, description="copy rate the estimates use, MB/s (1 MB = 1024 kB); "
                                                           "None offline or when nothing is rewritten or scanned")
    rate_measured: bool = Field(default=False, description="measured on the target (else the documented default)")
    rate_note: str = Field(default="", description="how the rate was found, e.g. 'measured 180 MB/s (...)'")


class MigrationState(StrEnum):
    APPLIED = "applied"
    PENDING = "pending"
    DRIFTED = "drifted"
    OUT_OF_ORDER = "out-of-order"
    FAILED = "failed"
    PARTIAL = "partial"
    UNKNOWN = "unknown"


class StatusEntry(Model):
    key: str
    file: str | None = Field(description="the project's file; None when the target has a row this project lacks")
    kind: FileKind
    state: MigrationState
    applied_at: str | None = None
    source: str | None = Field(default=None, description="for an applied row: pgmanager, or the tool it was "
                                                         "adopted from")
    detail: str = ""


class InvalidIndex(Model):
    """An index left INVALID by a failed CREATE/REINDEX ... CONCURRENTLY."""

    schema_name: str
    name: str
    table: str
    definition: str


class StatusReport(Model):
    target: str
    entries: list[StatusEntry] = []
    invalid_indexes: list[InvalidIndex] = []

    def count(self, state: MigrationState) -> int:
        return sum(e.state == state for e in self.entries)

    @property
    def clean(self) -> bool:
        """Nothing pending, drifted, failed or invalid."""
        return not self.invalid_indexes and all(e.state == MigrationState.APPLIED for e in self.entries)


class RepairResult(Model):
    target: str
    actions: list[str] = Field(default=[], description="what was changed, one line each")
