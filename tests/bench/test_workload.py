"""The workload's query files: headers, parameter sources, and every problem named at file:line. No database."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from pgmanager.bench import load_workload, parse_query
from pgmanager.bench._sample import Sampler
from pgmanager.bench._workload import After, FromColumn, OneOf, Range, check_against
from pgmanager.catalog import Column, Table
from pgmanager.config import load_settings
from pgmanager.errors import ConfigError
from pgmanager.models import FileKind, SqlFile
from pgmanager.project import checksum

ROOT = Path(__file__).resolve().parents[2]


def sql_file(text: str, name: str = "q") -> SqlFile:
    return SqlFile(path=Path(f"/x/{name}.sql"), display=f"sql/queries/{name}.sql", kind=FileKind.QUERY, text=text,
                   checksum=checksum(text), name=name)


def test_the_projects_workload_reads_cleanly_with_its_sources() -> None:
    workload = load_workload(load_settings(ROOT))
    assert workload.problems == []
    by_name = {q.name: q for q in workload.queries}
    assert set(by_name) == {"project-members", "project-recent-files", "usage-analytics", "user-project-analytics",
                            "user-projects", "user-usage-by-day"}
    analytics = by_name["usage-analytics"]
    assert analytics.sources["start"] == Range(date(2024, 1, 1), date(2024, 3, 1), 4)
    assert analytics.sources["end"] == After("start", 1, 31, 86400, 5)
    assert analytics.sources["group_by"] == OneOf(("day", "week", "month"), 6)
    assert by_name["user-projects"].sources["user_id"] == FromColumn("public", "projects", "user_id", 4)
    assert by_name["user-projects"].defaults["limit"] == 50  # fixed: no -- param: line
    assert by_name["user-projects"].describe_params() == {"user_id": "from public.projects.user_id",
                                                         "limit": "fixed 50"}
    assert by_name["user-projects"].line == 5  # where the SQL starts


GOOD_HEAD = "-- name: q\n-- params: {\"n\": 1}\n"

# (file text, expected file:line, a piece of the message): each one problem in an otherwise fine file
BAD = [
    (GOOD_HEAD + "-- param: n sampled from somewhere\nselect %(n)s::int;\n", 3, "unknown parameter source 'sampled'"),
    (GOOD_HEAD + "-- param: n\nselect %(n)s::int;\n", 3, "needs a name and a source"),
    ("-- name: q\n-- description: nothing here\n", 2, "no SQL after the header"),
    ("-- name: q\n-- params: {\"n\": 1,}\nselect %(n)s::int;\n", 2, "-- params: is not a JSON object"),
    ("-- name: q\n-- params: [1]\nselect 1;\n", 2, "-- params: is not a JSON object"),
    ("-- name: q\nselect 1\nwhere x = %(missing)s;\n", 3, "parameter missing has no value"),
    (GOOD_HEAD + "-- param: m one of a,b\nselect %(n)s::int;\n", 3, "parameter m is declared but the query"),
    (GOOD_HEAD + "select %(n)s::int\nfrom t\nwher x;\n", 5, 'syntax error at or near "x"'),
    (GOOD_HEAD + "-- param: n range 10..1\nselect %(n)s::int;\n", 3, "is empty (its end is before its start)"),
    (GOOD_HEAD + "-- param: n range 1..2024-01-01\nselect %(n)s::int;\n", 3, "give two numbers, two dates"),
    (GOOD_HEAD + "-- param: n after m by 1..2 days\nselect %(n)s::int;\n", 3, "after m, which has no value"),
    (GOOD_HEAD + "-- param: n after n by 1..2\nselect %(n)s::int;\n", 3, "is after itself"),
    (GOOD_HEAD + "-- param: n after x by 1..2 fortnights\nselect %(n)s::int;\n", 3, "unknown unit 'fortnights'"),
    (GOOD_HEAD + "-- param: n one of a\n-- param: n one of b\nselect %(n)s::int;\n", 4, "declared twice"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_each_problem_names_its_file_and_line(text: str, line: int, message: str) -> None:
    _, problems = parse_query(sql_file(text))
    assert [p.where for p in problems] == [f"sql/queries/q.sql:{line}"], [str(p) for p in problems]
    assert message in problems[0].message


def test_a_parameter_naming_a_missing_table_or_column_is_named_at_its_line() -> None:
    query, problems = parse_query(sql_file(GOOD_HEAD + "-- param: a from public.projects.owner\n"
                                           "-- param: b from nope.gone\nselect %(a)s, %(b)s;\n"))
    assert problems == []
    column = Column(name="user_id", type_sql="uuid", type_name="uuid", category="U", not_null=True, default=None,
                    identity=False, generated=False)
    catalog = {"public.projects": Table(schema="public", name="projects", reltuples=0, columns=[column])}
    found = check_against(query, catalog)
    assert [(p.where, p.message) for p in found] == [
        ("sql/queries/q.sql:3", "parameter a: column public.projects.owner does not exist"),
        ("sql/queries/q.sql:4", "parameter b: table public.nope does not exist"),
    ]


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pgmanager]\nqueries = \"q\"\n")
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "a.sql").write_text("-- name: good\nselect 1;\n")
    (folder / "b.sql").write_text("-- name: bad\n-- param: x nowhere\nselect %(x)s;\n")
    (folder / "c.sql").write_text("-- name: empty\n")
    (folder / "d.sql").write_bytes(b"select '\xff';\n")
    (folder / "e.sql").write_text("-- name: good\nselect 2;\n")
    workload = load_workload(load_settings(tmp_path))
    assert [q.name for q in workload.queries] == ["good"]
    assert sorted(str(p) for p in workload.problems) == [
        "q/b.sql:2: unknown parameter source 'nowhere': use `from schema.table.column`, `range A..B`, "
        "`one of a,b,c` or `after PARAM by A..B unit`",
        "q/c.sql:1: no SQL after the header: a query file holds one query",
        "q/d.sql:1:9: not valid UTF-8 (byte 0xff)",
        "q/e.sql:1: query name 'good' is used twice (also q/a.sql)",
    ]
    only = load_workload(load_settings(tmp_path), ("bad",))
    assert only.queries == [] and [p.where for p in only.problems] == ["q/b.sql:2"]
    with pytest.raises(ConfigError, match="no query named nope"):
        load_workload(load_settings(tmp_path), ("nope",))
    (tmp_path / "pyproject.toml").write_text("[tool.pgmanager]\nqueries = \"missing\"\n")
    with pytest.raises(ConfigError, match=r"queries folder .* does not exist"):
        load_workload(load_settings(tmp_path))


def test_draws_respect_their_sources_and_repeat_with_the_seed() -> None:
    query, problems = parse_query(sql_file(
        "-- name: q\n-- params: {\"limit\": 5}\n-- param: start range 2024-01-01..2024-03-01\n"
        "-- param: end after start by 1..7 days\n-- param: g one of day,week\n-- param: k range 1..3\n"
        "-- param: at range 2024-01-01T00:00:00Z..2024-01-02T00:00:00Z\n"
        "select %(start)s, %(end)s, %(g)s, %(k)s, %(at)s, %(limit)s;\n"))
    assert problems == []
    sampler = Sampler(query, order=["start", "g", "k", "at", "end"], users=["u1", "u2"])
    first = [sampler.draw(random.Random(7)) for _ in range(1)]
    draws = [sampler.draw(rng) for rng in [random.Random(7)] for _ in range(300)]
    assert draws[0] == first[0]  # the same seed, the same requests
    for params, user in draws:
        assert date(2024, 1, 1) <= params["start"] <= date(2024, 3, 1)
        start = datetime(params["start"].year, params["start"].month, params["start"].day,
                         tzinfo=params["end"].tzinfo)
        assert timedelta(days=1) <= params["end"] - start <= timedelta(days=7)
        assert params["g"] in ("day", "week") and 1 <= params["k"] <= 3 and params["limit"] == 5
        assert datetime.fromisoformat("2024-01-01T00:00:00+00:00") <= params["at"] <= \
            datetime.fromisoformat("2024-01-02T00:00:00+00:00")
        assert user in ("u1", "u2")
    assert {p["k"] for p, _ in draws} == {1, 2, 3} and {p["g"] for p, _ in draws} == {"day", "week"}
