"""The indexes a database has: as candidates (so that a candidate they cover is dropped), what they mean
for writes (HOT), and which are duplicates, redundant (a prefix of another) or unused by the workload."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from .candidates import Candidate, Condition, Key
from .cost import TableIndexes

_INDEXES = """
select n.nspname || '.' || t.relname, i.relname, pg_catalog.pg_get_indexdef(x.indexrelid),
    x.indisunique, x.indisprimary, exists (select 1 from pg_catalog.pg_constraint as k where k.conindid = x.indexrelid),
    am.amname, x.indnkeyatts, x.indexprs is not null,
    pg_catalog.pg_get_expr(x.indpred, x.indrelid),
    array(select a.attname::text from unnest(x.indkey::int2[]) with ordinality as k(attnum, ord)
          left join pg_catalog.pg_attribute as a on a.attrelid = x.indrelid and a.attnum = k.attnum
          order by k.ord),
    x.indoption::int2[], pg_catalog.pg_relation_size(x.indexrelid), x.indisvalid
from pg_catalog.pg_index as x
join pg_catalog.pg_class as i on i.oid = x.indexrelid
join pg_catalog.pg_class as t on t.oid = x.indrelid
join pg_catalog.pg_namespace as n on n.oid = t.relnamespace
join pg_catalog.pg_am as am on am.oid = i.relam
where n.nspname = any(%s)
order by 1, 2
"""


@dataclass(frozen=True)
class Existing:
    table: str
    name: str
    definition: str
    constraint: bool
    """Backs a primary key, unique or exclusion constraint: never dropped for being redundant."""
    unique: bool
    btree: bool
    expressions: bool
    predicate: str | None
    columns: tuple[str | None, ...]
    """Key columns then INCLUDE columns; None for an expression."""
    keys: int
    options: tuple[int, ...]
    size_bytes: int
    valid: bool

    @property
    def schema(self) -> str:
        return self.table.split(".", 1)[0]

    def as_candidate(self) -> Candidate | None:
        """The index in candidate form (btree over plain columns only)."""
        if not self.btree or self.expressions or any(c is None for c in self.columns) or not self.valid:
            return None
        keys = tuple(Key(str(c), bool(o & 1), bool(o & 2) if bool(o & 2) != bool(o & 1) else None)
                     for c, o in zip(self.columns[:self.keys], self.options, strict=False))
        where = (Condition("", "", self.predicate),) if self.predicate else ()
        return Candidate(self.table, keys, tuple(str(c) for c in self.columns[self.keys:]), where)


def read_indexes(conn: psycopg.Connection, schemas: list[str]) -> list[Existing]:
    out = []
    for (table, name, definition, unique, _primary, constraint, am, nkeys, exprs, pred, cols, options, size,
         valid) in conn.execute(_INDEXES, [schemas]).fetchall():
        out.append(Existing(table=table, name=name, definition=definition, constraint=constraint, unique=unique,
                            btree=am == "btree", expressions=exprs, predicate=pred, columns=tuple(cols),
                            keys=nkeys, options=tuple(options or ()), size_bytes=int(size), valid=valid))
    return out


def write_facts(indexes: list[Existing]) -> dict[str, TableIndexes]:
    out: dict[str, TableIndexes] = {}
    for ix in indexes:
        facts = out.setdefault(ix.table, TableIndexes(0, set()))
        facts.count += 1
        facts.columns.update(c for c in ix.columns if c is not None)
    return out


def findings(indexes: list[Existing], used: set[str], tables: set[str]) -> list[tuple[Existing, str, str]]:
    """(index, kind, detail): ``duplicate`` and ``redundant`` on any table, ``unused`` on the workload's tables
    (``used``: the names of the indexes some workload plan uses, as plans spell them)."""
    out: list[tuple[Existing, str, str]] = []
    forms = [(ix, ix.as_candidate()) for ix in indexes]
    for ix, form in forms:
        if form is None:
            continue
        for other, oform in forms:
            if other is ix or oform is None or other.table != ix.table:
                continue
            if oform == form and (not other.constraint, other.name) > (not ix.constraint, ix.name):
                continue  # a pair is reported once, on the one to drop: not the constraint's, else the later name
            if oform == form:
                out.append((ix, "duplicate", f"same definition as {other.name}"))
                break
            if not ix.constraint and not ix.unique and oform.covers(form) and len(oform.keys) > len(form.keys):
                out.append((ix, "redundant", f"its keys are a prefix of {other.name}'s, which serves the same scans"))
                break
    flagged = {ix.name for ix, _, _ in out}
    for ix in indexes:
        if ix.table in tables and ix.name not in used and ix.name not in flagged:
            detail = "no workload plan uses it"
            if ix.constraint:
                detail += " (it backs a constraint, so it stays)"
            out.append((ix, "unused", detail))
    return out
