"""Data that crosses layers: what api functions return and renderers print.

Models are plain pydantic data. They hold no connections and do no I/O, so the CLI, the MCP
server and the JSON task protocol can all serialize them the same way.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


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
