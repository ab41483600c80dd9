"""Ready clones kept between sessions on a server that outlives them (``--pgm-sandbox up``, ``--pgm-reuse``).

A session takes ready clones of its template at start and leaves the refill to a detached process, so
that neither making clones nor dropping used ones is on any test's path:

- ``pgm_rdy_<template hash>_<random>``: a complete clone, marked (database comment) with its template's
  name, oid and project group. Only a clone whose mark names the current template's oid is taken: a
  changed project has another template name, a rebuilt template another oid.
- Taking is ``ALTER DATABASE pgm_rdy_... RENAME TO pgm_use_<tag>_...``: one taker succeeds, any other
  gets "does not exist" and tries the next one. ``<tag>`` is the session's, held as an advisory lock on
  a connection that lives as long as the session: a killed session's clones carry a tag nobody holds.
- The refill (``python -m pgmanager.testing._ready``, detached, started at session end) takes the
  template's refill lock, gives back the session's unused clones, makes ``pgm_mk_...`` clones and renames
  each to ``pgm_rdy_...`` only once complete, drops the used ones, the ready clones of the group's other
  templates, and whatever a killed session or refill left (``pgm_use_`` of a tag nobody holds, ``pgm_mk_``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ..db import connect, connection, with_dbname
from ..sandbox import Templates
from ..sandbox._template import TEMPLATE_PREFIX

READY_PREFIX = "pgm_rdy_"
USED_PREFIX = "pgm_use_"
MAKING_PREFIX = "pgm_mk_"
CLAIM_LOCKS = 0x70676D
"""Advisory lock class of a session's tag (the second key is the tag)."""
REFILL_LOCKS = CLAIM_LOCKS + 1
MAX_READY = 100
"""Ready clones kept per template at most (a 200-migration clone is about 28 MB)."""
_MARK = "pgmanager ready "
_TAGGED = re.compile(r"^pgm_use_([0-9a-f]{8})_")


def _hash_of(template: str) -> str:
    return template[len(TEMPLATE_PREFIX):]


def _like(prefix: str) -> str:
    return prefix.replace("_", "\\_") + "%"


def _template_oid(conn: psycopg.Connection, template: str) -> int | None:
    row = conn.execute("select oid from pg_database where datname = %s and datistemplate", [template]).fetchone()
    return int(row[0]) if row else None


def _mark(template: str, oid: int, group: str) -> str:
    return _MARK + json.dumps({"template": template, "oid": oid, "group": group}, sort_keys=True)


def _execute(conn: psycopg.Connection, query: str, *names: str) -> None:
    conn.execute(sql.SQL(query).format(*(sql.Identifier(n) for n in names)))


@dataclass
class Claim:
    """A session's tag, held as an advisory lock for as long as the session runs."""

    conn: psycopg.Connection
    tag: str

    def name(self) -> str:
        return f"{USED_PREFIX}{self.tag}_{secrets.token_hex(6)}"

    def take(self, template: str, group: str, limit: int) -> list[str]:
        """Up to ``limit`` ready clones of ``template``, renamed to this session's names (one taker each)."""
        oid = _template_oid(self.conn, template)
        if oid is None or limit <= 0:
            return []
        rows = self.conn.execute(
            "select datname from pg_database where datname like %s and shobj_description(oid, 'pg_database') = %s"
            " order by datname", [_like(READY_PREFIX + _hash_of(template) + "_"), _mark(template, oid, group)])
        taken: list[str] = []
        for (ready,) in rows.fetchall():
            if len(taken) >= limit:
                break
            name = self.name()
            try:
                _execute(self.conn, "alter database {} rename to {}", ready, name)
            except psycopg.Error:  # another session took it first (or is connected to it)
                continue
            taken.append(name)
        return taken

    def close(self) -> None:
        self.conn.close()


def claim(admin_dsn: str) -> Claim:
    conn = connect(admin_dsn)
    tag = secrets.randbelow(2**31)
    conn.execute("select pg_advisory_lock(%s, %s)", [CLAIM_LOCKS, tag])
    return Claim(conn, f"{tag:08x}")


@dataclass(frozen=True)
class Refill:
    admin_dsn: str
    template: str
    group: str
    wanted: int
    used: list[str]
    unused: list[str]
    strategy: str | None = None


def start_refill(job: Refill) -> None:
    """Run the refill in a detached process (its own session: it outlives pytest and ignores its Ctrl-C).
    The job goes through a pipe, not the command line: the DSN may hold a password."""
    read, write = os.pipe()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    with open(os.devnull, "wb") as null:
        os.posix_spawn(sys.executable, [sys.executable, "-m", "pgmanager.testing._ready"], env,
                       file_actions=[(os.POSIX_SPAWN_DUP2, read, 0), (os.POSIX_SPAWN_DUP2, null.fileno(), 1),
                                     (os.POSIX_SPAWN_DUP2, null.fileno(), 2), (os.POSIX_SPAWN_CLOSE, write)],
                       setsid=True)
    os.close(read)
    with os.fdopen(write, "w") as fh:
        json.dump(job.__dict__, fh)


