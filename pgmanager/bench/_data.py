"""Deterministic synthetic data at a chosen scale, generated inside the server.

Generic: the generator reads the target's catalog and fills every table of the exposed schemas, and
every table they reference, in foreign-key order, one ``insert ... select ... from generate_series``
per table (never row by row). A column gets a value that fits its type, its CHECK constraint (an
enumeration, numeric bounds) and its foreign key (a row of the referenced table, picked through a
numbered copy of its keys); unique columns are derived from the row number.

Deterministic: every "random" value is ``hashint8extended(row number, salt)`` with a salt derived from
the seed, the table and the column, so the same seed gives the same rows, whatever order the server
evaluates them in. Rows that would break a unique constraint are skipped (``on conflict do nothing``),
in row-number order, so that is deterministic too.

A data profile (``<queries>/bench.toml``) gives rows per table at scale 1 and per-column overrides for
a project's own tables: skewed foreign keys (``skew = 2``: a row of the referenced table is picked at
``count * random() ^ 2``, so a few rows are picked very often, as a few users own many projects),
fixed value lists with weights, null fractions and SQL expressions.
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from ..catalog import (
    Column,
    ColumnValues,
    Expr,
    ForeignKey,
    Table,
    closure,
    fill_order,
    install_random,
    read_catalog,
    required,
)
from ..db import error_line
from ..errors import ConfigError, DatabaseError
from ._profile import ColumnRule, DataProfile, TableRule

GENERATOR_VERSION = "1"
"""Part of a data template's key: bump it when the same seed would generate different rows."""

@dataclass
class Generated:
    """What a generation made: rows added per table, and how long it took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    seconds_by_table: dict[str, float] = field(default_factory=dict)


class _Filler(ColumnValues):
    """Builds the one INSERT that fills a table: the generic values, plus the profile's column rules."""

    remedy = "give it an sql expression in the data profile"

    def __init__(self, table: Table, profile: DataProfile, seed: int) -> None:
        super().__init__(table, seed, profile.window)
        self.profile = profile

    def nulls(self, column: str, rule: ColumnRule | None, n: sql.Composable,
              expr: sql.Composable) -> sql.Composable:
        if rule is None or rule.null_fraction <= 0:
            return expr
        return sql.SQL("case when {} < {} then null else {} end").format(
            self.rand(column, n, "null"), sql.Literal(rule.null_fraction), expr)

    def custom(self, column: Column, text: str, names: set[str]) -> Expr:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        except ValueError as exc:
            raise ConfigError(f"invalid sql template: {exc} (double a literal brace)",
                              where=self.where(column.name)) from None
        others = fields - {"n", "r"}
        unknown = others - names
        if unknown or column.name in others:
            bad = ", ".join(sorted(unknown or {column.name}))
            raise ConfigError(f"sql refers to {bad}, which is not another column of {self.table.qualified}",
                              where=self.where(column.name))
        level = sql.Identifier("s", "n") if others else sql.Identifier("g", "n")
        mapping: dict[str, sql.Composable] = {"n": level, "r": self.rand(column.name, level)}
        mapping.update({o: sql.Identifier("s", o) for o in others})
        try:
            value = sql.SQL(text).format(**mapping)  # the profile's SQL is the project's, like its migrations
        except (ValueError, IndexError) as exc:
            raise ConfigError(f"invalid sql template: {exc}", where=self.where(column.name)) from None
        return Expr(value, reads=frozenset(others))

    def where(self, column: str) -> str:
        return f"{self.profile.source or 'bench data'}: tables.{self.table.qualified}.columns.{column}"


def _nulled(table: Table, fk: ForeignKey, done: set[str]) -> bool:
    """A foreign key left null: it references its own table, or a table not filled yet (a broken cycle)."""
    return fk.ref_table == table.qualified or fk.ref_table not in done


