"""The statements advise costs: bench's workload queries (or one ``--query``), their AST facts, the base
tables they read (through views, whose definitions are read from the database), and how their
parameters are planned: values sampled from the data, or a generic plan when a parameter has none.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
import psycopg

from ..bench import Query, Workload, load_workload, parse_query
from ..bench._run import positional
from ..bench._sample import Sampler, build_sampler
from ..bench._workload import PLACEHOLDER, check_against
from ..catalog import Table
from ..config import Settings
from ..errors import ConfigError, InputError
from ..models import FileKind, SqlFile
from ..parse import References, references
from ..project import checksum
from .candidates import Candidate, candidates

_DOLLAR = re.compile(r"\$(\d+)")
_NO_VALUE = "has no value"  # bench's complaint about a placeholder without a value: advise plans it generically


@dataclass
class Statement:
    query: Query
    refs: References
    kind: str
    """select, insert, update, delete (or another statement's keyword)."""
    tables: set[str] = field(default_factory=set)
    """Base tables read or written, views expanded."""
    candidates: list[Candidate] = field(default_factory=list)
    mode: str = "plain"
    """plain (no parameter), sampled (values drawn from the data) or generic (a generic plan)."""
    samples: list[dict[str, Any]] = field(default_factory=list)
    weight: float = 1.0

    @property
    def name(self) -> str:
        return self.query.name

    @property
    def where(self) -> str:
        return f"{self.query.file}:{self.query.line}"

    @property
    def target(self) -> str | None:
        """The table an INSERT, UPDATE or DELETE writes."""
        return self.refs.writes[0] if self.refs.writes else None

    @property
    def updated_columns(self) -> set[str]:
        return {c for t, c in self.refs.columns_written if t == self.target}

    def positional_sql(self) -> tuple[str, int]:
        """The SQL with ``$n`` placeholders and their count."""
        if self.query.parameters:
            return positional(self.query.sql, self.query.parameters).decode(), len(self.query.parameters)
        numbers = [int(n) for n in _DOLLAR.findall(self.query.sql)]
        return self.query.sql, max(numbers, default=0)


def _tolerated(problem: InputError) -> bool:
    return _NO_VALUE in problem.message


def _first_problem(problems: list[InputError]) -> None:
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ConfigError(first.message + more, where=first.where)


def from_text(text: str, display: str, params: dict[str, Any]) -> Query:
    """One statement given on the command line (or a file named there), with ``--param`` values."""
    file = SqlFile(path=Path(display).resolve(), display=display, kind=FileKind.QUERY, text=text,
                   checksum=checksum(text), name="query" if display == "--query" else display.rsplit("/", 1)[-1]
                   .removesuffix(".sql"))
    query, problems = parse_query(file)
    _first_problem([p for p in problems if not _tolerated(p)])
    if params:
        query = Query(name=query.name, description=query.description, file=query.file, line=query.line,
                      sql=query.sql, defaults={**query.defaults, **params}, sources=query.sources)
    return query


def workload_queries(settings: Settings) -> list[Query]:
    workload: Workload = load_workload(settings)
    _first_problem([p for p in workload.problems if not _tolerated(p)])
    if not workload.queries and not workload.problems:
        raise ConfigError(f"no query files (*.sql) in {settings.queries}", where=settings.source("queries"))
    found = list(workload.queries)
    tolerated = {p.where.rsplit(":", 1)[0] for p in workload.problems if p.where}
    for path in sorted(settings.path(settings.queries).glob("*.sql")):  # files only a missing value held back
        display = f"{settings.queries.rstrip('/')}/{path.name}"
        if display in tolerated and all(q.file != display for q in found):
            found.append(from_text(path.read_text(encoding="utf-8"), display, {}))
    return found


def _refs(query: Query) -> References:
    numbered = PLACEHOLDER.sub(lambda m: "$1".ljust(len(m.group(0))), query.sql)
    try:
        (raw, *rest) = pglast.parse_sql(numbered)
    except pglast.parser.ParseError as exc:
        raise ConfigError(str(exc.args[0]) if exc.args else str(exc), where=f"{query.file}:{query.line}") from None
    if rest:
        raise ConfigError("one statement per query, found more", where=f"{query.file}:{query.line}")
    return references(raw.stmt, numbered)


def _view_refs(conn: psycopg.Connection, names: list[str], seen: set[str]) -> list[References]:
    """The references of the views among ``names`` (and of the views they read), from their definitions."""
    out: list[References] = []
    todo = [n for n in names if n not in seen]
    while todo:
        name = todo.pop()
        seen.add(name)
        schema, _, rel = name.partition(".")
        row = conn.execute("select pg_catalog.pg_get_viewdef(c.oid) from pg_catalog.pg_class as c "
                           "join pg_catalog.pg_namespace as n on n.oid = c.relnamespace "
                           "where n.nspname = %s and c.relname = %s and c.relkind in ('v', 'm')",
                           [schema, rel]).fetchone()
        if row is None or not row[0]:
            continue
        try:
            (raw,) = pglast.parse_sql(str(row[0]))
        except (pglast.parser.ParseError, ValueError):
            continue
        refs = references(raw.stmt)
        out.append(refs)
        todo.extend(r for r in refs.reads if r not in seen)
    return out


def prepare(conn: psycopg.Connection, queries: list[Query], catalog: dict[str, Table], *, samples: int,
            seed: int, generic: bool) -> list[Statement]:
    """The statements of ``queries`` with their candidates and parameter values (``samples`` per statement).

    A table that does not exist is a ConfigError naming the query's file:line."""
    out = []
    for query in queries:
        refs = _refs(query)
        kind = query.sql.lstrip().split(None, 1)[0].lower() if query.sql.strip() else ""
        stmt = Statement(query=query, refs=refs, kind=kind)
        extra = _view_refs(conn, list(refs.reads), set())
        found = [refs, *extra]
        for r in found:
            stmt.tables.update(t for t in (*r.reads, *r.writes) if t in catalog)
            stmt.candidates.extend(c for c in candidates(r) if c not in stmt.candidates)
        missing = [t for r in found for t in (*r.reads, *r.writes) if t not in catalog and not is_relation(conn, t)]
        if missing:
            raise ConfigError(f"table {missing[0]} does not exist (query {query.name})", where=stmt.where)
        stmt.candidates = [c for c in stmt.candidates if _indexable(c, catalog)]
        _parameters(conn, stmt, catalog, samples=samples, seed=seed, generic=generic)
        out.append(stmt)
    return out


def is_relation(conn: psycopg.Connection, name: str) -> bool:
    schema, _, rel = name.partition(".")
    return conn.execute("select 1 from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n "
                        "on n.oid = c.relnamespace where n.nspname = %s and c.relname = %s",
                        [schema, rel]).fetchone() is not None


def _indexable(cand: Candidate, catalog: dict[str, Table]) -> bool:
    table = catalog.get(cand.table)
    return table is not None and all(table.column(c) is not None for c in cand.touched)


def _parameters(conn: psycopg.Connection, stmt: Statement, catalog: dict[str, Table], *, samples: int, seed: int,
                generic: bool) -> None:
    query = stmt.query
    names = query.parameters
    if not names:
        stmt.mode = "generic" if _DOLLAR.search(query.sql) else "plain"
        return
    if generic or any(n not in query.sources and n not in query.defaults for n in names):
        stmt.mode = "generic"
        return
    _first_problem(check_against(query, catalog))
    sampler: Sampler = build_sampler(conn, query, catalog, seed)
    rng = random.Random(f"{seed}:advise:{query.name}")
    stmt.mode = "sampled"
    stmt.samples = [sampler.draw(rng)[0] for _ in range(max(1, samples))]
