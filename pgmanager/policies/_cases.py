"""Run spec cases: setup as the connecting role, the case's SQL as its identity, all rolled back.

A case that must commit (``commit: true``) gets a connection to a fresh clone from the caller and
commits there; every other case runs in a transaction rolled back on the shared clone. A SQL error in
one case fails that case only.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from ..db import error_line
from ..models import CaseResult
from ._identity import RlsBypassError, act_as, switch_identity
from ._spec_model import Case, Expect

FreshConn = Callable[[], psycopg.Connection]


class _Outcome:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] | None = None
        self.rowcount = -1
        self.sqlstate: str | None = None
        self.error = ""


def _norm(value: Any) -> Any:
    """A database value in the shape YAML gives for the same literal."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def _norm_expected(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return str(value)
    return value


def _key(row: tuple[Any, ...]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _run_sql(conn: psycopg.Connection, text: str, out: _Outcome) -> None:
    cur = conn.execute(text)
    while True:  # several statements: the last one's result counts
        out.rows = [tuple(_norm(v) for v in r) for r in cur.fetchall()] if cur.description else None
        out.rowcount = cur.rowcount
        if not cur.nextset():
            break


def _capture(fn: Callable[[], None], out: _Outcome) -> None:
    try:
        fn()
    except RlsBypassError:
        raise
    except psycopg.Error as exc:
        out.sqlstate = exc.sqlstate or "?"
        out.error = error_line(exc)


def _execute(conn: psycopg.Connection, case: Case) -> _Outcome:
    out = _Outcome()
    with conn.transaction(force_rollback=True):
        for script in case.setup:
            conn.execute(script)
        with act_as(conn, case.identity):
            def body() -> None:
                with conn.transaction():  # a savepoint: an error leaves the identity switch in place
                    _run_sql(conn, case.sql, out)

            _capture(body, out)
    return out


def _execute_committed(conn: psycopg.Connection, case: Case) -> _Outcome:
    out = _Outcome()

    def body() -> None:
        with conn.transaction():
            for script in case.setup:
                conn.execute(script)
            switch_identity(conn, case.identity)
            _run_sql(conn, case.sql, out)

    _capture(body, out)  # errors raised at commit (deferred constraints) count too
    return out


def judge(expect: Expect, out: _Outcome) -> str | None:
    """None when the outcome meets the expectation, else what went wrong."""
    if expect.kind == "error":
        if out.sqlstate == expect.value:
            return None
        got = f"error {out.sqlstate} ({out.error})" if out.sqlstate else _describe(out)
        return f"expected error {expect.value}, got {got}"
    if out.sqlstate:
        return f"failed with {out.sqlstate}: {out.error}"
    if expect.kind == "ok":
        return None
    if expect.kind == "affected":
        return None if out.rowcount == expect.value else f"expected {expect.value} row(s) affected, got {out.rowcount}"
    if out.rows is None:
        return f"expected a result set, the statement returned none ({out.rowcount} row(s) affected)"
    if expect.kind == "empty":
        return None if not out.rows else f"expected no rows, got {len(out.rows)}: {_preview(out.rows)}"
    if expect.kind == "count":
        return None if len(out.rows) == expect.value else \
            f"expected {expect.value} row(s), got {len(out.rows)}: {_preview(out.rows)}"
    want = [tuple(_norm_expected(v) for v in r) for r in expect.value]
    ok = out.rows == want if expect.ordered else Counter(map(_key, out.rows)) == Counter(map(_key, want))
    return None if ok else f"expected rows {_preview(want)}, got {_preview(out.rows)}"


def _describe(out: _Outcome) -> str:
    return f"{len(out.rows)} row(s)" if out.rows is not None else f"success ({out.rowcount} row(s) affected)"


def _preview(rows: list[tuple[Any, ...]], limit: int = 5) -> str:
    shown = [list(r) if len(r) > 1 else r[0] for r in rows[:limit]]
    return json.dumps(shown, default=str) + (f" (+{len(rows) - limit} more)" if len(rows) > limit else "")


def run_case(conn: psycopg.Connection, case: Case, fresh: FreshConn | None = None) -> CaseResult:
    """Run one case; never raises for a SQL problem, which fails the case instead."""
    t0 = time.perf_counter()
    try:
        if case.commit:
            if fresh is None:
                raise psycopg.ProgrammingError("commit: true needs a fresh database, none available")
            fconn = fresh()
            try:
                out = _execute_committed(fconn, case)
            finally:
                fconn.close()
        else:
            out = _execute(conn, case)
        message = judge(case.expect, out)
        state = out.sqlstate
    except RlsBypassError as exc:
        message, state = str(exc), None
    except psycopg.Error as exc:  # the setup failed
        message, state = f"setup failed: {error_line(exc)}", exc.sqlstate
    return CaseResult(file=case.file, line=case.line, name=case.name, identity=case.identity.name,
                      passed=message is None, message=message or "", sqlstate=state,
                      duration_ms=round((time.perf_counter() - t0) * 1000, 3))


def first_failure(conn: psycopg.Connection, cases: list[Case]) -> CaseResult | None:
    """The first failing case (mutation testing stops there), skipping cases that must commit."""
    for case in cases:
        if case.commit:
            continue
        result = run_case(conn, case)
        if not result.passed:
            return result
    return None
