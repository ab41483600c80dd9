"""The models every feature shares: files, findings, severities, a sandbox."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FileKind", "Finding", "Model", "SandboxInfo", "Severity", "SqlFile"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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
    written: str | None = Field(default=None, description="the file as written, when ``text`` is it with "
                                "placeholders replaced (Flyway's)")

    @property
    def as_written(self) -> str:
        """The file as written: what the history records, so that no placeholder's value (a password) is kept."""
        return self.written if self.written is not None else self.text

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


class SandboxInfo(Model):
    provider: str
    server_version: str
    dsn: str = Field(description="DSN of the database handed out; the sandbox has no password")
    database: str
    detail: str = ""
    choice: str = ""
    """Why ``--sandbox auto`` took this provider for the project's extensions; "" for auto's plain first choice."""
