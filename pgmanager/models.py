"""Data that crosses layers: what api functions return and renderers print.

Models are plain pydantic data. They hold no connections and do no I/O, so every front end (the CLI's
text and JSON output today) serializes them the same way.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileKind(StrEnum):
    MIGRATION = "migration"
    ROLLBACK = "rollback"
    POLICY = "policy"
    VIEW = "view"
    AUTH_EMULATION = "auth_emulation"
    SEED = "seed"
    QUERY = "query"
    OTHER = "other"

    @property
    def repeatable(self) -> bool:
        return self in (FileKind.POLICY, FileKind.VIEW)


class SqlFile(Model):
    """One SQL file of the project, read once."""

    path: Path = Field(description="absolute path")
    display: str = Field(description="path relative to the project root, as printed")
    kind: FileKind
    text: str
    checksum: str = Field(description="sha256 of the normalized text (no BOM, LF, no trailing blanks)")
    version: str | None = Field(default=None, description="14-digit timestamp of a migration")
    name: str = Field(description="the file stem without version and extension")

    @property
    def key(self) -> str:
        """History key: the version of a migration, the display path of a repeatable."""
        return self.version if self.version is not None else self.display


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return ("info", "warning", "error").index(self.value)


class Finding(Model):
    """A problem found in a file, pointing at file:line:col."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int = 1
    col: int = 1
    end_line: int | None = None
    end_col: int | None = None
    help: str | None = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class StepResult(Model):
    """One migration or repeatable applied (or rolled back) on a database."""

    key: str
    file: str
    kind: FileKind
    action: str = Field(description="applied | reapplied | rolled back")
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
    text: str | None = Field(default=None, exclude=True, description="the normalized text as applied")


class SandboxInfo(Model):
    provider: str
    server_version: str
    dsn: str = Field(description="DSN of the database handed out; the sandbox has no password")
    database: str
    detail: str = ""


class CheckReport(Model):
    """What `pgmanager check` did: files parsed, where it built, what it applied."""

    ok: bool
    sandbox: SandboxInfo | None = None
    files: int = 0
    statements: int = 0
    findings: list[Finding] = []
    migrate: MigrateResult | None = None
    lint: LintReport | None = None
    verify: VerifyReport | None = None
    timings_ms: dict[str, float] = {}


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


# ------------------------------------------------------------------ verify (RLS policies)


class MatrixCell(Model):
    """What one identity could do with one command on one table, measured by a real statement."""

    table: str
    identity: str
    command: str = Field(description="SELECT | INSERT | UPDATE | DELETE")
    outcome: str = Field(description="allowed | filtered (0 rows reachable) | denied (42501) | error | skipped")
    rows: int | None = Field(default=None, description="rows visible (SELECT) or affected (UPDATE, DELETE, INSERT)")
    sqlstate: str | None = None
    message: str = ""
    passed: bool = True


class CaseResult(Model):
    """One spec case (policies/tests/*.yaml) run as its identity."""

    file: str
    line: int
    name: str
    identity: str
    passed: bool
    message: str = ""
    sqlstate: str | None = None
    duration_ms: float = 0.0


class TapResult(Model):
    """One test point of a pgTAP file (supabase/tests/*.sql), parsed from its TAP output."""

    file: str
    number: int
    description: str
    passed: bool
    directive: str | None = Field(default=None, description="SKIP or TODO")
    diagnostics: str = ""


class FuzzResult(Model):
    """Leak fuzzing of one table: RLS-visible rows against the spec's visibility oracle."""

    table: str
    file: str
    examples: int
    passed: bool
    message: str = ""
    reproduction: str | None = Field(default=None, description="SQL that rebuilds the minimal failing world")


class MutantResult(Model):
    """A weakened copy of one policy and whether the specs or the fuzzer noticed."""

    id: str = Field(description="file: policy name: mutation")
    file: str
    line: int
    table: str
    policy: str
    mutation: str
    sql: str
    killed: bool
    killed_by: str | None = None
    equivalent: str | None = Field(default=None, description="justification from a spec, when declared equivalent")

    @property
    def survived(self) -> bool:
        return not self.killed and self.equivalent is None


class VerifyReport(Model):
    """What `pgmanager verify` measured: matrix, specs, pgTAP, fuzzing and mutants."""

    ok: bool
    sandbox: SandboxInfo | None = None
    matrix: list[MatrixCell] = []
    problems: list[Finding] = Field(default=[], description="matrix rules: RLS off, missing policy, stranger leak")
    cases: list[CaseResult] = []
    tap: list[TapResult] = []
    tap_skipped: str | None = None
    fuzz: list[FuzzResult] = []
    mutants: list[MutantResult] = []
    timings_ms: dict[str, float] = {}

    @property
    def failures(self) -> int:
        """Matrix rules broken, cells, spec cases, pgTAP points and fuzzed tables failed, mutants survived."""
        return (len(self.problems) + sum(not c.passed for c in self.matrix) + sum(not c.passed for c in self.cases)
                + sum(not t.passed and t.directive != "TODO" for t in self.tap) + sum(not f.passed for f in self.fuzz)
                + sum(m.survived for m in self.mutants))


# ------------------------------------------------------------------ migrate: plan details, status, repair


