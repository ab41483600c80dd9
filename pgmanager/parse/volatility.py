"""How volatile the functions a SQL expression calls are: one table, taken from PostgreSQL itself.

The built-in table is ``pg_proc.provolatile`` of every function in ``pg_catalog``, keyed by name,
stored in ``builtin_volatility.json`` with the PostgreSQL major version it was read from. Where the
overloads of one name differ, the most volatile is kept (volatile > stable > immutable): the argument
types of a call in a column default are not resolved here, so the conservative answer is the right one.

Regenerate the data from a server of the wanted major version with
``python tests/core/test_volatility.py [--dsn DSN]`` (no DSN: a throwaway local cluster);
``tests/core/test_volatility.py`` checks it against the test server. This module never connects to a
database.

Besides the built-ins: the SQL-standard keyword functions (``current_timestamp``, ``localtime``,
``current_user`` ...), which the parser turns into ``SQLValueFunction`` nodes rather than calls and
which PostgreSQL treats as stable; and :data:`EXTENSION_FUNCTIONS`, the few extension functions that
column defaults commonly call (uuid-ossp, pgcrypto), with the volatility their extension declares.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from pglast import ast, visitors

Volatility = Literal["immutable", "stable", "volatile"]
Origin = Literal["builtin", "extension", "sql-keyword"]

RANK: Mapping[Volatility, int] = {"immutable": 0, "stable": 1, "volatile": 2}
"""Order of volatility, least first: when overloads differ, the highest rank wins."""
PROVOLATILE: Mapping[str, Volatility] = {"i": "immutable", "s": "stable", "v": "volatile"}
"""``pg_proc.provolatile`` codes."""

DATA_FILE = "builtin_volatility.json"

EXTENSION_FUNCTIONS: Mapping[str, tuple[Volatility, str]] = {
    # uuid-ossp 1.1 (the whole extension): name -> (volatility, extension)
    "uuid_generate_v1": ("volatile", "uuid-ossp"),
    "uuid_generate_v1mc": ("volatile", "uuid-ossp"),
    "uuid_generate_v3": ("immutable", "uuid-ossp"),
    "uuid_generate_v4": ("volatile", "uuid-ossp"),
    "uuid_generate_v5": ("immutable", "uuid-ossp"),
    "uuid_nil": ("immutable", "uuid-ossp"),
    "uuid_ns_dns": ("immutable", "uuid-ossp"),
    "uuid_ns_oid": ("immutable", "uuid-ossp"),
    "uuid_ns_url": ("immutable", "uuid-ossp"),
    "uuid_ns_x500": ("immutable", "uuid-ossp"),
    # pgcrypto 1.3: the functions seen in column defaults
    "gen_random_bytes": ("volatile", "pgcrypto"),
    "gen_random_uuid": ("volatile", "pgcrypto"),
    "gen_salt": ("volatile", "pgcrypto"),
    "crypt": ("immutable", "pgcrypto"),
    "digest": ("immutable", "pgcrypto"),
    "hmac": ("immutable", "pgcrypto"),
}
"""Well-known extension functions (not in ``pg_catalog``, so not in the built-in table), matched by
name in any schema but ``pg_catalog`` (Supabase installs them in ``extensions``). The test checks
them against the extensions themselves."""

SQL_KEYWORD_VOLATILITY: Volatility = "stable"
"""Every ``SQLValueFunction`` (``current_date``, ``current_timestamp(3)``, ``localtimestamp``,
``current_user``, ``session_user``, ``current_catalog``, ``current_schema`` ...) is stable."""


@dataclass(frozen=True)
class BuiltinTable:
    """The built-in functions' volatility, and the server it was read from."""

    postgres_major: int
    server_version: str
    functions: Mapping[str, Volatility]


def merge(rows: Iterable[tuple[str, str]]) -> dict[str, Volatility]:
    """``(proname, provolatile)`` rows to one entry per name, the most volatile overload winning."""
    out: dict[str, Volatility] = {}
    for name, code in rows:
        vol = PROVOLATILE[code]
        if name not in out or RANK[vol] > RANK[out[name]]:
            out[name] = vol
    return out


def dumps(table: BuiltinTable) -> str:
    """The data file's text: the version, then the names of each volatility, sorted, one per line."""
    data: dict[str, object] = {"postgres_major": table.postgres_major, "server_version": table.server_version}
    for vol in RANK:
        data[vol] = sorted(n for n, v in table.functions.items() if v == vol)
    return json.dumps(data, indent=0, ensure_ascii=True) + "\n"


def loads(text: str) -> BuiltinTable:
    data = json.loads(text)
    functions: dict[str, Volatility] = {}
    for vol in RANK:
        for name in data[vol]:
            functions[name] = vol
    return BuiltinTable(int(data["postgres_major"]), str(data["server_version"]), functions)


