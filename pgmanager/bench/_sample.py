"""Parameter values for each request, and the user the request runs as.

A ``from schema.table.column`` source is served from a pool of rows sampled once from the table
(``TABLESAMPLE BERNOULLI ... REPEATABLE (seed)``, so the same data gives the same pool): drawing a row
uniformly from the pool draws each value as often as it occurs, so a user who owns many projects is
drawn as often as real traffic would bring them. Parameters drawn from the same table come from the
same row, and the row's owner (the user id at the end of its foreign keys to ``auth.users``) is who
the request runs as; a query without such a row runs as a user sampled from ``auth.users``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from ..catalog import USERS_TABLE, ForeignKey, Table, owner_path
from ..errors import InputError
from ._workload import After, FromColumn, OneOf, Query, Range, scalar

POOL_SIZE = 1000


@dataclass
class _Pool:
    params: list[str]
    rows: list[tuple[Any, ...]]
    owned: bool
    """The last value of each row is its owner's user id."""


@dataclass
class Sampler:
    """Draws one request's parameters and user; deterministic for a given ``random.Random``."""

    query: Query
    pools: list[_Pool] = field(default_factory=list)
    users: list[Any] = field(default_factory=list)
    order: list[str] = field(default_factory=list)

    def draw(self, rng: random.Random) -> tuple[dict[str, Any], str | None]:
        values: dict[str, Any] = {name: self.query.defaults.get(name) for name in self.query.parameters}
        owner: Any = None
        for pool in self.pools:
            row = pool.rows[rng.randrange(len(pool.rows))]
            values.update(zip(pool.params, row, strict=False))
            if pool.owned and owner is None:
                owner = row[-1]
        for name in self.order:
            source = self.query.sources[name]
            if isinstance(source, Range):
                values[name] = _uniform(source.low, source.high, rng)
            elif isinstance(source, OneOf):
                values[name] = source.values[rng.randrange(len(source.values))]
            elif isinstance(source, After):
                values[name] = _after(values.get(source.other), source, rng, f"{self.query.file}:{source.line}")
        if owner is None and self.users:
            owner = self.users[rng.randrange(len(self.users))]
        return values, None if owner is None else str(owner)


def _uniform(low: Any, high: Any, rng: random.Random) -> Any:
    if isinstance(low, datetime):
        return low + timedelta(seconds=round(rng.uniform(0, (high - low).total_seconds())))
    if isinstance(low, date):
        return low + timedelta(days=rng.randint(0, (high - low).days))
    if isinstance(low, int):
        return rng.randint(low, high)
    return rng.uniform(low, high)


def _after(base: Any, source: After, rng: random.Random, where: str) -> Any:
    if isinstance(base, str):
        base = scalar(base) if scalar(base) is not None else base
    if source.unit_seconds is None:
        if isinstance(base, int) and source.low.is_integer() and source.high.is_integer():
            return base + rng.randint(int(source.low), int(source.high))
        return base + rng.uniform(source.low, source.high)
    if isinstance(base, date) and not isinstance(base, datetime):
        base = datetime(base.year, base.month, base.day, tzinfo=UTC)
    if not isinstance(base, datetime):
        raise InputError(f"after {source.other}: {source.other} is not a date or timestamp ({base!r})",
                         where=where)
    return base + timedelta(seconds=round(rng.uniform(source.low, source.high) * source.unit_seconds))


def _percent(table: Table, size: int) -> float:
    return 100.0 if table.reltuples <= size else max(0.01, min(100.0, 100.0 * size / table.reltuples))


def _sample_rows(conn: psycopg.Connection, catalog: dict[str, Table], table_name: str, columns: list[str],
                 seed: int, path: list[ForeignKey] | None, size: int) -> list[tuple[Any, ...]]:
    """Sampled rows of ``columns``, each followed by its owner's user id when ``path`` leads to one."""
    table = catalog[table_name]
    selects = [sql.Identifier("t0", c) for c in columns]
    joins: list[sql.Composable] = []
    if path is not None:
        alias = "t0"
        for i, fk in enumerate(path[:-1], start=1):
            schema, _, name = fk.ref_table.partition(".")
            joins.append(sql.SQL("left join {} as {} on {} = {}").format(
                sql.Identifier(schema, name), sql.Identifier(f"t{i}"),
                sql.Identifier(f"t{i}", fk.ref_columns[0]), sql.Identifier(alias, fk.columns[0])))
            alias = f"t{i}"
        own = path[-1].columns[0] if path else (table.primary_key or ("id",))[0]
        selects.append(sql.Identifier(alias, own))
    not_null = sql.SQL(" and ").join(sql.SQL("{} is not null").format(sql.Identifier("t0", c)) for c in columns) \
        if columns else sql.SQL("true")
    base = sql.SQL("select {} from {} as t0 {} {} where {} limit {}")
    sampled = sql.SQL("tablesample bernoulli ({}) repeatable ({})").format(
        sql.Literal(_percent(table, size)), sql.Literal(seed))
    for sample in (sampled, sql.SQL("")):  # a small or unanalyzed table may sample no row
        rows = conn.execute(base.format(sql.SQL(", ").join(selects), sql.Identifier(table.schema, table.name),
                                        sample, sql.SQL(" ").join(joins), not_null,
                                        sql.Literal(4 * size))).fetchall()
        if rows:
            return rows
    return []


def build_sampler(conn: psycopg.Connection, query: Query, catalog: dict[str, Table], seed: int,
                  size: int = POOL_SIZE) -> Sampler:
    """Sample the pools ``query`` draws from; an empty table is an InputError at its ``-- param:`` line."""
    sampler = Sampler(query)
    by_table: dict[str, list[tuple[str, FromColumn]]] = {}
    for name, source in query.sources.items():
        if isinstance(source, FromColumn):
            by_table.setdefault(source.qualified_table, []).append((name, source))
    owner_found = False
    for table_name, params in by_table.items():
        path = None if owner_found else owner_path(catalog, table_name)  # the first table with an owner says who
        owned = path is not None
        rows = _sample_rows(conn, catalog, table_name, [s.column for _, s in params], seed, path, size)
        if not rows:
            first = params[0][1]
            raise InputError(f"parameter {params[0][0]}: {table_name} has no rows to draw {first.column} from "
                             "(generate data with --scale, or use a populated target)",
                             where=f"{query.file}:{first.line}")
        sampler.pools.append(_Pool([n for n, _ in params], rows, owned))
        owner_found = owner_found or owned
    if not owner_found and USERS_TABLE in catalog:
        sampler.users = [r[0] for r in _sample_rows(conn, catalog, USERS_TABLE, [], seed, [], size)]
    pending = [n for n, s in query.sources.items() if not isinstance(s, FromColumn)]
    while pending:  # a parameter after another is drawn after it (cycles are refused by the parser)
        ready = [n for n in pending if not isinstance(s := query.sources[n], After) or s.other not in pending]
        sampler.order.extend(ready)
        pending = [n for n in pending if n not in ready]
    return sampler
