"""pgmanager.parse.volatility: the built-in table checked against the test server's pg_proc, the extension
list against the extensions themselves, and the lookups the default-rewrite decision relies on.

This file also regenerates the data (psycopg stays out of the package):

    python tests/core/test_volatility.py [--dsn DSN]

writes pgmanager/parse/builtin_volatility.json from the server at DSN, or, without one, from a throwaway
local cluster. Use a server of the PostgreSQL major version the project targets.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pglast
import psycopg
import pytest
from psycopg import sql

from pgmanager.parse import volatility as vol_mod
from pgmanager.parse.volatility import (
    EXTENSION_FUNCTIONS,
    BuiltinTable,
    builtin_table,
    builtin_volatility,
    calls,
    default_verdict,
    dumps,
    loads,
    merge,
    volatility,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(vol_mod.__file__).with_name(vol_mod.DATA_FILE)

# Written independently of the module's merge(): the SQL picks the most volatile overload itself.
_GENERATE = """
select p.proname,
       (array['i', 's', 'v'])[max(case p.provolatile when 'i' then 1 when 's' then 2 else 3 end)]
from pg_proc p
where p.pronamespace = 'pg_catalog'::regnamespace
group by p.proname
"""


def _server(conn: psycopg.Connection) -> tuple[int, str]:
    num = conn.execute("select current_setting('server_version_num')::int").fetchone()
    version = conn.execute("select current_setting('server_version')").fetchone()
    assert num is not None and version is not None
    return num[0] // 10000, str(version[0]).split()[0]


def _pg_proc(conn: psycopg.Connection) -> dict[str, str]:
    """Every pg_catalog function name -> its most volatile overload, reduced here in Python."""
    order = {"i": 0, "s": 1, "v": 2}
    out: dict[str, str] = {}
    for name, code in conn.execute("select proname, provolatile from pg_proc "
                                   "where pronamespace = 'pg_catalog'::regnamespace"):
        if name not in out or order[code] > order[out[name]]:
            out[name] = code
    return {n: {"i": "immutable", "s": "stable", "v": "volatile"}[c] for n, c in out.items()}


# ------------------------------------------------------------------ against the server


def test_builtin_table_is_what_pg_proc_says(pgm_server) -> None:
    table = builtin_table()
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        major, version = _server(conn)
        server = _pg_proc(conn)
    mine = dict(table.functions)
    if major == table.postgres_major:
        missing = sorted(set(server) - set(mine))
        extra = sorted(set(mine) - set(server))
        wrong = sorted((n, mine[n], server[n]) for n in set(mine) & set(server) if mine[n] != server[n])
        assert (missing, extra, wrong) == ([], [], []), (
            f"builtin_volatility.json (from {table.server_version}) differs from this PostgreSQL {version}: "
            "regenerate it with python tests/core/test_volatility.py")
    else:
        # Another major version adds and removes functions; what both have must agree.
        common = set(mine) & set(server)
        assert len(common) > 0.9 * len(mine), f"PostgreSQL {version} shares too few functions with the table"
        wrong = sorted((n, mine[n], server[n]) for n in common if mine[n] != server[n])
        assert wrong == [], f"volatility differs between PostgreSQL {table.postgres_major} and {version}"


def test_the_most_volatile_overload_wins(pgm_server) -> None:
    """Names whose overloads differ on the server are in the table at their most volatile."""
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        mixed: dict[str, str] = dict(conn.execute("""
            select proname, string_agg(distinct provolatile::text, '' order by provolatile::text)
            from pg_proc where pronamespace = 'pg_catalog'::regnamespace
            group by proname having count(distinct provolatile) > 1""").fetchall())
    assert {"to_timestamp", "date_trunc"} <= set(mixed)  # immutable and stable overloads both
    rank = {"immutable": "i", "stable": "s", "volatile": "v"}
    for name, codes in mixed.items():
        got = builtin_volatility(name)
        if got is not None:
            assert rank[got] == max(codes, key="isv".index), name
    assert builtin_volatility("to_timestamp") == "stable"  # to_timestamp(float8) is immutable, (text, text) stable


@contextmanager
def _database(pgm_server, name: str) -> Iterator[str]:
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield pgm_server.dsn(name)
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_extension_functions_are_what_their_extensions_declare(pgm_server) -> None:
    wanted = sorted({ext for _, ext in EXTENSION_FUNCTIONS.values()})
    with _database(pgm_server, "pgm_volatility_ext") as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        available = {r[0] for r in conn.execute("select name from pg_available_extensions")}
        if not set(wanted) <= available:
            pytest.skip(f"extensions {sorted(set(wanted) - available)} are not installed on this server")
        conn.execute("create schema extensions")
        for ext in wanted:
            conn.execute(sql.SQL("create extension {} schema extensions").format(sql.Identifier(ext)))
        rows = conn.execute("""
            select e.extname, p.proname, p.provolatile
            from pg_proc p
            join pg_depend d on d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
            join pg_extension e on e.oid = d.refobjid""").fetchall()
    declared = {ext: merge((n, c) for e, n, c in rows if e == ext) for ext in wanted}
    for name, (vol, ext) in EXTENSION_FUNCTIONS.items():
        assert declared[ext].get(name) == vol, f"{name} of {ext}: list says {vol}, extension {declared[ext].get(name)}"
    # every uuid-ossp function is listed: the extension is small and all of it is used in defaults
    assert set(declared["uuid-ossp"]) == {n for n, (_, e) in EXTENSION_FUNCTIONS.items() if e == "uuid-ossp"}


# ------------------------------------------------------------------ the data file and the lookups


def test_data_file_is_canonical_and_shipped() -> None:
    text = DATA.read_text(encoding="utf-8")
    table = loads(text)
    assert dumps(table) == text, "regenerate with python tests/core/test_volatility.py"
    assert table.postgres_major >= 11 and table.server_version.startswith(f"{table.postgres_major}.")
    assert len(table.functions) > 2000
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert f"parse/{vol_mod.DATA_FILE}" in package_data["pgmanager"]


def test_merge_keeps_the_most_volatile_overload() -> None:
    assert merge([("f", "i"), ("f", "v"), ("f", "s"), ("g", "s"), ("g", "i"), ("h", "i")]) == {
        "f": "volatile", "g": "stable", "h": "immutable"}


@pytest.mark.parametrize(("name", "expected"), [
    ("random", "volatile"), ("clock_timestamp", "volatile"), ("gen_random_uuid", "volatile"),
    ("timeofday", "volatile"), ("nextval", "volatile"), ("setseed", "volatile"),
    ("now", "stable"), ("statement_timestamp", "stable"), ("transaction_timestamp", "stable"),
    ("current_setting", "stable"), ("md5", "immutable"), ("lower", "immutable"), ("jsonb_build_object", "stable"),
    ("uuid_generate_v4", "volatile"), ("uuid_generate_v1", "volatile"), ("uuid_generate_v5", "immutable"),
    ("my_default", None), ("Random", None),
])
def test_volatility_of_a_name(name: str, expected: str | None) -> None:
    assert volatility(name) == expected


def test_schema_decides_between_builtin_extension_and_user_function() -> None:
    assert volatility("now", "pg_catalog") == "stable"
    assert volatility("now", "public") is None  # a user's public.now(), not the built-in
    assert volatility("uuid_generate_v4", "extensions") == "volatile"
    assert volatility("uuid_generate_v4", "pg_catalog") is None
    assert volatility("gen_random_uuid", "extensions") == "volatile"  # pgcrypto's


def _default(expr: str) -> Any:
    stmt: Any = pglast.parse_sql(f"alter table t add column c int default {expr}")[0].stmt
    return stmt.cmds[0].def_.constraints[0].raw_expr


@pytest.mark.parametrize(("expr", "names"), [
    ("current_timestamp", [("current_timestamp", "stable")]),
    ("current_timestamp(3)", [("current_timestamp", "stable")]),
    ("localtimestamp", [("localtimestamp", "stable")]),
    ("current_date + 1", [("current_date", "stable")]),
    ("current_user", [("current_user", "stable")]),
    ("session_user", [("session_user", "stable")]),
    ("extract(epoch from now())", [("extract", "stable"), ("now", "stable")]),
    ("coalesce(null, md5(random()::text))", [("md5", "immutable"), ("random", "volatile")]),
    ("public.f(lower('x'))", [("public.f", None), ("lower", "immutable")]),
    ("extensions.uuid_generate_v4()", [("extensions.uuid_generate_v4", "volatile")]),
])
def test_calls_in_an_expression(expr: str, names: list[tuple[str, str | None]]) -> None:
    assert [(c.name, c.volatility) for c in calls(_default(expr))] == names


def test_default_verdicts() -> None:
    assert not default_verdict(_default("statement_timestamp()")).rewrites
    assert not default_verdict(_default("md5('x')")).rewrites
    assert not default_verdict(_default("current_timestamp")).rewrites
    v = default_verdict(_default("now() + random() * interval '1 s'"))
    assert v.rewrites and v.known and v.call is not None and v.call.name == "random"
    assert "volatile default random()" in v.reason
    u = default_verdict(_default("my_default()"))
    assert u.rewrites and not u.known and "unless that function is STABLE or IMMUTABLE" in u.reason
    e = default_verdict(_default("uuid_generate_v4()"))
    assert e.rewrites and e.known and "uuid_generate_v4() (uuid-ossp)" in e.reason


# ------------------------------------------------------------------ regeneration


def regenerate(dsn: str, path: Path = DATA) -> BuiltinTable:
    with psycopg.connect(dsn, autocommit=True) as conn:
        major, version = _server(conn)
        rows = [(str(n), str(c)) for n, c in conn.execute(_GENERATE)]
    table = BuiltinTable(major, version, merge(rows))
    path.write_text(dumps(table), encoding="utf-8")
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=f"Regenerate {DATA.relative_to(ROOT)} from pg_proc.")
    parser.add_argument("--dsn", help="a server to read pg_proc from (default: a throwaway local cluster)")
    args = parser.parse_args(argv)
    if args.dsn:
        table = regenerate(args.dsn)
    else:
        from pgmanager.sandbox import open_sandbox

        with open_sandbox("local") as box:
            table = regenerate(box.dsn())
    counts = {v: sum(1 for x in table.functions.values() if x == v) for v in vol_mod.RANK}
    sys.stdout.write(f"wrote {DATA.relative_to(ROOT)}: PostgreSQL {table.server_version}, {counts}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
