"""The TAP parser (no database), and pgTAP files run on a clone when the extension is installed."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgmanager.models import FileKind
from pgmanager.policies import parse_tap, pgtap_available, run_tap_file
from pgmanager.project import read_sql_file

# (TAP text, [(number, passed, directive)], description of the last point or None)
TAP_CASES = [
    ("1..2\nok 1 - first\nok 2 - second\n", [(1, True, None), (2, True, None)], "second"),
    ("1..2\nok 1 - first\nnot ok 2 - second\n# Failed test 2\n#   got: 1\n", [(1, True, None), (2, False, None)],
     "second"),
    ("1..3\nok 1\nok 2\n", [(1, True, None), (2, True, None), (3, False, None)], "planned 3 test(s), ran 2"),
    ("ok 1 - no plan\n", [(1, True, None), (2, False, None)], "no plan (select plan(n))"),
    ("1..1\nnot ok 1 - later # TODO not yet\n", [(1, False, "TODO")], "later (TODO not yet)"),
    ("1..1\nok 1 - skipped # SKIP no reason\n", [(1, True, "SKIP")], "skipped (SKIP no reason)"),
    ("1..0 # Skipped: nothing\n", [(0, True, "SKIP")], None),
    ("1..2\nok 1\nBail out! database gone\n", [(1, True, None), (2, False, None)], "Bail out!"),
]


@pytest.mark.parametrize(("text", "points", "last"), TAP_CASES)
def test_tap_is_parsed(text: str, points: list[tuple[int, bool, str | None]], last: str | None) -> None:
    results = parse_tap(text, "t.sql")
    assert [(r.number, r.passed, r.directive) for r in results] == points
    if last is not None:
        assert results[-1].description == last


def test_diagnostics_attach_to_their_test_point() -> None:
    results = parse_tap("1..1\nnot ok 1 - x\n# Failed test 1: \"x\"\n#         have: 1\n#         want: 2\n", "t")
    assert results[0].diagnostics.splitlines() == ['Failed test 1: "x"', "have: 1", "want: 2"]


def _pgtap(pgm_db) -> bool:
    with psycopg.connect(pgm_db.dsn) as conn:
        return pgtap_available(conn)


def test_a_pgtap_file_runs_and_its_failures_are_reported(pgm_db, tmp_path: Path) -> None:
    if not _pgtap(pgm_db):
        pytest.skip("the pgtap extension is not installed on the sandbox server (apt-get install postgresql-15-pgtap)")
    path = tmp_path / "t_test.sql"
    path.write_text(
        "begin;\nselect plan(3);\n"
        "set local role anon;\n"
        "select results_eq('select name from public.projects', array['Alice Public'], 'anon: public only');\n"
        "select is((select count(*)::int from public.projects), 3, 'anon sees all three (wrong on purpose)');\n"
        "select ok(true, 'fine');\n"
        "select * from finish();\nrollback;\n")
    sql_file = read_sql_file(path, tmp_path, FileKind.OTHER)
    with psycopg.connect(pgm_db.dsn, autocommit=True) as conn:
        results = run_tap_file(conn, sql_file)
    assert [(r.number, r.passed) for r in results] == [(1, True), (2, False), (3, True)]
    assert "have: 1" in results[1].diagnostics and "want: 3" in results[1].diagnostics


def test_a_sql_error_bails_out_with_file_and_line(pgm_db, tmp_path: Path) -> None:
    if not _pgtap(pgm_db):
        pytest.skip("the pgtap extension is not installed on the sandbox server (apt-get install postgresql-15-pgtap)")
    path = tmp_path / "t_test.sql"
    path.write_text("select plan(2);\nselect ok(true, 'one');\nselect * from no_such_table;\n")
    with psycopg.connect(pgm_db.dsn, autocommit=True) as conn:
        results = run_tap_file(conn, read_sql_file(path, tmp_path, FileKind.OTHER))
    assert results[0].passed and not results[-1].passed
    assert results[-1].description == "Bail out!" and "t_test.sql:3: 42P01" in results[-1].diagnostics
