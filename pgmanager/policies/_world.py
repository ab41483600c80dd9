"""A small world synthesised from the schema, for a project whose specs declare no users.

Three users in ``auth.users`` and, for each, a couple of rows in every table of the exposed schemas
(and every table they reference), parents before children in foreign-key order. A row's owner is the
user at the end of its chain of foreign keys to ``auth.users`` (``notes.user_id``, or
``notes.account_id -> accounts.owner_id``); a foreign key on that chain points at a row of the same
user, any other at a row of the same user when there is one. Other columns are filled from their
types, enums and CHECK constraints by :class:`pgmanager.catalog.ColumnValues` (the bench generator's
filler), deterministically. Rows are committed into the clone they are synthesised in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ..catalog import (
    USERS_TABLE,
    ColumnValues,
    ForeignKey,
    Table,
    closure,
    fill_order,
    install_random,
    owner_path,
    read_catalog,
    required,
)
from ..db import error_line
from ..errors import ConfigError
from ._identity import Identity
from ._spec_model import SpecSuite

WORLD_USERS = 3
ROWS_PER_USER = 2
_NS = uuid.UUID("0e7b3c52-7d43-4f0c-9d52-5f1b1e6a7c21")
_USER_TEXT = {"email": "user{i}@example.test", "role": "authenticated", "aud": "authenticated"}


def user_id(i: int) -> str:
    """The id of world user ``i`` (1-based), the same on every run."""
    return str(uuid.uuid5(_NS, f"user-{i}"))


def owner_query(catalog: dict[str, Table], name: str, select: sql.Composable) -> sql.Composed | None:
    """``select <select>, <owner id>::text from <name> as t ...``: each row with its owner, None when the
    table has no chain of foreign keys to the users table. ``select`` reads the row as ``t``."""
    path = owner_path(catalog, name)
    if path is None:
        return None
    schema, _, rel = name.partition(".")
    if not path:
        return sql.SQL("select {}, t.id::text from {} as t").format(select, sql.Identifier(schema, rel))
    joins: list[sql.Composable] = []
    alias = "t"
    for i, fk in enumerate(path[:-1]):
        nxt = f"o{i + 1}"
        ref_schema, _, ref_name = fk.ref_table.partition(".")
        joins.append(sql.SQL(" left join {} as {} on {} = {}").format(
            sql.Identifier(ref_schema, ref_name), sql.Identifier(nxt), sql.Identifier(nxt, fk.ref_columns[0]),
            sql.Identifier(alias, fk.columns[0])))
        alias = nxt
    return sql.SQL("select {}, {}::text from {} as t{}").format(
        select, sql.Identifier(alias, path[-1].columns[0]), sql.Identifier(schema, rel), sql.SQL("").join(joins))


@dataclass
class SynthWorld:
    """What was synthesised: the users, rows per table, and why a table got none."""

    users: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)
    """The tables whose rows have an owner (a chain of foreign keys to auth.users)."""

    def suite(self, base: SpecSuite) -> SpecSuite:
        """``base`` (its intended denials and the like) with the world's users as the matrix identities."""
        users = {f"user{i + 1}": uid for i, uid in enumerate(self.users)}
        matrix = dict(zip(("owner", "stranger"), users, strict=False))
        return SpecSuite(files=base.files, users=users, matrix=matrix, denials=base.denials,
                         equivalent=base.equivalent)

    def identities(self) -> list[Identity]:
        """Every world user, named as in the matrix (owner, stranger), then user3 ..."""
        names = ["owner", "stranger"]
        return [Identity(name=names[i] if i < len(names) else f"user{i + 1}", role="authenticated", user_id=uid)
                for i, uid in enumerate(self.users)]


class _Rows:
    """Rows of the filled tables with their owners, as the database holds them (seed and triggers included)."""

    def __init__(self, conn: psycopg.Connection, catalog: dict[str, Table]) -> None:
        self.conn, self.catalog = conn, catalog
        self.by_table: dict[str, list[tuple[dict[str, Any], str | None]]] = {}

    def load(self, name: str) -> None:
        schema, _, rel = name.partition(".")
        query = owner_query(self.catalog, name, sql.SQL("to_jsonb(t)")) or sql.SQL(
            "select to_jsonb(t), null::text from {} as t").format(sql.Identifier(schema, rel))
        self.by_table[name] = [(r[0], r[1]) for r in self.conn.execute(
            sql.SQL("{} limit 200").format(query)).fetchall()]

    def pick(self, fk: ForeignKey, owner: str | None, i: int) -> dict[str, Any] | None:
        rows = self.by_table.get(fk.ref_table, [])
        mine = [r for r, o in rows if owner is not None and o == owner]
        pool = mine or [r for r, _ in rows]
        usable = [r for r in pool if all(r.get(c) is not None for c in fk.ref_columns)]
        return usable[i % len(usable)] if usable else None


