"""The workload: named queries read from ``<queries>/*.sql``, one per file, with a header.

    -- name: user-projects
    -- description: A user's own projects, newest first.
    -- params: {"user_id": "00000000-0000-0000-0000-00000000000a", "limit": 50}
    -- param: user_id from public.projects.user_id
    -- param: start range 2024-01-01..2024-03-01
    -- param: end after start by 1..31 days
    -- param: group_by one of day,week,month
    select ... where p.user_id = %(user_id)s::uuid limit %(limit)s::integer;

``-- params:`` (JSON) holds fixed values, used for every parameter no ``-- param:`` line draws.
A ``-- param:`` line says where a parameter's values come from:

- ``from schema.table.column``: values of that column, sampled from its rows (so a user who owns many
  projects is drawn as often as real traffic would bring them); parameters drawn from the same table
  come from the same row;
- ``range A..B``: uniform between two integers, decimals, dates (``2024-01-01``) or timestamps;
- ``one of a,b,c``: one of the listed values;
- ``after P by A..B [unit]``: parameter P plus a uniform amount (units: seconds, minutes, hours, days,
  weeks; none for numbers), for a range's end.

A problem in one file (an unknown source, a missing column, no SQL, bad JSON) is an InputError naming
``file:line``; the other queries still run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pglast

from ..catalog import Table
from ..config import Settings
from ..errors import ConfigError, InputError
from ..models import FileKind, SqlFile
from ..project import read_sql_file

PLACEHOLDER = re.compile(r"%\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)s")
_HEADER = re.compile(r"^--\s*(?P<key>[A-Za-z_-]+)\s*:\s?(?P<value>.*)$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<source>.*)$")
_FROM = re.compile(r"^from\s+(?P<ref>[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*){1,2})$")
_RANGE = re.compile(r"^range\s+(?P<low>\S+?)\s*\.\.\s*(?P<high>\S+)$")
_ONE_OF = re.compile(r"^one\s+of\s+(?P<values>.+)$")
_AFTER = re.compile(r"^after\s+(?P<other>[A-Za-z_][A-Za-z0-9_]*)\s+by\s+(?P<low>[0-9.]+)\s*\.\.\s*(?P<high>[0-9.]+)"
                    r"(?:\s+(?P<unit>[a-z]+))?$")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
SOURCES_HELP = "use `from schema.table.column`, `range A..B`, `one of a,b,c` or `after PARAM by A..B unit`"


@dataclass(frozen=True)
class FromColumn:
    schema: str
    table: str
    column: str
    line: int

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}"

    def describe(self) -> str:
        return f"from {self.schema}.{self.table}.{self.column}"


@dataclass(frozen=True)
class Range:
    low: int | float | date | datetime
    high: int | float | date | datetime
    line: int

    def describe(self) -> str:
        return f"range {_text(self.low)}..{_text(self.high)}"


@dataclass(frozen=True)
class OneOf:
    values: tuple[str, ...]
    line: int

    def describe(self) -> str:
        return "one of " + ",".join(self.values)


@dataclass(frozen=True)
class After:
    other: str
    low: float
    high: float
    unit_seconds: int | None
    line: int

    def describe(self) -> str:
        unit = next((f" {u}s" for u, s in _UNITS.items() if s == self.unit_seconds), "")
        return f"after {self.other} by {self.low:g}..{self.high:g}{unit}"


Source = FromColumn | Range | OneOf | After


@dataclass(frozen=True)
class Query:
    """One workload query, ready to run: its SQL keeps psycopg's ``%(name)s`` placeholders."""

    name: str
    description: str
    file: str
    line: int
    """The line where the SQL starts."""
    sql: str
    defaults: dict[str, Any] = field(default_factory=dict, hash=False)
    sources: dict[str, Source] = field(default_factory=dict, hash=False)

    @property
    def parameters(self) -> list[str]:
        return list(dict.fromkeys(m.group("name") for m in PLACEHOLDER.finditer(self.sql)))

    def describe_params(self) -> dict[str, str]:
        out = {}
        for name in self.parameters:
            source = self.sources.get(name)
            out[name] = source.describe() if source else f"fixed {json.dumps(self.defaults.get(name))}"
        return out


