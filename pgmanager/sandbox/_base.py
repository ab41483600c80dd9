"""What every sandbox provider is: a :class:`Provider` starts a :class:`Server` we may create and drop
databases on (pgmanager.sandbox._providers and ._docker implement them)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from ..db import connection


class Server(ABC):
    """A running PostgreSQL server we may create and drop databases on."""

    provider: str = ""
    detail: str = ""
    version: str = ""
    choice: str = ""
    """Why auto picked this provider for the project's extensions ("" when it was auto's plain first choice)."""
    stubbed: frozenset[str] = frozenset()
    """The project's extensions this server offers only as pgmanager's stand-ins (their calls raise)."""
    missing: frozenset[str] = frozenset()
    """The project's extensions this server lacks, with no stand-in either."""

    @abstractmethod
    def dsn(self, dbname: str = "postgres") -> str: ...

    def stop(self) -> None:
        """Stop what was started (nothing for an existing server)."""

    def detach(self) -> None:
        """Keep running after this process exits (``sandbox up``)."""

    def _read_version(self) -> None:
        with connection(self.dsn()) as conn:
            row = conn.execute("show server_version").fetchone()
            self.version = str(row[0]) if row else ""


class Provider(ABC):
    name: str = ""
    stubs: frozenset[str] = frozenset()
    """Extensions to offer pgmanager's stand-ins for when the server lacks them (set by start_server)."""

    def extension_bindir(self) -> Path | None:
        """The server binaries whose extensions can be listed without starting it; None: unknown."""
        return None

    @abstractmethod
    def unavailable(self) -> str | None:
        """Why this provider cannot work here, or None when it can."""

    @abstractmethod
    def start(self) -> Server: ...