def _insert(conn: psycopg.Connection, table: Table, rule: TableRule, profile: DataProfile, seed: int, scale: float,
            done: set[str]) -> int:
    """Fill one table; returns the rows added."""
    filler = _Filler(table, profile, seed)
    n = sql.Identifier("g", "n")
    exprs: dict[str, Expr] = {}
    joins: list[sql.Composable] = []
    one_to_one: int | None = None
    for i, fk in enumerate(table.foreign_keys):
        if any(c in exprs for c in fk.columns):
            continue  # a column in two foreign keys is filled by the first
        if _nulled(table, fk, done):
            if required(table, fk):
                raise ConfigError(f"cannot fill NOT NULL {table.qualified}({', '.join(fk.columns)}): it references "
                                  f"{fk.ref_table}, which cannot be filled first", where="bench data")
            exprs.update({c: Expr(sql.SQL("null")) for c in fk.columns})
            continue
        ref = sql.Identifier(f"pgm_ref_{i}")
        count = _numbered_keys(conn, fk, ref)
        if count == 0:
            if required(table, fk):
                raise ConfigError(f"cannot fill {table.qualified}: {fk.ref_table} has no rows to reference",
                                  where="bench data")
            exprs.update({c: Expr(sql.SQL("null")) for c in fk.columns})
            continue
        col_rule = rule.columns.get(fk.columns[0])
        by_row = set(fk.columns) == set(table.primary_key) and one_to_one is None
        if by_row:
            one_to_one = count  # the primary key references another table: one row per referenced row
            pick: sql.Composable = n
        else:
            skew = col_rule.skew if col_rule and col_rule.skew else 1.0
            pick = sql.SQL("1 + floor({} * power({}, {}))::bigint").format(
                sql.Literal(count), filler.rand(fk.columns[0], n, "pick"), sql.Literal(skew))
        pick = filler.nulls(fk.columns[0], col_rule, n, pick)
        alias = sql.Identifier(f"r{i}")
        nullable = not required(table, fk) or (col_rule is not None and col_rule.null_fraction > 0)
        joins.append(sql.SQL("{} join pg_temp.{} as {} on {} = {}").format(
            sql.SQL("left" if nullable else ""), ref, alias, sql.Identifier(f"r{i}", "rn"), pick))
        for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True):
            exprs[col] = Expr(sql.Identifier(f"r{i}", ref_col), unique=by_row and col_rule is None)
    keys = {u[0] for u in table.unique if len(u) == 1}
    names = {c.name for c in table.columns if not c.generated}
    numbered: set[str] = set()  # columns the table numbers itself (identity, serial)
    for column in table.columns:
        if column.name in exprs or column.generated:
            continue
        col_rule = rule.columns.get(column.name)
        if col_rule is not None and col_rule.sql is not None:
            exprs[column.name] = filler.custom(column, col_rule.sql, names)
        elif col_rule is not None and col_rule.values is not None:
            exprs[column.name] = Expr(filler.pick(col_rule.values, col_rule.weights, filler.rand(column.name, n)))
        elif column.identity or (column.default or "").startswith("nextval("):
            numbered.add(column.name)
            continue
        else:
            generic = filler.generic(column, column.name in keys)
            if generic is None:
                continue
            exprs[column.name] = generic
        exprs[column.name].value = filler.nulls(column.name, col_rule, n, exprs[column.name].value)
    foreign = {c for fk in table.foreign_keys for c in fk.columns}
    for col, col_rule in rule.columns.items():
        if col not in names:
            raise ConfigError(f"{table.qualified} has no column {col}", where=filler.where(col))
        if col in foreign and (col_rule.sql is not None or col_rule.values is not None):
            raise ConfigError("a foreign key column takes skew and null_fraction (its values are the referenced "
                              "rows')", where=filler.where(col))
        if col not in foreign and col_rule.skew is not None:
            raise ConfigError("skew applies to foreign key columns only", where=filler.where(col))
    for col, expr in exprs.items():
        bad = sorted(c for c in expr.reads if c not in exprs or exprs[c].derived)
        if bad:
            raise ConfigError(f"sql reads {', '.join(bad)}, which must be generated without reading other columns",
                              where=filler.where(col))
    if not exprs:
        raise ConfigError(f"nothing to generate for {table.qualified}: every column has a default",
                          where="bench data")
    if one_to_one is not None:
        total = one_to_one if rule.rows is None else min(one_to_one, _scaled(rule.rows, scale))
    else:
        total = _scaled(rule.rows if rule.rows is not None else profile.default_rows, scale)
    if total == 0:
        return 0
    return _run_insert(conn, table, exprs, joins, total, numbered)