@dataclass
class Workload:
    queries: list[Query] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else f"{value}"


def scalar(text: str) -> int | float | date | datetime | None:
    """A number, a date or a timestamp (``Z`` for UTC), or None."""
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=None)
    except ValueError:
        return None


def _source(text: str, line: int, where: str) -> Source:
    text = text.strip()
    if m := _FROM.match(text):
        parts = m.group("ref").split(".")
        schema, table, column = parts if len(parts) == 3 else ["public", *parts]
        return FromColumn(schema, table, column, line)
    if m := _RANGE.match(text):
        low, high = scalar(m.group("low")), scalar(m.group("high"))
        if low is None or high is None or type(low) is not type(high):
            raise InputError(f"range {m.group('low')}..{m.group('high')}: give two numbers, two dates "
                             "(2024-01-01) or two timestamps", where=where)
        if high < low:  # type: ignore[operator]
            raise InputError(f"range {m.group('low')}..{m.group('high')} is empty (its end is before its start)",
                             where=where)
        return Range(low, high, line)
    if m := _ONE_OF.match(text):
        values = tuple(v.strip() for v in m.group("values").split(",") if v.strip())
        return OneOf(values, line)
    if m := _AFTER.match(text):
        unit = m.group("unit")
        seconds = None
        if unit is not None:
            seconds = _UNITS.get(unit.removesuffix("s"))
            if seconds is None:
                raise InputError(f"unknown unit {unit!r} (use seconds, minutes, hours, days or weeks)", where=where)
        low, high = float(m.group("low")), float(m.group("high"))
        if high < low:
            raise InputError(f"after {m.group('other')} by {m.group('low')}..{m.group('high')} is empty", where=where)
        return After(m.group("other"), low, high, seconds, line)
    word = text.split()[0] if text.split() else ""
    raise InputError(f"unknown parameter source {word!r}: {SOURCES_HELP}", where=where)


