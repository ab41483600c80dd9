"""The database mechanics of a migration session: connecting, the one-runner lock, writability.

The runner lock is a session advisory lock, but a runner never *waits* for it inside a statement: a
session blocked in ``pg_advisory_lock`` holds a snapshot, and a concurrent ``CREATE INDEX
CONCURRENTLY`` of the lock's holder waits for every such snapshot to end, which the deadlock
detector then breaks by aborting the waiter. So the lock is polled with ``pg_try_advisory_lock``,
one short autocommit statement at a time, with backoff and jitter, up to ``lock_wait``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from ..db import connect, describe, error_line
from ..errors import DatabaseError
from . import history, pooler, supabase
from .script import advisory_lock_sql, advisory_unlock_sql

EventFn = Callable[[str], None]
POLL_START_S = 0.05
POLL_MAX_S = 2.0
# A runner that dies mid-statement (kill -9, lost network) must not leave its statement running on the
# server, still holding the runner lock: PostgreSQL 14+ checks the client socket this often.
CLIENT_CHECK_MS = 1000


def database_error(exc: psycopg.Error, conn: psycopg.Connection | None, where: str) -> DatabaseError:
    """A psycopg error during a session: the server's error with its SQLSTATE while the connection lives
    (a deadlock, a serialization failure, a cancel), 'connection lost' only when it is really gone."""
    if exc.sqlstate and not (conn is not None and conn.closed):
        return DatabaseError(f"{error_line(exc)} ({exc.sqlstate})", where=where, sqlstate=exc.sqlstate)
    if isinstance(exc, psycopg.OperationalError):
        return DatabaseError(f"connection lost: {error_line(exc)}", where=where, sqlstate=exc.sqlstate)
    return DatabaseError(error_line(exc), where=where, sqlstate=exc.sqlstate)


@contextmanager
def connected(dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection whose psycopg errors leave as one-line DatabaseErrors; refused (exit 2) through a
    pooler in transaction mode (pooler.py), where our session lock would not hold."""
    reason = pooler.port_reason(dsn)
    if reason:
        raise pooler.refusal(dsn, reason)
    conn = connect(dsn)
    where = describe(dsn)
    try:
        reason = pooler.live_reason(conn, dsn)
        if reason:
            raise pooler.refusal(dsn, reason)
        if conn.info.server_version >= 140000:
            conn.execute("select set_config('client_connection_check_interval', %s, false)", [f"{CLIENT_CHECK_MS}ms"])
        yield conn
    except psycopg.Error as exc:
        raise database_error(exc, conn, where) from None
    finally:
        conn.close()


def is_supabase(conn: psycopg.Connection) -> bool:
    """Whether the target is Supabase: supabase.detect, the one place that decides."""
    return supabase.detect(conn).supabase


def check_writable(conn: psycopg.Connection, where: str) -> None:
    row = conn.execute("select pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
    if row and (row[0] or row[1] == "on"):
        reason = "a standby in recovery" if row[0] else "read-only (default_transaction_read_only is on)"
        raise DatabaseError(f"target is {reason}: nothing applied", where=where, sqlstate="25006")


LOCK_HOLDER_SQL = """select l.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'),
       coalesce(date_trunc('second', now() - a.backend_start)::text, '?')
  from pg_locks l left join pg_stat_activity a on a.pid = l.pid
 where l.locktype = 'advisory' and l.granted
   and l.database = (select oid from pg_database where datname = current_database())
   and ((l.classid::bigint << 32) | l.objid::bigint) = %s
 limit 1"""


def _holder(conn: psycopg.Connection) -> str:
    row = conn.execute(LOCK_HOLDER_SQL, [history.LOCK_KEY]).fetchone()
    if not row:
        return "another runner"
    return f"pid {row[0]} ({row[1] or 'no application_name'}, {row[2]}, connected {row[3]})"


def _try_lock(conn: psycopg.Connection) -> bool:
    got = conn.execute(advisory_lock_sql()).fetchone()
    return bool(got and got[0])


@contextmanager
def runner_lock(conn: psycopg.Connection, *, wait_ms: int, where: str, on_event: EventFn | None = None,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[None]:
    """One runner at a time on a database; the lock is released by the server if the runner dies.

    Waits by polling between statements with no transaction open (see the module's docstring); says
    once who holds the lock; gives up after ``wait_ms`` with a DatabaseError (exit 3)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise AssertionError("runner_lock needs an idle autocommit connection")
    if not _try_lock(conn):
        who = _holder(conn)
        if on_event:
            on_event(f"waiting for the migration lock held by {who}")
        deadline = time.monotonic() + wait_ms / 1000
        delay = POLL_START_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseError(
                    f"gave up after waiting {wait_ms / 1000:g}s for the migration lock held by {_holder(conn)}",
                    where=where, sqlstate="55P03",
                    hint="another pgmanager runner is migrating this database; retry later or raise --lock-wait")
            sleep(min(left, delay * random.uniform(0.5, 1.0)))
            if _try_lock(conn):
                break
            delay = min(delay * 1.5, POLL_MAX_S)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute(advisory_unlock_sql())
