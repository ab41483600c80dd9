"""Filling a column from its type, enum and CHECK constraint: one SQL expression per column, over row ``n``.

Deterministic: every "random" value is ``hashint8extended(n, salt)`` (``pg_temp.pgm_r``, see
:func:`install_random`) with a salt derived from the seed, the table and the column, so the same seed
gives the same rows whatever order the server evaluates them in. Unique columns (uuid, text, a key) are
derived from the row number. Used by bench's generator (millions of rows in one INSERT) and by verify's
synthesised world (a few rows per user).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from ..errors import ConfigError
from ._checks import Facts, column_facts
from ._tables import Column, ForeignKey, Table

_MASK = 2**52 - 1
_INT_RANGE = {"int2": (0, 1000), "int4": (0, 1_000_000), "int8": (0, 1_000_000)}
DEFAULT_WINDOW = (date(2024, 1, 1), date(2024, 4, 1))
ROW = sql.Identifier("g", "n")
"""The row number the expressions read: ``... from generate_series(1, k) as g(n)``."""

_RANDOM = sql.SQL("""
create or replace function pg_temp.pgm_r(n bigint, salt bigint) returns double precision
language sql immutable parallel safe
as 'select (hashint8extended(n, salt) & {})::float8 / {}'
""").format(sql.Literal(_MASK), sql.Literal(float(_MASK + 1)))


def install_random(conn: psycopg.Connection) -> None:
    """Create ``pg_temp.pgm_r(n, salt)``, a uniform value in [0, 1), for this session."""
    conn.execute(_RANDOM)


def salt(seed: int, *parts: str) -> int:
    digest = hashlib.sha256(":".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def required(table: Table, fk: ForeignKey) -> bool:
    """The foreign key has a NOT NULL column: the row cannot exist without a referenced row."""
    return any(c.not_null for c in table.columns if c.name in fk.columns)


def fill_order(catalog: dict[str, Table], tables: list[str], where: str = "bench data") -> list[str]:
    """``tables`` with every referenced table before its referrers; self-references do not count.

    A cycle through NOT NULL foreign keys cannot be filled; a cycle through a nullable one is broken
    there (the filler leaves that column null).
    """
    wanted = set(tables)
    order: list[str] = []
    done: set[str] = set()
    remaining = sorted(wanted)
    strict = True
    while remaining:
        ready = [t for t in remaining if all(
            fk.ref_table in done or fk.ref_table == t or fk.ref_table not in wanted
            or (not strict and not required(catalog[t], fk))
            for fk in catalog[t].foreign_keys)]
        if not ready:
            if not strict:
                raise ConfigError("cannot order the tables to fill: a cycle of NOT NULL foreign keys among "
                                  + ", ".join(remaining), where=where)
            strict = False
            continue
        order.extend(ready)
        done.update(ready)
        remaining = [t for t in remaining if t not in done]
        strict = True
    return order


@dataclass
class Expr:
    """A column's value: its SQL, whether it differs on every row, and the other columns it reads."""

    value: sql.Composable
    unique: bool = False
    reads: frozenset[str] = frozenset()

    @property
    def derived(self) -> bool:
        return bool(self.reads)


