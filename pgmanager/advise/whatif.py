"""Indexes that exist for the planner only: hypopg's hypothetical indexes, or real ones on a clone.

Both give the same three operations: ``add`` a candidate (returns its name in plans and its size),
``remove`` it, ``reset``. hypopg's indexes live in this session's memory and are never seen by another
session, so it is safe on a live database; the fallback builds each candidate for real (plain CREATE
INDEX, then DROP), which needs a database we may write: a sandbox clone or a copy.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

import psycopg
from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
from psycopg import sql

from ..db import error_line
from ..errors import DatabaseError
from .candidates import Candidate
from .sizes import built_size

MAX_NAME = 63
_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
_KEYWORDS = RESERVED_KEYWORDS | COL_NAME_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS


def ident(*parts: str) -> sql.Composable:
    """An identifier quoted only where PostgreSQL needs it (as a migration would be written by hand)."""
    if all(_PLAIN.fullmatch(p) and p not in _KEYWORDS for p in parts):
        return sql.SQL(".").join(sql.SQL(p) for p in parts)  # checked: lowercase, not a keyword
    return sql.Identifier(*parts)


def index_name(cand: Candidate) -> str:
    """``idx_<table>_<columns>[_partial|_incl]``, shortened with a digest past PostgreSQL's 63 bytes."""
    table = cand.table.split(".", 1)[1]
    name = "idx_" + "_".join([table, *cand.columns])
    if cand.where:
        name += "_partial"
    if cand.include:
        name += "_incl"
    if len(name) > MAX_NAME or cand.where or cand.include:  # two candidates on the same keys differ
        digest = hashlib.sha256(cand.describe().encode()).hexdigest()[:6]
        name = name[:MAX_NAME - 7] + "_" + digest
    return name


def index_sql(cand: Candidate, name: str | None, *, concurrently: bool = False,
              if_not_exists: bool = False) -> sql.Composed:
    """CREATE INDEX for ``cand`` (the predicate's constants are the workload's own SQL, deparsed)."""
    schema, table = cand.table.split(".", 1)
    keys = []
    for k in cand.keys:
        part = ident(k.column) + sql.SQL(" desc" if k.descending else "")
        if k.nulls_first is not None and k.nulls_first != k.descending:
            part += sql.SQL(" nulls first" if k.nulls_first else " nulls last")
        keys.append(part)
    text = sql.SQL("create index {}{}{}on {} ({})").format(
        sql.SQL("concurrently " if concurrently else ""), sql.SQL("if not exists " if if_not_exists else ""),
        ident(name) + sql.SQL(" ") if name else sql.SQL(""), ident(schema, table), sql.SQL(", ").join(keys))
    if cand.include:
        text += sql.SQL(" include ({})").format(sql.SQL(", ").join(ident(c) for c in cand.include))
    if cand.where:
        terms = [ident(c.column) + sql.SQL(f" {c.op}") if c.op.startswith("is ") else
                 sql.SQL("{} {} {}").format(ident(c.column), sql.SQL(c.op), sql.SQL(c.constant))
                 for c in cand.where]
        text += sql.SQL(" where ") + sql.SQL(" and ").join(terms)
    return text


@dataclass(frozen=True)
class Made:
    name: str
    """The index's name as plans show it."""
    size_bytes: int
    oid: int


class WhatIf(ABC):
    """The interface: hypothetical (hypopg) or real indexes on one connection."""

    method = ""
    conn: psycopg.Connection

    @abstractmethod
    def add(self, cand: Candidate) -> Made: ...

    @abstractmethod
    def remove(self, made: Made) -> None: ...

    @abstractmethod
    def reset(self) -> None: ...


class Hypo(WhatIf):
    method = "hypopg"

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def add(self, cand: Candidate) -> Made:
        """The hypothetical index, sized as it will be built (``sizes.built_size``: hypopg's estimate ignores
        deduplication and overstates what CREATE INDEX builds)."""
        made = self._create(cand)
        share = 1.0
        if cand.where:  # the rows the predicate keeps, as hypopg sees them
            full = self._create(replace(cand, where=()))
            share = made.size_bytes / full.size_bytes if full.size_bytes else 1.0
            self.remove(full)
        return replace(made, size_bytes=built_size(self.conn, cand, made.size_bytes, share))

    def _create(self, cand: Candidate) -> Made:
        statement = index_sql(cand, None).as_string(self.conn)
        try:
            row = self.conn.execute("select indexrelid, indexname, hypopg_relation_size(indexrelid) "
                                    "from hypopg_create_index(%s)", [statement]).fetchone()
        except psycopg.Error as exc:
            raise DatabaseError(f"hypopg cannot create {cand.describe()}: {error_line(exc)}") from None
        assert row is not None
        return Made(name=row[1], size_bytes=int(row[2]), oid=int(row[0]))

    def remove(self, made: Made) -> None:
        self.conn.execute("select hypopg_drop_index(%s)", [made.oid])

    def reset(self) -> None:
        self.conn.execute("select hypopg_reset()")


class Real(WhatIf):
    """Real indexes, built and dropped one by one (slower; only where writing is allowed)."""

    method = "real indexes on a clone"

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.made: dict[int, tuple[str, Made]] = {}
        self._count = 0

    def add(self, cand: Candidate) -> Made:
        self._count += 1
        name = f"pgm_whatif_{self._count}"
        schema = cand.table.split(".", 1)[0]
        try:
            self.conn.execute(index_sql(cand, name))
            row = self.conn.execute("select c.oid, pg_catalog.pg_relation_size(c.oid) from pg_catalog.pg_class as c "
                                    "where c.oid = %s::regclass", [sql.Identifier(schema, name).as_string(self.conn)]
                                    ).fetchone()
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot build {cand.describe()}: {error_line(exc)}") from None
        assert row is not None
        made = Made(name=name, size_bytes=int(row[1]), oid=int(row[0]))
        self.made[made.oid] = (schema, made)
        return made

    def remove(self, made: Made) -> None:
        schema, _ = self.made.pop(made.oid, ("public", made))
        self.conn.execute(sql.SQL("drop index if exists {}").format(sql.Identifier(schema, made.name)))

    def reset(self) -> None:
        for _, made in list(self.made.values()):
            self.remove(made)


def hypopg_status(conn: psycopg.Connection) -> str | None:
    """None when hypopg is ready in this database; else why not (it is created when it can be)."""
    if conn.execute("select 1 from pg_catalog.pg_extension where extname = 'hypopg'").fetchone():
        return None
    if not conn.execute("select 1 from pg_catalog.pg_available_extensions where name = 'hypopg'").fetchone():
        return "the hypopg extension is not installed on this server (Debian: postgresql-<version>-hypopg)"
    try:
        conn.execute("create extension hypopg")
    except psycopg.Error as exc:
        return f"cannot create extension hypopg: {error_line(exc)}"
    return None
