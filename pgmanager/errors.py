"""One exception tree. Every user-facing error says where it comes from.

``where`` is a ``file:line[:col]``, a setting name or a host; the CLI prints
``<where>: <message>`` on one line and exits with ``exit_code``. Messages never carry a
password: DSNs are redacted with :func:`pgmanager.db.redact` before they reach an error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_CHECKS_FAILED: "checks failed (a bad file, a finding, drift, a failed verification)",
    EXIT_USAGE: "usage or configuration error",
    EXIT_DATABASE: "database unreachable or database error",
    EXIT_INTERNAL: "internal error: a bug in pgmanager (one line; PGMANAGER_DEBUG=1 shows the traceback)",
    EXIT_INTERRUPTED: "interrupted (everything started was stopped)",
}
"""Every exit code pgmanager uses; README.md's table and `pgmanager --help` show this one."""


class PgmError(Exception):
    """Base of every error pgmanager reports to a user."""

    exit_code = EXIT_CHECKS_FAILED

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(PgmError):
    """A setting, option or project layout is wrong (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(PgmError):
    """A SQL file cannot be used: unreadable, not UTF-8, badly named, not parseable (exit 1)."""


class PlanError(PgmError):
    """The migration plan cannot be made or is refused: drift, out of order, cycle (exit 1)."""


class SandboxError(PgmError):
    """A throwaway server could not be provided (exit 3)."""

    exit_code = EXIT_DATABASE


class DatabaseError(PgmError):
    """The database is unreachable or a statement failed on it (exit 3)."""

    exit_code = EXIT_DATABASE

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(message, where=where, hint=hint)
        self.sqlstate = sqlstate