class ColumnValues:
    """SQL values for the columns of one table, from their types and CHECK facts, deterministic by ``seed``."""

    remedy = "give it a default"
    """What to do about a NOT NULL column of a type nothing can fill."""

    def __init__(self, table: Table, seed: int, window: tuple[date, date] = DEFAULT_WINDOW) -> None:
        self.table = table
        self.seed = seed
        self.window = window
        self.facts = column_facts([d for _, d in table.checks])

    def where(self, column: str) -> str:
        """Where an error about ``column`` points (a setting, a profile entry)."""
        return f"{self.table.qualified}.{column}"

    def rand(self, column: str, n: sql.Composable, purpose: str = "") -> sql.Composable:
        return sql.SQL("pg_temp.pgm_r({}, {})").format(n, sql.Literal(salt(self.seed, self.table.qualified, column,
                                                                            purpose)))

    def pick(self, values: list[str], weights: list[float] | None, r: sql.Composable) -> sql.Composable:
        literals = [sql.Literal(v) for v in values]
        if not weights:
            return sql.SQL("(array[{}]::text[])[1 + floor({} * {})::int]").format(
                sql.SQL(", ").join(literals), r, sql.Literal(len(values)))
        total, running, whens = sum(weights), 0.0, []
        for value, weight in zip(literals[:-1], weights[:-1], strict=True):
            running += weight / total
            whens.append(sql.SQL("when {} < {} then {}").format(r, sql.Literal(running), value))
        return sql.SQL("(case {} else {} end)::text").format(sql.SQL(" ").join(whens), literals[-1])

    def generic(self, column: Column, key: bool) -> Expr | None:
        """A value for ``column`` on row ``g.n`` from its type and CHECK facts; None to leave it to its default."""
        n = ROW
        r = self.rand(column.name, n)
        facts = self.facts.get(column.name, Facts())
        if facts.values:
            return Expr(self.pick(list(facts.values), None, r))
        if column.enum_labels:
            return Expr(self.pick(list(column.enum_labels), None, r))
        kind, cat = column.type_name, column.category
        if kind == "uuid":  # 128 bits of two hashes of the row number (md5() costs twice as much)
            halves = [sql.SQL("lpad(to_hex(hashint8extended({}, {})), 16, '0')").format(
                n, sql.Literal(salt(self.seed, self.table.qualified, column.name, half))) for half in ("hi", "lo")]
            return Expr(sql.SQL("({} || {})::uuid").format(*halves), unique=True)
        if cat == "S":
            return Expr(sql.SQL("{} || {}").format(sql.Literal(column.name + "-"), n), unique=True)
        if kind in _INT_RANGE:
            low, high = self._bounds(facts, *_INT_RANGE[kind], integer=True)
            if key:
                return Expr(sql.SQL("{} + {} - 1").format(sql.Literal(int(low)), n), unique=True)
            return Expr(sql.SQL("{} + floor({} * {})").format(sql.Literal(int(low)), r,
                                                                sql.Literal(int(high - low + 1))))
        if cat == "N":
            low, high = self._bounds(facts, 0, 1000, integer=False)
            return Expr(sql.SQL("({} + {} * {})::numeric(20, 2)").format(sql.Literal(low), r,
                                                                          sql.Literal(high - low)))
        if cat == "B":
            return Expr(sql.SQL("{} < 0.5").format(r))
        if cat == "D":
            start, end = self.window
            origin = sql.SQL("{}::timestamptz").format(sql.Literal(f"{start.isoformat()} 00:00:00+00"))
            if key:
                return Expr(sql.SQL("{} + {} * interval '1 second'").format(origin, n), unique=True)
            span = sql.Literal(f"{(end - start).days} days")
            return Expr(sql.SQL("{} + {} * {}::interval").format(origin, r, span))
        if cat == "T":
            return Expr(sql.SQL("{} * interval '1 day'").format(r))
        if kind == "bytea":
            return Expr(sql.SQL("decode(md5({} || {}), 'hex')").format(sql.Literal(column.name), n), unique=True)
        if kind in ("inet", "cidr"):
            return Expr(sql.SQL("'10.0.0.0'::inet + {}").format(n), unique=True)
        if column.default is not None and "(" not in column.default:
            return None  # a constant default (jsonb '{}', an array literal): the table's own choice
        if kind in ("json", "jsonb"):
            return Expr(sql.SQL("'{}'"))
        if cat == "A":
            return Expr(sql.SQL("'{}'"))
        if not column.not_null:
            return Expr(sql.SQL("null"))
        raise ConfigError(f"cannot generate a value of type {column.type_sql} for NOT NULL column "
                          f"{self.table.qualified}.{column.name}: {self.remedy}",
                          where=self.where(column.name))

    @staticmethod
    def _bounds(facts: Facts, low: float, high: float, *, integer: bool) -> tuple[float, float]:
        step = 1 if integer else 0.0
        lo = facts.low + (0 if facts.low_inclusive else step) if facts.low is not None else None
        hi = facts.high - (0 if facts.high_inclusive else step) if facts.high is not None else None
        if lo is None and hi is None:
            return low, high
        if lo is None:
            assert hi is not None
            return min(low, hi - (high - low)), hi
        if hi is None:
            return lo, lo + (high - low)
        return lo, max(lo, hi)
