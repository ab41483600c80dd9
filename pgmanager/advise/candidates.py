"""Index candidates from the AST facts of each statement (``parse.references``: predicates, sort keys).

Per query level and table, by rule: equality columns first (``=``, IN, join keys), then one range
column or the ORDER BY keys with their directions (an index read in order saves the sort, and with a
LIMIT most of the scan), up to 3 columns; GROUP BY keys (a group aggregate over an ordered scan);
partial indexes for the level's constant predicates (``status = 'active'``, ``deleted_at is null``);
the same keys with INCLUDE of the other columns the statement reads, where an index-only scan may pay.
No database here: the what-if costing decides which candidate helps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import permutations

from ..parse import Predicate, References, SortKey

MAX_COLUMNS = 3
MAX_INCLUDE = 3
_EQUALITY = ("eq", "in", "join")


@dataclass(frozen=True, order=True)
class Key:
    column: str
    descending: bool = False
    nulls_first: bool | None = None

    def text(self) -> str:
        out = self.column + (" desc" if self.descending else "")
        if self.nulls_first is not None and self.nulls_first != self.descending:
            out += " nulls first" if self.nulls_first else " nulls last"
        return out


@dataclass(frozen=True, order=True)
class Condition:
    """A partial index's predicate term: ``column op constant`` (``op`` ``is null``: no constant)."""

    column: str
    op: str
    constant: str

    def text(self) -> str:
        return f"{self.column} {self.op}" if self.op.startswith("is ") else f"{self.column} {self.op} {self.constant}"


@dataclass(frozen=True, order=True)
class Candidate:
    table: str
    keys: tuple[Key, ...]
    include: tuple[str, ...] = ()
    where: tuple[Condition, ...] = ()
    origin: str = field(default="", compare=False, hash=False)
    """Which rule made it (for the report): eq, eq+range, eq+sort, group, include, partial, extend."""

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(k.column for k in self.keys)

    @property
    def touched(self) -> set[str]:
        """Every column whose change writes this index: keys, INCLUDE and the predicate's."""
        return {*self.columns, *self.include, *(c.column for c in self.where)}

    def describe(self) -> str:
        text = f"{self.table} ({', '.join(k.text() for k in self.keys)})"
        if self.include:
            text += f" include ({', '.join(self.include)})"
        if self.where:
            text += " where " + " and ".join(c.text() for c in self.where)
        return text

    def covers(self, other: Candidate) -> bool:
        """This index serves whatever ``other`` serves: same table and predicate, ``other``'s keys a prefix
        of these (directions included), its INCLUDE columns among these columns."""
        return (self.table == other.table and self.where == other.where
                and self.keys[:len(other.keys)] == other.keys
                and set(other.include) <= {*self.columns, *self.include})


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _level_candidates(table: str, preds: list[Predicate], sorts: list[SortKey], read: set[str]) -> list[Candidate]:
    constants = [p for p in preds if p.constant is not None and p.kind in ("eq", "in", "null")]
    params = [p for p in preds if p not in constants]  # a constant range is still a key's range
    equal = _unique(p.column for p in params if p.kind in _EQUALITY)
    ranges = [c for c in _unique(p.column for p in params if p.kind == "range") if c not in equal]
    order = [s for s in sorts if s.clause == "order"]
    group = [s for s in sorts if s.clause == "group"]
    order_keys = tuple(Key(s.column, s.descending, s.nulls_first) for s in order)
    group_keys = tuple(Key(s.column) for s in group)
    out: list[Candidate] = []

    def add(keys: tuple[Key, ...], origin: str) -> None:
        keys = tuple(dict((k.column, k) for k in reversed(keys)).values())[::-1]  # a column once, first place
        if keys and len(keys) <= MAX_COLUMNS:
            out.append(Candidate(table, keys, origin=origin))

    prefixes: list[tuple[str, ...]] = [()]
    for size in range(1, min(len(equal), MAX_COLUMNS) + 1):
        orders = permutations(equal, size) if size <= 2 else [tuple(equal[:size])]
        prefixes.extend(orders)
    for prefix in prefixes:
        head = tuple(Key(c) for c in prefix)
        if head:
            add(head, "eq")
        for col in ranges:
            add((*head, Key(col)), "eq+range" if head else "range")
        if order_keys:
            add((*head, *order_keys)[:MAX_COLUMNS], "eq+sort" if head else "sort")
        if group_keys:
            add((*head, *group_keys)[:MAX_COLUMNS], "eq+group" if head else "group")
    if constants:
        where = tuple(sorted({Condition(p.column, p.op, p.constant or "") for p in constants}))
        fixed = {c.column for c in where}
        for cand in list(out):
            if not fixed & set(cand.columns):
                out.append(Candidate(table, cand.keys, where=where, origin="partial"))
        if not out and order_keys:  # only constants: the rows in order, where they hold
            out.append(Candidate(table, order_keys[:MAX_COLUMNS], where=where, origin="partial"))
    if "*" not in read:
        for cand in list(out):
            extra = sorted(read - set(cand.columns) - {c.column for c in cand.where})
            if 0 < len(extra) <= MAX_INCLUDE:
                out.append(Candidate(table, cand.keys, tuple(extra), cand.where, origin="include"))
    return out


def candidates(refs: References) -> list[Candidate]:
    """Every candidate of one statement, deduplicated, in a stable order."""
    by_level: dict[tuple[int, str], list[Predicate]] = {}
    for p in refs.predicates:
        by_level.setdefault((p.level, p.relation), []).append(p)
    sorts: dict[int, list[SortKey]] = {}
    for s in refs.sort_keys:
        sorts.setdefault(s.level, []).append(s)
    for level, keys in sorts.items():  # sort keys serve one table only when they all are its
        for table in {s.relation for s in keys}:
            by_level.setdefault((level, table), [])
    read: dict[str, set[str]] = {}
    for table, column in refs.columns_read:
        read.setdefault(table, set()).add(column)
    out: dict[Candidate, None] = {}
    for (level, table), preds in sorted(by_level.items()):
        level_sorts = [s for s in sorts.get(level, []) if s.relation == table]
        all_sorts = sorts.get(level, [])
        for clause in ("order", "group"):  # a clause whose keys span tables cannot be served by one index
            if any(s.relation != table for s in all_sorts if s.clause == clause):
                level_sorts = [s for s in level_sorts if s.clause != clause]
        level_sorts = _prefix(level_sorts)
        for cand in _level_candidates(table, preds, level_sorts, read.get(table, set())):
            out.setdefault(cand, None)
    return list(out)


def _prefix(sorts: list[SortKey]) -> list[SortKey]:
    """Per clause, the keys from position 0 without a gap (an index serves a prefix of the keys)."""
    out = []
    for clause in ("order", "group"):
        keys = sorted((s for s in sorts if s.clause == clause), key=lambda s: s.position)
        for i, s in enumerate(keys):
            if s.position != i:
                break
            out.append(s)
    return out


def extensions(index: Candidate, columns: Iterable[Key], limit: int = MAX_COLUMNS) -> list[Candidate]:
    """``index`` with one more key column from ``columns`` (the Extend step), within ``limit`` columns."""
    if len(index.keys) >= limit:
        return []
    have = set(index.columns) | {c.column for c in index.where}
    return [Candidate(index.table, (*index.keys, key), tuple(c for c in index.include if c != key.column),
                      index.where, origin="extend")
            for key in columns if key.column not in have]