def _scaled(rows: int, scale: float) -> int:
    return 0 if rows == 0 else max(1, round(rows * scale))


def _run_insert(conn: psycopg.Connection, table: Table, exprs: dict[str, Expr], joins: list[sql.Composable],
                total: int, numbered: set[str]) -> int:
    types = {c.name: c.type_sql for c in table.columns}
    base = [(c, e) for c, e in exprs.items() if not e.derived]
    inner = sql.SQL("select g.n{} from generate_series(1, {}) as g(n) {}").format(
        sql.SQL("").join(sql.SQL(", {} as {}").format(e.value, sql.Identifier(c)) for c, e in base),
        sql.Literal(total), sql.SQL(" ").join(joins))
    # the type names are format_type()'s, read from the catalog
    outer = [sql.SQL("cast({} as {})").format(sql.Identifier("s", c) if not e.derived else e.value,
                                              sql.SQL(types[c])) for c, e in exprs.items()]
    # Rows that break a unique index are skipped, so they go in row-number order unless no index can be
    # broken; then in primary-key order, which fills the key's index from left to right (twice as fast).
    distinct = numbered | {c for c, e in exprs.items() if e.unique}
    unique_free = all(any(c in distinct for c in u) for u in table.unique)
    order: sql.Composable = sql.SQL(" order by s.n")
    if unique_free:
        key = [c for c in table.primary_key if c in exprs and not exprs[c].derived]
        order = sql.SQL(" order by {}").format(sql.SQL(", ").join(sql.Identifier("s", c) for c in key)) \
            if key else sql.SQL("")
    query = sql.SQL("insert into {} ({}) select {} from ({}) as s{} "
                    "on conflict do nothing").format(
        sql.Identifier(table.schema, table.name), sql.SQL(", ").join(sql.Identifier(c) for c in exprs),
        sql.SQL(", ").join(outer), inner, order)
    try:
        return conn.execute(query).rowcount
    except psycopg.Error as exc:
        diag = exc.diag
        what = f" (constraint {diag.constraint_name})" if diag.constraint_name else ""
        raise DatabaseError(f"cannot fill {table.qualified}{what}: {error_line(exc)}",
                            where="bench data", sqlstate=diag.sqlstate,
                            hint="add a column rule for it to the data profile") from None


def _numbered_keys(conn: psycopg.Connection, fk: ForeignKey, ref: sql.Identifier) -> int:
    """A temp table numbering the referenced keys 1..count (ordered by the keys, so deterministic)."""
    schema, _, name = fk.ref_table.partition(".")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in fk.ref_columns)
    conn.execute(sql.SQL("drop table if exists pg_temp.{}").format(ref))
    conn.execute(sql.SQL("create temp table {} as select row_number() over (order by {}) as rn, {} from {} "
                         "where {}").format(ref, cols, cols, sql.Identifier(schema, name),
                                            sql.SQL(" and ").join(sql.SQL("{} is not null").format(sql.Identifier(c))
                                                                  for c in fk.ref_columns)))
    conn.execute(sql.SQL("analyze pg_temp.{}").format(ref))
    row = conn.execute(sql.SQL("select count(*) from pg_temp.{}").format(ref)).fetchone()
    return int(row[0]) if row else 0