def refill(job: Refill) -> None:
    templates = Templates(job.admin_dsn, lambda name: with_dbname(job.admin_dsn, name), job.strategy)
    with connection(job.admin_dsn) as conn:
        key = int.from_bytes(_hash_of(job.template).encode()[:4], "big") & 0x7FFFFFFF
        conn.execute("select pg_advisory_lock(%s, %s)", [REFILL_LOCKS, key])
        oid = _template_oid(conn, job.template)
        mark = _mark(job.template, oid, job.group) if oid is not None else None
        _drop_stale(conn, templates, job)
        ready = 0 if mark is None else _count(conn, job.template, mark)
        for name in job.unused:  # complete clones of this session: ready ones again
            if mark is None or ready >= job.wanted:
                break
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("comment on database {} is {}").format(sql.Identifier(name), sql.Literal(mark)))
                _execute(conn, "alter database {} rename to {}", name, _ready_name(job.template))
                ready += 1
        while mark is not None and ready < job.wanted:
            making = f"{MAKING_PREFIX}{_hash_of(job.template)}_{secrets.token_hex(3)}"
            templates.clone(job.template, making, conn=conn)
            conn.execute(sql.SQL("comment on database {} is {}").format(sql.Identifier(making), sql.Literal(mark)))
            _execute(conn, "alter database {} rename to {}", making, _ready_name(job.template))
            ready += 1
        for name in [*job.used, *job.unused, *_orphans(conn)]:
            with contextlib.suppress(psycopg.Error):
                templates.drop(name, conn=conn)


def _ready_name(template: str) -> str:
    return f"{READY_PREFIX}{_hash_of(template)}_{secrets.token_hex(3)}"


def _count(conn: psycopg.Connection, template: str, mark: str) -> int:
    row = conn.execute("select count(*) from pg_database where datname like %s and shobj_description(oid, "
                       "'pg_database') = %s", [_like(READY_PREFIX + _hash_of(template) + "_"), mark]).fetchone()
    return int(row[0]) if row else 0


def _drop_stale(conn: psycopg.Connection, templates: Templates, job: Refill) -> None:
    """Ready clones of a gone or rebuilt template, or of the group's other templates; this template's
    half-made ones (a killed refill: this one holds the lock now)."""
    rows = conn.execute(
        "select d.datname, shobj_description(d.oid, 'pg_database'), t.oid from pg_database d"
        " left join pg_database t on t.datname = %s || substr(d.datname, 9, 20) and t.datistemplate"
        " where d.datname like %s or d.datname like %s",
        [TEMPLATE_PREFIX, _like(READY_PREFIX), _like(MAKING_PREFIX + _hash_of(job.template) + "_")]).fetchall()
    for name, comment, template_oid in rows:
        stale = name.startswith(MAKING_PREFIX)
        if not stale:
            try:
                data = json.loads(str(comment)[len(_MARK):]) if str(comment).startswith(_MARK) else {}
            except ValueError:
                data = {}
            stale = (template_oid is None or data.get("oid") != template_oid
                     or (data.get("group") == job.group and data.get("template") != job.template))
        if stale:
            with contextlib.suppress(psycopg.Error):
                templates.drop(name, conn=conn)


def _orphans(conn: psycopg.Connection) -> list[str]:
    """Clones taken by sessions that are gone (nobody holds their tag)."""
    names = [r[0] for r in conn.execute("select datname from pg_database where datname like %s",
                                        [_like(USED_PREFIX)]).fetchall()]
    held = {f"{int(r[0]):08x}" for r in conn.execute(
        "select objid from pg_locks where locktype = 'advisory' and classid = %s and objsubid = 2",
        [CLAIM_LOCKS]).fetchall()}
    return [n for n in names if (m := _TAGGED.match(n)) is not None and m.group(1) not in held]


def busy(admin_dsn: str) -> tuple[bool, bool]:
    """(a refill runs, a gone session's clones are still there: its refill is due or it was killed)."""
    with connection(admin_dsn) as conn:
        row = conn.execute("select exists (select from pg_locks where locktype = 'advisory' and classid = %s)"
                           " or exists (select from pg_database where datname like %s)",
                           [REFILL_LOCKS, _like(MAKING_PREFIX)]).fetchone()
        return bool(row and row[0]), bool(_orphans(conn))


def wait_idle(admin_dsn: str, timeout: float = 120.0, grace: float = 5.0) -> bool:
    """Wait until no refill runs on the server (tests, benchmarks); False on timeout. A gone session's
    clones with no refill for ``grace`` seconds are a killed session's: the next refill reaps them."""
    deadline = time.monotonic() + timeout
    orphaned_since: float | None = None
    while True:
        running, orphans = busy(admin_dsn)
        now = time.monotonic()
        orphaned_since = (orphaned_since or now) if orphans and not running else None
        if not running and (orphaned_since is None or now - orphaned_since > grace):
            return True
        if now > deadline:
            return False
        time.sleep(0.05)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.suppress(Exception):
        yield


def main() -> None:
    job = Refill(**json.loads(sys.stdin.read()))
    with _quiet():  # detached, nobody reads its output: whatever is left, the next refill reaps
        refill(job)


if __name__ == "__main__":
    main()
