"""Connections with errors a DBA can act on, and DSNs that never show a password (see redaction)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo as _conninfo
from psycopg import errors as pgerrors

from .errors import DatabaseError
from .redaction import is_url, redact, register_dsn, register_environment, register_secret, service_passwords

TWO_ATS = "invalid DSN: more than one '@' before the host; percent-encode '@' in the password as %40"
SLASH_IN_USERINFO = ("invalid DSN: a '/' before the '@' that ends the user name and password; "
                     "percent-encode '/' in the password as %2F")


def register_secrets(dsn: str | None, params: dict[str, Any] | None = None) -> None:
    """Register every password libpq may use for ``dsn``: read leniently from its raw text, as libpq
    parses it (URL or key=value; ``params``, when the caller parsed it already), PGPASSWORD, and the
    service file's (PGSERVICE or service=)."""
    register_environment()
    if not dsn:
        return
    register_dsn(dsn)
    if params is None:
        try:
            params = _conninfo.conninfo_to_dict(dsn)
        except (psycopg.ProgrammingError, UnicodeError):
            return
    register_secret(str(params.get("password") or ""))
    if params.get("service"):
        for pw in service_passwords(str(params["service"]), os.environ):
            register_secret(pw)


def parse_error(exc: Exception) -> str:
    """libpq's complaint about a DSN it cannot parse, without the DSN: libpq quotes the offending part
    (a password, maybe), so everything from the first double quote to the last becomes an ellipsis."""
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else "cannot be parsed"
    first, last = line.find('"'), line.rfind('"')
    if first != -1:
        line = line[:first] + "…" + (line[last + 1:] if last > first else "")
    return redact(line)


def parse_dsn(dsn: str) -> dict[str, Any]:
    """The DSN's parameters as libpq reads them; a DSN it cannot read is a DatabaseError that never
    echoes it (its passwords are registered first, read leniently)."""
    if not dsn:
        return {}
    try:
        return _conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        message = parse_error(exc)
    except UnicodeError:  # a percent-encoded byte sequence that is not UTF-8
        message = "a percent-encoded value is not valid UTF-8"
    register_secrets(dsn, {})
    raise DatabaseError(f"invalid DSN: {message}", where="--dsn") from None


def dsn_problem(dsn: str, params: dict[str, Any]) -> str | None:
    """Why a URL that libpq parses is refused anyway: libpq would take part of the password for the host,
    port or database name (a raw '@' or '/' in it), and print it in its errors."""
    if not is_url(dsn):
        return None
    rest = dsn.split("://", 1)[1]
    first_at, first_slash = rest.find("@"), rest.find("/")
    if first_at == -1:
        return None
    if first_slash != -1 and first_slash < first_at and params.get("port") is not None:
        # No user info for libpq: "user:pass/..." is read as host:port, the rest of it as the database.
        ports = [p.strip() for p in str(params["port"]).split(",")]
        if not all(p.isdigit() or p == "" for p in ports) or not any(ports) or "@" in str(params.get("dbname") or ""):
            return SLASH_IN_USERINFO
    if rest.count("@") > 1 and any("@" in str(v) for k, v in params.items() if k not in ("user", "password")):
        return TWO_ATS
    return None


def describe(dsn: str) -> str:
    """host:port/dbname of a DSN, for messages (no user, no password)."""
    register_secrets(dsn)
    try:
        info = _conninfo.conninfo_to_dict(dsn)
    except (psycopg.ProgrammingError, UnicodeError):
        return "the target database"
    if dsn_problem(dsn, info):
        return "the target database"
    host = str(info.get("host") or "local socket")
    port = info.get("port")
    db = info.get("dbname") or ""
    return f"{host}{':' + str(port) if port else ''}/{db}" if db else f"{host}{':' + str(port) if port else ''}"


def _connect_error(exc: psycopg.OperationalError, dsn: str) -> DatabaseError:
    register_secrets(dsn)
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
    """Open a connection; failures become one-line DatabaseErrors without the password.

    Every password it may use is registered for redaction first (and the one libpq used, after)."""
    register_secret(kwargs.get("password"))
    params = parse_dsn(dsn)
    register_secrets(dsn, params)
    problem = dsn_problem(dsn, params)
    if problem:
        raise DatabaseError(problem, where="--dsn")
    params.setdefault("connect_timeout", connect_timeout)
    params.setdefault("application_name", "pgmanager")
    try:
        conn = psycopg.connect(**params, autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as exc:
        raise _connect_error(exc, dsn) from None
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect: {parse_error(exc)}", where=describe(dsn)) from None
    register_secret(conn.info.password)  # from .pgpass too
    return conn


@contextmanager
def connection(dsn: str, **kwargs: Any) -> Iterator[psycopg.Connection]:
    conn = connect(dsn, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server, another database."""
    register_secrets(dsn)
    parse_dsn(dsn)
    return _conninfo.make_conninfo(dsn, dbname=dbname)


def error_line(exc: BaseException) -> str:
    """Any error as one line, password-free: a server error's primary message (``diag.message_primary``),
    else the first line of its text, else its type's name."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = str(primary or exc).strip()
    return redact(text.splitlines()[0]) if text else type(exc).__name__


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None) if isinstance(exc, pgerrors.Error) else None