def tables_to_fill(catalog: dict[str, Table], schemas: list[str], profile: DataProfile) -> list[str]:
    """The tables of ``schemas``, those the profile names, and every table they reference."""
    for name in profile.tables:
        if name not in catalog:
            raise ConfigError(f"no table {name} in the database", where=f"{profile.source or 'bench data'}: "
                              f"tables.{name}")
    roots = [t.qualified for t in catalog.values() if t.schema in schemas] + list(profile.tables)
    return closure(catalog, roots)


_SECONDARY_INDEXES = """
select pg_catalog.pg_get_indexdef(i.indexrelid), n.nspname, c.relname
from pg_catalog.pg_index as i
join pg_catalog.pg_class as c on c.oid = i.indexrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where i.indrelid = %s::regclass
    and not exists (select 1 from pg_catalog.pg_constraint as k where k.conindid = i.indexrelid)
order by c.relname
"""


def _without_secondary_indexes(conn: psycopg.Connection, table: Table) -> list[str]:
    """Drop the table's indexes that back no constraint; returns their definitions, to build them again.

    Building an index once over loaded rows is several times faster than maintaining it row by row.
    """
    rows = conn.execute(_SECONDARY_INDEXES, [sql.Identifier(table.schema, table.name).as_string(conn)]).fetchall()
    for _, schema, name in rows:
        conn.execute(sql.SQL("drop index {}").format(sql.Identifier(schema, name)))
    return [definition for definition, _, _ in rows]


def table_rows(conn: psycopg.Connection, schemas: list[str], profile: DataProfile) -> dict[str, int]:
    """Rows per table the generator fills, as the planner knows them; counted if never analyzed."""
    catalog = read_catalog(conn)
    out = {}
    for name in tables_to_fill(catalog, schemas, profile):
        table = catalog[name]
        if table.reltuples < 0:
            row = conn.execute(sql.SQL("select count(*) from {}").format(
                sql.Identifier(table.schema, table.name))).fetchone()
            out[name] = int(row[0]) if row else 0
        else:
            out[name] = int(table.reltuples)
    return out


def generate(conn: psycopg.Connection, *, scale: float, seed: int, profile: DataProfile,
             schemas: list[str], bulk: bool = False) -> Generated:
    """Fill the database behind ``conn`` (autocommit) and VACUUM ANALYZE what was filled.

    ``bulk`` (a sandbox being built, where we are superuser and alone) loads without firing triggers or
    foreign-key checks (``session_replication_role = replica``: the values reference existing rows by
    construction) and builds each table's secondary indexes after its rows: scale 1 takes a fraction
    of the time. Never on a live target.
    """
    t0 = time.perf_counter()
    catalog = read_catalog(conn)
    order = fill_order(catalog, tables_to_fill(catalog, schemas, profile))
    out = Generated()
    conn.execute("set statement_timeout = 0")
    conn.execute("set work_mem = '64MB'")
    conn.execute("set maintenance_work_mem = '256MB'")
    conn.execute("set synchronous_commit = off")
    if bulk:
        conn.execute("set session_replication_role = replica")
    install_random(conn)
    done: set[str] = set()
    for name in order:
        table = catalog[name]
        t = time.perf_counter()
        with conn.transaction():
            indexes = _without_secondary_indexes(conn, table) if bulk else []
            out.rows[name] = _insert(conn, table, profile.tables.get(name, TableRule()), profile, seed, scale, done)
            for definition in indexes:
                conn.execute(sql.SQL(definition))  # pg_get_indexdef's text, as it was
        out.seconds_by_table[name] = round(time.perf_counter() - t, 3)
        done.add(name)
    if bulk:
        conn.execute("reset session_replication_role")
    for name in order:
        schema, _, rel = name.partition(".")
        conn.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier(schema, rel)))
    out.seconds = time.perf_counter() - t0
    return out