def parse_query(file: SqlFile) -> tuple[Query, list[InputError]]:
    """One query file: the query and why it cannot run (it can when the list is empty)."""
    problems: list[InputError] = []
    lines = file.text.split("\n")
    header: dict[str, tuple[str, int]] = {}
    params: list[tuple[str, int]] = []
    body_start = len(lines)
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            body_start = i
            break
        m = _HEADER.match(stripped)
        if not m:
            continue
        key = m.group("key").lower()
        if key == "param":
            params.append((m.group("value"), i + 1))
        elif key in ("name", "description", "params"):
            header[key] = (m.group("value").strip(), i + 1)
    sql_text = "\n".join(lines[body_start:]).strip()
    body_line = body_start + 1
    if not sql_text:
        last = max((i + 1 for i, text in enumerate(lines) if text.strip()), default=1)
        problems.append(InputError("no SQL after the header: a query file holds one query",
                                   where=f"{file.display}:{last}"))
    name = header.get("name", (file.name, 0))[0] or file.name
    defaults: dict[str, Any] = {}
    unreadable = False  # -- params: is there but not JSON: its parameters have a problem already
    if "params" in header:
        text, line = header["params"]
        try:
            defaults = json.loads(text)
            if not isinstance(defaults, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            problems.append(InputError(f"-- params: is not a JSON object of parameter values ({exc})",
                                       where=f"{file.display}:{line}"))
            defaults, unreadable = {}, True
    sources: dict[str, Source] = {}
    declared: set[str] = set()  # named by a -- param: line, even one that could not be read
    for text, line in params:
        where = f"{file.display}:{line}"
        m = _PARAM.match(text.strip())
        if not m:
            problems.append(InputError(f"-- param: needs a name and a source: {SOURCES_HELP}", where=where))
            continue
        pname = m.group("name")
        declared.add(pname)
        if pname in sources:
            problems.append(InputError(f"parameter {pname} is declared twice", where=where))
            continue
        try:
            sources[pname] = _source(m.group("source"), line, where)
        except InputError as exc:
            problems.append(exc)
    query = Query(name=name, description=header.get("description", ("", 0))[0], file=file.display,
                  line=body_line, sql=sql_text, defaults=defaults, sources=sources)
    if sql_text:
        # a parameter whose -- param: or -- params: could not be read has a problem already
        known = declared | (set(query.parameters) if unreadable else set())
        problems.extend(_check_sql(query, lines, body_start, known))
    return query, problems


def _check_sql(query: Query, lines: list[str], body_start: int, reported: set[str]) -> list[InputError]:
    """Every placeholder has a value, every declared source a placeholder, and the SQL parses."""
    out = []
    used = query.parameters
    for pname in used:
        if pname not in query.sources and pname not in query.defaults and pname not in reported:
            line = next((body_start + j + 1 for j, text in enumerate(lines[body_start:])
                         if f"%({pname})s" in text), query.line)
            out.append(InputError(f"parameter {pname} has no value: add it to -- params: or a -- param: line",
                                  where=f"{query.file}:{line}"))
    for pname, source in query.sources.items():
        if pname not in used:
            out.append(InputError(f"parameter {pname} is declared but the query does not use %({pname})s",
                                  where=f"{query.file}:{source.line}"))
        if isinstance(source, After):
            chain, other = {pname}, source.other
            while isinstance(query.sources.get(other), After) and other not in chain:
                chain.add(other)
                other = query.sources[other].other  # type: ignore[union-attr]
            if other in chain:
                out.append(InputError(f"parameter {pname} is after itself (through {', '.join(sorted(chain))})",
                                      where=f"{query.file}:{source.line}"))
            elif other not in query.sources and other not in query.defaults:
                out.append(InputError(f"parameter {pname} is after {other}, which has no value",
                                      where=f"{query.file}:{source.line}"))
    # $n placeholders padded to the same length keep the parser's offsets on the file's columns
    numbered = PLACEHOLDER.sub(lambda m: "$1".ljust(len(m.group(0))), query.sql)
    try:
        pglast.parse_sql(numbered)
    except pglast.parser.ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        line = query.line + numbered.count("\n", 0, max(0, offset - 1))
        out.append(InputError(str(exc.args[0]) if exc.args else str(exc), where=f"{query.file}:{line}"))
    return out


def check_against(query: Query, catalog: dict[str, Table]) -> list[InputError]:
    """The ``from`` sources of ``query`` name tables and columns that exist."""
    out = []
    for pname, source in query.sources.items():
        if not isinstance(source, FromColumn):
            continue
        where = f"{query.file}:{source.line}"
        table = catalog.get(source.qualified_table)
        if table is None:
            out.append(InputError(f"parameter {pname}: table {source.qualified_table} does not exist", where=where))
        elif table.column(source.column) is None:
            out.append(InputError(f"parameter {pname}: column {source.qualified_table}.{source.column} does not "
                                  "exist", where=where))
    return out


def load_workload(settings: Settings, names: tuple[str, ...] = ()) -> Workload:
    """Every query file of the ``queries`` folder (``names``: only those queries)."""
    folder = settings.path(settings.queries)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"queries folder {folder} {what}", where=settings.source("queries"))
    out = Workload()
    seen: dict[str, str] = {}
    files: dict[str, str] = {}  # every query name, runnable or not, and its file
    for path in sorted(folder.glob("*.sql")):
        read = read_sql_file(path, settings.root, FileKind.QUERY)
        if not isinstance(read, SqlFile):
            out.problems.append(InputError(read.message, where=read.location))
            continue
        query, problems = parse_query(read)
        files.setdefault(query.name, query.file)
        if query.name in seen:
            problems.append(InputError(f"query name {query.name!r} is used twice (also {seen[query.name]})",
                                       where=f"{query.file}:1"))
        out.problems.extend(problems)
        if not problems:
            seen[query.name] = query.file
            out.queries.append(query)
    if names:
        missing = [n for n in names if n not in files]
        if missing:
            known = ", ".join(sorted(files)) or "none"
            raise ConfigError(f"no query named {', '.join(missing)} (known: {known})", where="--query")
        chosen = {files[n] for n in names}
        out.queries = [q for q in out.queries if q.name in names]
        out.problems = [p for p in out.problems if any((p.where or "").startswith(f + ":") for f in chosen)]
    return out