class LockDetail(Model):
    """One table lock a statement takes (from pgmanager.analyze.locks), and with `plan --dsn` how big that
    table is on the target and how risky the lock is (pgmanager.analyze.risk). The live fields are left out
    of the JSON when unknown (offline, analyze, a table not on the target)."""

    lock: str = Field(description="PostgreSQL lock mode, '' when none")
    table: str | None = None
    rewrites: bool = False
    scans: bool = False
    note: str = ""
    rows: int | None = Field(default=None, description="estimated rows of the table on the target")
    bytes: int | None = Field(default=None, description="the table's heap on the target (pg_relation_size)")
    total_bytes: int | None = Field(default=None, description="with TOAST and indexes (pg_total_relation_size)")
    risk: Literal["none", "low", "medium", "high", "critical"] | None = Field(
        default=None, description="by lock mode and the work done under it (pgmanager.analyze.risk)")
    risk_reason: str | None = None
    estimate_s: float | None = Field(default=None, description="estimated seconds of the rewrite or scan")

    @model_serializer(mode="wrap")
    def _omit_unknown(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in ("rows", "bytes", "total_bytes", "risk", "risk_reason", "estimate_s"):
                if data.get(key, 0) is None:
                    del data[key]
        return data


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


class RuleInfo(Model):
    """A lint rule's metadata, for reporters (SARIF rules, docs links)."""

    name: str
    severity: Severity
    category: str
    summary: str
    help: str
    docs: str = Field(default="", description="the rule's documentation (markdown)")
    url: str | None = Field(default=None, description="the rule's documentation page (lint.docs_url)")


class LintReport(Model):
    """What `pgmanager lint` found: findings of the AST rules and of the style engine, ignores applied."""

    ok: bool = Field(description="no finding at or above fail_on")
    fail_on: Severity = Severity.WARNING
    files: int = 0
    statements: int = 0
    findings: list[Finding] = []
    rules: list[RuleInfo] = []
    fixed_files: list[str] = Field(default=[], description="files rewritten by --fix")
    fixes_applied: int = 0
    cached_files: int = Field(default=0, description="files whose rule findings came from the cache")
    styled_files: int = Field(default=0, description="files sqlfluff actually linted (not cached)")
    model_files_parsed: int = Field(default=0, description="files parsed only to rebuild the schema model "
                                    "(the rest came from a snapshot)")
    timings_ms: dict[str, float] = {}

    def count(self, severity: Severity) -> int:
        return sum(f.severity == severity for f in self.findings)


# ------------------------------------------------------------------ analyze: objects, locks, dependency graph


class ObjectRef(Model):
    """A database object a statement touches: ``kind`` (table, view, index, function, policy, ...) and name."""

    kind: str
    name: str = Field(description="schema-qualified; a policy or trigger is 'name on schema.table'")

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class AnalyzedStatement(Model):
    """One statement: what it creates, alters and drops, the locks it takes, and how it runs."""

    line: int
    col: int
    kind: str = Field(description="pglast node name, e.g. AlterTableStmt")
    summary: str = Field(description="the statement's first line, shortened")
    transactional: bool = Field(description="runs inside the migration's transaction")
    no_transaction_reason: str | None = Field(default=None, description="why it cannot run in a transaction")
    created: list[ObjectRef] = []
    altered: list[ObjectRef] = []
    dropped: list[ObjectRef] = []
    locks: list[LockDetail] = []


class FileAnalysis(Model):
    """One file (a migration, a policy or view file) analyzed statement by statement."""

    file: str
    kind: FileKind
    version: str | None = None
    transactional: bool = Field(description="migrate runs the whole file in one transaction")
    no_transaction_reason: str | None = None
    created: list[ObjectRef] = []
    altered: list[ObjectRef] = []
    dropped: list[ObjectRef] = []
    strongest_lock: str = Field(default="", description="the strongest lock any statement takes on a table that "
                                                         "existed before the file")
    rewrites: list[str] = Field(default=[], description="existing tables rewritten")
    scans: list[str] = Field(default=[], description="existing tables scanned under a lock")
    risk: str = Field(default="low", description="low | medium | high, from the locks on existing tables")
    risk_reasons: list[str] = []
    statements: list[AnalyzedStatement] = []
    error: Finding | None = Field(default=None, description="set when the file does not parse")


class DependencyEdge(Model):
    """``source`` depends on ``target``: a view reads a table, a policy calls a function, a foreign key..."""

    source: ObjectRef
    target: ObjectRef
    kind: str = Field(description="reads | policy-on | calls | foreign-key | trigger-on | trigger-calls | index-on")
    detail: str = ""
    file: str | None = Field(default=None, description="where the dependency is declared")
    line: int | None = None


class AnalyzeReport(Model):
    """What `pgmanager analyze` found: per file its objects and locks, and the project's dependency graph."""

    files: list[FileAnalysis] = []
    edges: list[DependencyEdge] = []
    statements: int = 0
    findings: list[Finding] = Field(default=[], description="files that could not be read or parsed")
    timings_ms: dict[str, float] = {}

    def depends_on(self, kind: str, name: str) -> list[DependencyEdge]:
        """Edges whose source is this object."""
        return [e for e in self.edges if e.source.kind == kind and e.source.name == name]

    def dependents_of(self, kind: str, name: str) -> list[DependencyEdge]:
        """Edges whose target is this object."""
        return [e for e in self.edges if e.target.kind == kind and e.target.name == name]


CheckReport.model_rebuild()  # it refers to reports defined further down
