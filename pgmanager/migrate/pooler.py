"""A connection string to a pooler in transaction mode (Supavisor, PgBouncer): found before anything runs.

In transaction mode each transaction may run on another server session, so a session advisory lock (our
one-runner lock) and a prepared statement do not hold from one transaction to the next. Two signs, either
one enough:

- the DSN's port is 6543, the port of Supabase's transaction-mode pooler (Supavisor; PgBouncer there too);
- a proxy sits in between (the server's own port, ``inet_server_port()``, is not the one we connected to)
  *and* it pools per transaction: a second client connection is handed the very server session the first
  one left idle (same ``pg_backend_pid()``). A direct connection or a session-mode pooler never does that.
"""

from __future__ import annotations

import os

import psycopg
from psycopg import conninfo

from ..db import connect
from ..errors import ConfigError

TRANSACTION_PORT = "6543"
SESSION_PORT = "5432"


def _params(dsn: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo.conninfo_to_dict(dsn).items() if v is not None}
    except (psycopg.ProgrammingError, UnicodeError):
        return {}


def port_reason(dsn: str) -> str | None:
    """Why the DSN alone names a transaction-mode pooler, or None (pure: no connection)."""
    port = _params(dsn).get("port") or os.environ.get("PGPORT", "")
    if TRANSACTION_PORT in port.split(","):
        return f"port {TRANSACTION_PORT} is the transaction-mode pooler's (Supavisor or PgBouncer on Supabase)"
    return None


def session_url(dsn: str) -> str:
    """The same target on port 5432 (the session pooler on a pooler host, the database itself elsewhere),
    without its password."""
    params = _params(dsn)
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    user = params.get("user") or os.environ.get("PGUSER") or "postgres"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or "postgres"
    return f"postgresql://{user}@{host.split(',')[0]}:{SESSION_PORT}/{db}"


def live_reason(conn: psycopg.Connection, dsn: str) -> str | None:
    """Why the live connection goes through a transaction-mode pooler, or None (see the module docstring)."""
    row = conn.execute("select inet_server_port(), pg_backend_pid()").fetchone()
    if row is None or row[0] is None or str(row[0]) == str(conn.info.port):
        return None  # a unix socket, or the server itself answered on the port we dialled
    other = connect(dsn)
    try:
        again = other.execute("select pg_backend_pid()").fetchone()
    finally:
        other.close()
    if again is not None and again[0] == row[1]:
        return (f"port {conn.info.port} is a proxy to the server's port {row[0]} that handed two clients the same "
                f"server session (pid {row[1]}): a pooler in transaction mode")
    return None


def refusal(dsn: str, reason: str) -> ConfigError:
    """The error (exit 2) for a DSN that goes through a transaction-mode pooler."""
    return ConfigError(f"{reason}: session advisory locks (one runner at a time) and prepared statements do "
                       "not hold there; use the session pooler or the direct connection on port "
                       f"{SESSION_PORT} instead, e.g. {session_url(dsn)}", where="--dsn")