def _row(table: Table, values: ColumnValues, rows: _Rows, owner: str | None, i: int, user: int | None
         ) -> dict[str, sql.Composable]:
    """The columns of one new row as SQL; raises ConfigError when it cannot be made."""
    out: dict[str, sql.Composable] = {}
    for fk in table.foreign_keys:
        if any(c in out for c in fk.columns):
            continue
        ref = None if fk.ref_table == table.qualified else rows.pick(fk, owner, i)
        if ref is None:
            if required(table, fk):
                raise ConfigError(f"{table.qualified}({', '.join(fk.columns)}) needs a row of {fk.ref_table}, "
                                  "which has none", where="verify world")
            out.update({c: sql.SQL("null") for c in fk.columns})
            continue
        out.update({c: sql.Literal(ref[rc]) for c, rc in zip(fk.columns, fk.ref_columns, strict=True)})
    keys = {u[0] for u in table.unique if len(u) == 1}
    for column in table.columns:
        if column.name in out or column.generated or column.identity or \
                (column.default or "").startswith("nextval("):
            continue
        if table.qualified == USERS_TABLE and user is not None:
            if column.name == "id":
                out["id"] = sql.Literal(owner)
                continue
            if column.name in _USER_TEXT and column.category == "S":
                out[column.name] = sql.Literal(_USER_TEXT[column.name].format(i=user))
                continue
        try:
            expr = values.generic(column, column.name in keys)
        except ConfigError:
            if column.default is not None:
                continue
            raise
        if expr is not None:
            out[column.name] = expr.value
    return out


def _insert(conn: psycopg.Connection, table: Table, cols: dict[str, sql.Composable], n: int) -> int:
    types = {c.name: c.type_sql for c in table.columns}
    query = sql.SQL("insert into {} ({}) select {} from (select {}::bigint as n) as g on conflict do nothing").format(
        sql.Identifier(table.schema, table.name), sql.SQL(", ").join(map(sql.Identifier, cols)),
        # the type names are format_type()'s, read from the catalog
        sql.SQL(", ").join(sql.SQL("cast({} as {})").format(v, sql.SQL(types[c])) for c, v in cols.items()),
        sql.Literal(n))
    with conn.transaction():
        return conn.execute(query).rowcount


def synthesise(conn: psycopg.Connection, schemas: list[str], *, users: int = WORLD_USERS,
               per_user: int = ROWS_PER_USER, seed: int = 0) -> SynthWorld:
    """Fill the database behind ``conn`` (autocommit, a throwaway clone) with a small world."""
    catalog = read_catalog(conn)
    world = SynthWorld()
    if USERS_TABLE not in catalog:
        world.skipped[USERS_TABLE] = "there is no auth.users table (turn the auth emulation on)"
        return world
    roots = [t.qualified for t in catalog.values() if t.schema in schemas] + [USERS_TABLE]
    install_random(conn)
    rows = _Rows(conn, catalog)
    world.users = [user_id(i + 1) for i in range(users)]
    try:
        order = fill_order(catalog, closure(catalog, roots), where="verify world")
    except ConfigError as exc:
        world.skipped["*"] = exc.message
        return world
    for name in order:
        table = catalog[name]
        values = ColumnValues(table, seed)
        owned = owner_path(catalog, name) is not None
        if owned:
            world.owned.add(name)
        owners: list[str | None] = list(world.users) if owned else [None]
        count = 1 if name == USERS_TABLE else per_user
        added = 0
        for u, owner in enumerate(owners):
            for i in range(count):
                n = u * count + i + 1 + 1000 * (seed + 1)  # clear of the small keys a seed may use
                try:
                    cols = _row(table, values, rows, owner, i, u + 1 if owned else None)
                    added += _insert(conn, table, cols, n)
                except ConfigError as exc:
                    world.skipped.setdefault(name, exc.message)
                except psycopg.Error as exc:
                    world.skipped.setdefault(name, error_line(exc))
        rows.load(name)
        schema, _, rel = name.partition(".")  # what the table holds now: triggers may have added rows (profiles)
        present = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, rel))).fetchone()
        world.rows[name] = max(added, int(present[0]) if present else 0)
    return world
