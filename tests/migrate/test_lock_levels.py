"""statement_locks(): every case of fixtures/locks.sql, checked against the AST and against a real server.

The real-server check runs each statement in a rolled-back transaction and reads the strongest lock this
backend then holds on each expected table from pg_locks, so the fixture cannot drift from PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.analyze.locks import LockInfo, statement_locks
from pgmanager.models import FileKind, LockMode, SqlFile
from pgmanager.parse import Statement, parse_file
from pgmanager.project import checksum

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"^--\s*lock:\s*(?P<body>.+?)\s*$", re.MULTILINE)
_MODES = "|".join(m.replace(" ", r"\s") for m in sorted([m.value for m in LockMode if m], key=len, reverse=True))
_LINE = re.compile(rf"^(?P<mode>{_MODES}|none)\s+(?P<table>\S+)(?P<flags>(\s+(rewrites|scans))*)$")
# pg_locks spells modes in CamelCase.
_PG_MODE = {m.title().replace(" ", "") + "Lock": m for m in LockMode if m}


@dataclass(frozen=True)
class Case:
    stmt: Statement
    expected: list[tuple[str, str | None, bool, bool]]
    verify: bool

    @property
    def id(self) -> str:
        return f"L{self.stmt.line}:" + " ".join(self.stmt.text.split())[:60]


def _sql_file(path: Path) -> SqlFile:
    text = path.read_text()
    return SqlFile(path=path, display=path.name, kind=FileKind.OTHER, text=text, checksum=checksum(text),
                   name=path.stem)


def _cases() -> list[Case]:
    doc = parse_file(_sql_file(FIXTURES / "locks.sql"))
    assert doc.error is None, doc.error
    cases = []
    for stmt in doc.statements:
        expected: list[tuple[str, str | None, bool, bool]] = []
        for m in _EXPECT.finditer(stmt.leading):
            body = m.group("body")
            if body == "nothing":
                continue
            line = _LINE.match(body)
            assert line, f"bad expectation line in locks.sql: {body!r}"
            flags = line.group("flags").split()
            mode = "" if line.group("mode") == "none" else line.group("mode")
            table = None if line.group("table") == "-" else line.group("table")
            expected.append((mode, table, "rewrites" in flags, "scans" in flags))
        assert expected or "lock: nothing" in stmt.leading, f"case without expectation at line {stmt.line}"
        cases.append(Case(stmt, expected, "no-verify" not in stmt.leading))
    return cases


CASES = _cases()


def _shape(info: LockInfo) -> tuple[str, str | None, bool, bool]:
    return info.lock, info.table, info.rewrites, info.scans


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_lock_from_ast(case: Case) -> None:
    got = statement_locks(case.stmt)
    assert [_shape(i) for i in got] == case.expected
    assert all(i.note for i in got), "every lock carries a human note"


def test_fixture_covers_the_contract() -> None:
    kinds = {c.stmt.kind for c in CASES}
    for needed in ("CreateStmt", "AlterTableStmt", "DropStmt", "IndexStmt", "ReindexStmt", "CreatePolicyStmt",
                   "ViewStmt", "CreateTrigStmt", "TruncateStmt", "VacuumStmt", "RenameStmt", "InsertStmt",
                   "GrantStmt", "CommentStmt"):
        assert needed in kinds
    assert LockMode("ACCESS EXCLUSIVE").rank > LockMode("SHARE").rank > LockMode("ROW EXCLUSIVE").rank > 0
    assert LockMode("").rank == 0 and [m.rank for m in LockMode] == list(range(9))


@pytest.fixture(scope="module")
def lock_db(pgm_server) -> Iterator[str]:
    """One database with the setup tables; every case runs in a transaction rolled back after it."""
    name = "pgm_locks_fixture"
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = pgm_server.dsn(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop role if exists lock_reader")
        conn.execute((FIXTURES / "locks_setup.sql").read_text().encode())
    yield dsn
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute("drop role if exists lock_reader")


VERIFIED = [c for c in CASES if c.verify and any(t for _, t, _, _ in c.expected)]


@pytest.mark.parametrize("case", VERIFIED, ids=[c.id for c in VERIFIED])
def test_lock_matches_postgres(case: Case, lock_db: str) -> None:
    strongest: dict[str, str] = {}
    for mode, table, _, _ in case.expected:
        if table and LockMode(mode).rank >= LockMode(strongest.get(table, "")).rank:
            strongest[table] = mode
    with psycopg.connect(lock_db) as conn:
        oids = {t: conn.execute("select to_regclass(%s)::oid", [t]).fetchone()[0] for t in strongest}
        conn.execute(case.stmt.text.encode(), prepare=False)
        for t in strongest:
            if oids[t] is None:  # created by the statement itself
                oids[t] = conn.execute("select to_regclass(%s)::oid", [t]).fetchone()[0]
        held = {}
        for t, oid in oids.items():
            rows = conn.execute("select mode from pg_locks where pid = pg_backend_pid() and locktype = 'relation' "
                                "and relation = %s and granted", [oid]).fetchall()
            held[t] = max((_PG_MODE[r[0]] for r in rows), key=lambda m: m.rank, default="")
        conn.rollback()
    assert held == strongest