@cache
def builtin_table() -> BuiltinTable:
    """The table shipped with the package (read once)."""
    return loads(resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8"))


def builtin_volatility(name: str) -> Volatility | None:
    """Volatility of the ``pg_catalog`` function ``name`` (most volatile overload); None if there is none."""
    return builtin_table().functions.get(name)


def volatility(name: str, schema: str | None = None) -> Volatility | None:
    """Volatility of a function called ``name`` (as PostgreSQL stores it: the parser has already folded
    unquoted identifiers to lower case), written with ``schema`` or unqualified.

    Unqualified names and ``pg_catalog`` resolve to the built-ins first (``pg_catalog`` is searched
    before the search_path); other schemas, or names that are not built-ins, to
    :data:`EXTENSION_FUNCTIONS`. None: not known (a user function, or an extension we do not list).
    """
    return _lookup(name, schema)[0]


def _lookup(name: str, schema: str | None) -> tuple[Volatility | None, Origin | None, str]:
    if schema in (None, "pg_catalog"):
        vol = builtin_volatility(name)
        if vol is not None:
            return vol, "builtin", ""
    if schema != "pg_catalog" and name in EXTENSION_FUNCTIONS:
        vol, ext = EXTENSION_FUNCTIONS[name]
        return vol, "extension", ext
    return None, None, ""


@dataclass(frozen=True)
class Call:
    """One function an expression calls."""

    name: str
    """As written, schema-qualified when it was ("extensions.uuid_generate_v4", "current_timestamp")."""
    volatility: Volatility | None
    """None: not known (a user function or an unlisted extension's)."""
    origin: Origin | None
    extension: str = ""
    """The extension of an :data:`EXTENSION_FUNCTIONS` entry."""
    location: int = -1

    def __str__(self) -> str:
        shown = self.name if self.origin == "sql-keyword" else f"{self.name}()"
        return f"{shown} ({self.extension})" if self.extension else shown


def _location(node: ast.Node) -> int:
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) else -1


class _Calls(visitors.Visitor):
    def __init__(self) -> None:
        self.found: list[Call] = []

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        parts = [getattr(p, "sval", "") or "" for p in node.funcname or ()]
        if not parts:
            return
        schema = parts[-2] if len(parts) > 1 else None
        vol, origin, ext = _lookup(parts[-1], schema)
        # pglast writes SQL-syntax calls (extract, trim, position ...) as pg_catalog.<name>: show them bare.
        shown = parts[-1] if schema == "pg_catalog" else ".".join(parts)
        self.found.append(Call(shown, vol, origin, ext, _location(node)))

    def visit_SQLValueFunction(self, ancestors: object, node: ast.SQLValueFunction) -> None:
        op = node.op
        name = op.name.removeprefix("SVFOP_").removesuffix("_N").lower() if op is not None else "sql_value_function"
        self.found.append(Call(name, SQL_KEYWORD_VOLATILITY, "sql-keyword", "", _location(node)))


def calls(expr: ast.Node | None) -> list[Call]:
    """The functions ``expr`` calls (FuncCall and SQLValueFunction nodes), in source order."""
    if expr is None:
        return []
    v = _Calls()
    v(expr)
    return sorted(v.found, key=lambda c: c.location)


@dataclass(frozen=True)
class DefaultVerdict:
    """Whether ``ADD COLUMN ... DEFAULT expr`` rewrites the table, and why."""

    rewrites: bool
    known: bool
    """False when the answer rests on a function whose volatility is not known."""
    call: Call | None
    """The call that decides (the first volatile one, else the first unknown one)."""
    reason: str
    """One human clause, shared word for word by analyze's note and the lint finding; "" when no rewrite."""


def default_verdict(expr: ast.Node | None) -> DefaultVerdict:
    """PostgreSQL 11+ stores a non-volatile default once (no rewrite) and computes a volatile one for
    every existing row (a rewrite under ACCESS EXCLUSIVE). A call of unknown volatility is assumed to
    rewrite: it does unless that function is declared STABLE or IMMUTABLE."""
    found = calls(expr)
    volatile = next((c for c in found if c.volatility == "volatile"), None)
    if volatile is not None:
        return DefaultVerdict(True, True, volatile, f"volatile default {volatile} is computed for every existing "
                                                    "row: the table is rewritten under an ACCESS EXCLUSIVE lock")
    unknown = next((c for c in found if c.volatility is None), None)
    if unknown is not None:
        return DefaultVerdict(True, False, unknown, f"default calls {unknown}, not a known built-in: the table is "
                                                    "rewritten under an ACCESS EXCLUSIVE lock unless that function "
                                                    "is STABLE or IMMUTABLE")
    return DefaultVerdict(False, True, None, "")


__all__ = ["EXTENSION_FUNCTIONS", "RANK", "BuiltinTable", "Call", "DefaultVerdict", "Volatility",
           "builtin_table", "builtin_volatility", "calls", "default_verdict", "dumps", "loads", "merge",
           "volatility"]
