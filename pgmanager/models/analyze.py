"""What `analyze` reports: locks, objects, per-file analysis and the dependency graph."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from ._base import FileKind, Finding, Model

__all__ = ["AnalyzeReport", "AnalyzedStatement", "DependencyEdge", "FileAnalysis", "LockDetail", "LockMode",
           "ObjectRef", "Risk"]


class LockMode(StrEnum):
    """PostgreSQL's table lock modes, weakest first (LOCK TABLE's modes 1..8 in this order); NONE: no table lock."""

    NONE = ""
    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def rank(self) -> int:
        """0 for none, then 1 (ACCESS SHARE) .. 8 (ACCESS EXCLUSIVE): compare strengths."""
        return list(LockMode).index(self)


class Risk(StrEnum):
    """How risky a lock is on the target (pgmanager.analyze.risk), weakest first; files are low..high."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Risk).index(self)


class LockDetail(Model):
    """One table lock a statement takes (from pgmanager.analyze.locks), and with `plan --dsn` how big that
    table is on the target and how risky the lock is (pgmanager.analyze.risk). The live fields are left out
    of the JSON when unknown (offline, analyze, a table not on the target)."""

    lock: LockMode = Field(description="PostgreSQL lock mode, '' when none")
    table: str | None = None
    rewrites: bool = False
    scans: bool = False
    note: str = ""
    rows: int | None = Field(default=None, description="estimated rows of the table on the target")
    bytes: int | None = Field(default=None, description="the table's heap on the target (pg_relation_size)")
    total_bytes: int | None = Field(default=None, description="with TOAST and indexes (pg_total_relation_size)")
    risk: Risk | None = Field(
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
    risk: Risk = Field(default=Risk.LOW, description="low | medium | high, from the locks on existing tables")
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
