"""Connections with errors a DBA can act on, and DSNs that never show a password (see redaction)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo as _conninfo
from psycopg import errors as pgerrors

from .errors import DatabaseError
from .redaction import redact


def describe(dsn: str) -> str:
    """host:port/dbname of a DSN, for messages (no user, no password)."""
    try:
        info = _conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the target database"
    host = str(info.get("host") or "local socket")
    port = info.get("port")
    db = info.get("dbname") or ""
    return f"{host}{':' + str(port) if port else ''}/{db}" if db else f"{host}{':' + str(port) if port else ''}"


def _connect_error(exc: psycopg.OperationalError, dsn: str) -> DatabaseError:
    where = describe(dsn)
    raw = redact(str(exc).strip())
    first = raw.splitlines()[0] if raw else "connection failed"
    low = raw.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return DatabaseError("authentication failed: wrong user or password", where=where, sqlstate="28P01")
    if "does not exist" in low and "database" in low:
        m = re.search(r'database "([^"]+)" does not exist', raw)
        name = m.group(1) if m else "?"
        return DatabaseError(f"database {name!r} does not exist", where=where, sqlstate="3D000")
    if "role" in low and "does not exist" in low:
        return DatabaseError(first.split("FATAL:")[-1].strip(), where=where, sqlstate="28000")
    if "connection refused" in low or "could not translate host" in low or "timeout" in low \
            or "no such file or directory" in low or "name or service not known" in low:
        return DatabaseError("database unreachable: " + first.split(": ", 2)[-1].strip(), where=where)
    return DatabaseError(first, where=where)


def connect(dsn: str, *, autocommit: bool = True, connect_timeout: int = 10, **kwargs: Any) -> psycopg.Connection:
    """Open a connection; failures become one-line DatabaseErrors without the password."""
    try:
        params = _conninfo.conninfo_to_dict(dsn) if dsn else {}
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(f"invalid DSN: {redact(str(exc))}", where="--dsn") from None
    params.setdefault("connect_timeout", connect_timeout)
    params.setdefault("application_name", "pgmanager")
    try:
        return psycopg.connect(**params, autocommit=autocommit, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        raise _connect_error(exc, dsn) from None


@contextmanager
def connection(dsn: str, **kwargs: Any) -> Iterator[psycopg.Connection]:
    conn = connect(dsn, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server, another database."""
    return _conninfo.make_conninfo(dsn, dbname=dbname)


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None) if isinstance(exc, pgerrors.Error) else None
