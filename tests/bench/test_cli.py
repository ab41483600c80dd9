"""`pgmanager bench` as users run it: a real process on this repository's project, its JSON, the baseline
gate, and read-only targets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import psycopg
import pytest

from pgmanager.api.benching import bench
from pgmanager.api.inputs import load
from pgmanager.bench._html import COLORS
from pgmanager.sandbox import Sandbox
from tests.conftest import ROOT, run_cli

QUERIES = {"project-members", "project-recent-files", "usage-analytics", "user-project-analytics", "user-projects",
           "user-usage-by-day"}

LATENCY = {"type": "object", "required": ["count", "p50", "p95", "p99", "p999", "mean", "min", "max"],
           "properties": {k: {"type": "number", "minimum": 0} for k in ("p50", "p95", "p99", "p999", "mean", "max")}}
# BackendMetrics.api: the queries as endpoints
API = {
    "type": "object", "required": ["responseTime", "errorRate", "throughput", "endpoints"],
    "properties": {
        "responseTime": {"type": "array", "items": {"type": "number"}},
        "errorRate": {"type": "number", "minimum": 0, "maximum": 1},
        "throughput": {"type": "number", "minimum": 0},
        "endpoints": {"type": "array", "items": {
            "type": "object", "required": ["query", "identity", "requests", "p50", "p95", "p99", "errorRate",
                                           "throughput"],
            "properties": {k: {"type": ["number", "null"]} for k in ("p50", "p95", "p99")}}},
    },
}
# BackendMetrics.database (the backend agent's monitoring type), plus the per-query figures
SCHEMA = {
    "type": "object",
    "required": ["database", "queries", "settings", "data", "ok"],
    "properties": {
        "database": {
            "type": "object",
            "required": ["queryTime", "connectionPool", "slowQueries"],
            "properties": {
                "queryTime": {"type": "array", "items": {"type": "number"}},
                "connectionPool": {"type": "object", "required": ["active", "idle", "waiting"],
                                   "properties": {k: {"type": "integer", "minimum": 0}
                                                  for k in ("active", "idle", "waiting")}},
                "slowQueries": {"type": "array", "items": {
                    "type": "object", "required": ["query", "duration"],
                    "properties": {"query": {"type": "string"}, "duration": {"type": "number"}}}},
            },
        },
        "queries": {"type": "array", "items": {
            "type": "object", "required": ["name", "runs", "rls_ratio", "rls_flagged", "plans"],
            "properties": {
                "rls_ratio": {"type": "number", "exclusiveMinimum": 0},
                "runs": {"type": "array", "minItems": 2, "items": {
                    "type": "object", "required": ["identity", "latency", "samples_us", "throughput_rps"],
                    "properties": {"latency": LATENCY, "samples_us": {"type": "array", "minItems": 20,
                                                                      "items": {"type": "integer"}}}}},
                "plans": {"type": "array", "minItems": 2, "items": {
                    "type": "object", "required": ["fingerprint", "shape", "flags"]}},
            }}},
    },
}


@pytest.fixture(scope="module")
def baseline(pgm_server: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One real run on this repository's project, saved as a baseline."""
    saved = tmp_path_factory.mktemp("bench") / "base.json"
    result = run_cli("bench", "--scale", "0.01", "--iterations", "20", "--clients", "2", "--slow-ms", "0",
                     "--format", "json", "--save", str(saved), "--html", str(saved.with_suffix(".html")),
                     "--sandbox", "dsn", "--sandbox-dsn", pgm_server.dsn())
    assert result.code == 0, result.err
    return saved, json.loads(result.out)


def test_every_query_runs_through_rls_and_as_service_role(baseline: tuple[Path, dict]) -> None:
    saved, report = baseline
    jsonschema.validate(report, SCHEMA)
    assert json.loads(saved.read_text()) == report
    assert {q["name"] for q in report["queries"]} == QUERIES and report["problems"] == []
    for q in report["queries"]:
        runs = {r["identity"]: r for r in q["runs"]}
        assert set(runs) == {"authenticated", "service_role"}
        assert all(r["requests"] == 20 == r["latency"]["count"] for r in runs.values())
        assert q["rls_ratio"] == round(runs["authenticated"]["latency"]["p95"] / runs["service_role"]["latency"]["p95"],
                                       3)
        assert q["rls_flagged"] == (q["rls_ratio"] > 2)
        # flagged: what the plan through RLS has that service_role's has not (the policies' checks at least)
        assert bool(q["rls_difference"]) == q["rls_flagged"]
        if q["name"] == "project-recent-files" and q["rls_flagged"]:
            assert any(d.startswith("call to private.can_read_project() in filter at ") for d in q["rls_difference"])
        assert all(p["analyzed"] for p in q["plans"])  # --slow-ms 0: every query is slow, so EXPLAIN ANALYZEd
    assert report["database"]["queryTime"] == [q["runs"][0]["latency"]["p95"] for q in report["queries"]]
    assert report["database"]["connectionPool"]["active"] + report["database"]["connectionPool"]["idle"] == 2
    assert len(report["database"]["slowQueries"]) == 12
    # pg_stat_statements (the session's local server preloads it): the server's account of the same runs
    for q in report["queries"]:
        for r in q["runs"]:
            figures = r["statements"]
            assert figures["calls"] == 20 + 2 * 5, (q["name"], r)  # the measured requests and both clients' warm-ups
            assert figures["mean_exec_ms"] == pytest.approx(figures["total_exec_ms"] / figures["calls"], abs=1e-3)
            assert figures["shared_blks_hit"] + figures["shared_blks_read"] > 0
            assert len(r["probe_us"]) == 80  # the reference statement, before and after the run
    assert report["notes"] == []
    data = report["data"]
    assert data["where"] == "sandbox" and not data["reused"] and data["rows"]["public.usage_metrics"] == 20_010
    # RLS is really in the way: as the sampled owner, a user sees only their own usage events
    analytics = next(q for q in report["queries"] if q["name"] == "usage-analytics")
    assert analytics["runs"][0]["rows_mean"] < analytics["runs"][1]["rows_mean"]


def test_the_json_has_backend_metrics_api_section_per_query_as_an_endpoint(baseline: tuple[Path, dict]) -> None:
    _, report = baseline
    jsonschema.validate(report, {"type": "object", "required": ["api"], "properties": {"api": API}})
    api = report["api"]
    endpoints = {(e["query"], e["identity"]): e for e in api["endpoints"]}
    assert set(endpoints) == {(q, i) for q in QUERIES for i in ("authenticated", "service_role")}
    for q in report["queries"]:
        for r in q["runs"]:
            e = endpoints[(q["name"], r["identity"])]
            assert (e["requests"], e["p50"], e["p95"], e["p99"], e["throughput"], e["errorRate"]) == (
                r["requests"], r["latency"]["p50"], r["latency"]["p95"], r["latency"]["p99"], r["throughput_rps"], 0)
    assert api["responseTime"] == report["database"]["queryTime"]  # p95 as authenticated, in `queries` order
    assert api["errorRate"] == 0
    wall = sum(r["wall_s"] for q in report["queries"] for r in q["runs"])
    assert api["throughput"] == pytest.approx(12 * 20 / wall, rel=0.01)  # 6 queries, 2 identities


def test_an_unwritable_report_path_fails_before_the_run(tmp_path: Path, pgm_server: Sandbox) -> None:
    missing = tmp_path / "no such folder" / "report.html"
    for option in ("--html", "--save", "-o"):
        result = run_cli("bench", "--scale", "0.01", "--iterations", "3", option, str(missing), "--sandbox", "dsn",
                         "--sandbox-dsn", pgm_server.dsn())
        assert result.code == 2, (option, result.err)
        shown = "-o/--output" if option == "-o" else option
        assert result.err.strip() == f"error: {shown}: cannot write {missing}: No such file or directory", result.err
        assert result.out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing left behind


def test_without_pg_stat_statements_its_figures_are_left_out_with_a_note(pgm_db, cli) -> None:
    result = cli("bench", "--dsn", pgm_db.dsn, "--iterations", "3", "--query", "user-projects", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["notes"] == ["pg_stat_statements figures left out: the extension is not installed in this "
                               "database"]
    assert all(r["statements"] is None for q in report["queries"] for r in q["runs"])


def test_a_dropped_index_fails_the_baseline_with_the_plan_change_named(baseline: tuple[Path, dict], project_copy: Path,
                                                                        pgm_server: Sandbox) -> None:
    saved, _ = baseline
    (project_copy / "migrations" / "20240601000000_drop_usage_index.sql").write_text(
        "drop index public.idx_usage_metrics_user_date;\n")
    result = run_cli("bench", "--scale", "0.01", "--iterations", "20", "--clients", "2", "--baseline", str(saved),
                     "--sandbox", "dsn", "--sandbox-dsn", pgm_server.dsn(), cwd=project_copy)
    assert result.code == 1, result.out + result.err
    assert result.err == ""  # nothing else went wrong: the baseline failed the run
    changed = [line for line in result.out.splitlines() if line.startswith("plan changed: user-usage-by-day as ")]
    assert len(changed) == 2, result.out
    assert "Bitmap Index Scan using idx_usage_metrics_user_date" in changed[0].split("; now ")[0]
    assert "Seq Scan on public.usage_metrics" in changed[0].split("; now ")[1]
    assert "plan changed: user-projects" not in result.out  # its index is still there


def test_a_broken_query_file_is_named_and_the_others_still_run(project_copy: Path, pgm_server: Sandbox) -> None:
    queries = project_copy / "sql" / "queries"
    (queries / "broken.sql").write_text("-- name: broken\n-- param: user_id sampled somehow\n"
                                        "select %(user_id)s::uuid;\n")
    (queries / "no-column.sql").write_text("-- name: no-column\n-- params: {}\n"
                                           "-- param: owner from public.projects.owner_id\nselect %(owner)s::uuid;\n")
    result = run_cli("bench", "--scale", "0.01", "--iterations", "3", "--format", "json", "--sandbox", "dsn",
                     "--sandbox-dsn", pgm_server.dsn(), cwd=project_copy)
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: sql/queries/broken.sql:2: unknown parameter source 'sampled': use `from schema.table.column`, "
        "`range A..B`, `one of a,b,c` or `after PARAM by A..B unit`",
        "error: sql/queries/no-column.sql:3: parameter owner: column public.projects.owner_id does not exist",
    ]
    assert {q["name"] for q in json.loads(result.out)["queries"]} == QUERIES


def test_read_only_on_a_target(pgm_db, cli) -> None:
    refused = cli("bench", "--dsn", "postgresql://nobody@127.0.0.1:1/nowhere", "--scale", "0.01")
    assert refused.code == 2
    assert refused.err.strip() == (
        "error: --dsn: bench is read-only on a real target: generating data at --scale 0.01 inserts rows into it; "
        "add --allow-write to do that, or drop --scale to bench its own data")

    def counts() -> list[tuple[str, int]]:
        with psycopg.connect(pgm_db.dsn) as conn:
            return conn.execute("select relname, n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables "
                                "order by 1").fetchall()

    before = counts()
    result = cli("bench", "--dsn", pgm_db.dsn, "--iterations", "5", "--query", "user-projects", "--query",
                 "usage-analytics", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["data"]["where"] == "target" and report["data"]["rows"]["public.projects"] == 3  # the seed
    assert {q["name"] for q in report["queries"]} == {"user-projects", "usage-analytics"}
    assert counts() == before

    # --allow-write generates into the target itself, through its triggers and foreign-key checks
    written = cli("bench", "--dsn", pgm_db.dsn, "--allow-write", "--scale", "0.01", "--iterations", "3",
                  "--query", "user-projects", "--format", "json")
    assert written.code == 0, written.err
    rows = json.loads(written.out)["data"]["rows"]
    assert rows["public.projects"] == 500 and rows["public.usage_metrics"] == 20_000
    with psycopg.connect(pgm_db.dsn) as conn:
        assert conn.execute("select count(*) from public.projects").fetchone() == (503,)


def test_a_second_run_clones_the_data_template_and_rate_runs_an_open_loop(pgm_server: Sandbox) -> None:
    settings, project = load(ROOT)
    first = bench(settings, project, scale=0.01, seed=4242, iterations=5, queries=("user-projects",), box=pgm_server)
    second = bench(settings, project, scale=0.01, seed=4242, iterations=30, rate=400.0, clients=2,
                   queries=("user-projects",), box=pgm_server)
    assert not first.data.reused and first.data.generated_s is not None
    assert second.data.reused and second.data.generated_s is None and second.data.template == first.data.template
    assert second.data.rows == first.data.rows
    run = second.queries[0].runs[0]
    assert second.settings.mode == "open" and run.service is not None and run.requests == 30
    assert run.latency.max >= run.service.max  # from the scheduled start: never shorter than the service time


class _Page(HTMLParser):
    """Every element of the page with its attributes, and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inside: list[str] = []  # the data-query of the open <section>s

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self.inside.append(attributes.get("data-query") or "")
        self.elements.append((tag, {**attributes, "in": self.inside[-1] if self.inside else None}))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.inside.pop()


def test_the_html_report_charts_every_query_as_both_identities_offline(baseline: tuple[Path, dict]) -> None:
    saved, report = baseline
    text = saved.with_suffix(".html").read_text()
    page = _Page()
    page.feed(text)
    assert text.startswith("<!DOCTYPE html>")
    # offline: no script, stylesheet, image or font fetched from anywhere
    assert not [(t, a) for t, a in page.elements if t in ("script", "link", "img", "iframe")
                or any(k in ("src", "href") for k in a)]
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text
    sections = [a["data-query"] for t, a in page.elements if t == "section"]
    assert sections == [q["name"] for q in report["queries"]]
    for q in report["queries"]:
        charts = [a for t, a in page.elements if t == "svg" and a["in"] == q["name"]]
        assert len(charts) == 1 and charts[0]["class"] == "latency-chart"
        dists = [a["data-identity"] for t, a in page.elements if t == "path" and a.get("class") == "dist"
                 and a["in"] == q["name"]]
        assert dists == ["authenticated", "service_role"]
        marks = {(a["data-identity"], a["data-mark"]) for t, a in page.elements
                 if t == "line" and a.get("class") == "mark" and a["in"] == q["name"]}
        assert marks == {(i, m) for i in ("authenticated", "service_role") for m in ("p50", "p95")}
        assert f"<b>{q['rls_ratio']:.2f}x</b>" in text
    flagged = [q["name"] for q in report["queries"] if q["rls_flagged"]]
    assert text.count("flagged: above 2x") == len(flagged)


def _png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of colours of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + size]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + size
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    assert header[8] == 8 and header[9] in (2, 6) and header[12] == 0, "not an 8-bit non-interlaced RGB(A) PNG"
    bpp = 3 if header[9] == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, colours = bytearray(stride), set()
    for row in range(height):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, bpp))
        prev = line
    return width, height, colours


def test_the_html_report_renders_in_headless_chromium(baseline: tuple[Path, dict], tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("PGMANAGER_REQUIRE_CHROMIUM") == "1":
            pytest.fail("PGMANAGER_REQUIRE_CHROMIUM=1, but there is no chromium on PATH")
        pytest.skip("no chromium on PATH (apt-get install chromium): the HTML report is not rendered")
    saved, _ = baseline
    shot = tmp_path / "report.png"
    proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=800,700",
                           f"--screenshot={shot}", saved.with_suffix(".html").as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr
    width, height, colours = _png_pixels(shot.read_bytes())
    assert (width, height) == (800, 700)

    def near(rgb: tuple[int, int, int]) -> bool:
        return any(all(abs(c - t) <= 6 for c, t in zip(colour, rgb, strict=True)) for colour in colours)

    # the first chart is drawn: both identities' histograms, filled at 30% over the plot's background
    for colour in (COLORS["authenticated"], COLORS["service_role"]):
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert near(tuple(round(0.3 * v + 0.7 * 251) for v in (r, g, b))), colour  # type: ignore[arg-type]


def test_check_bench_runs_a_short_bench_and_fails_on_a_query_that_cannot_run(project_copy: Path,
                                                                              pgm_server: Sandbox) -> None:
    (project_copy / "sql" / "queries" / "broken.sql").write_text("-- name: broken\n-- param: user_id sampled somehow\n"
                                                                 "select %(user_id)s::uuid;\n")
    result = run_cli("check", "--bench", "--no-lint", "--no-verify", "--format", "json", "--sandbox", "dsn",
                     "--sandbox-dsn", pgm_server.dsn(), cwd=project_copy)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["findings"] == [] and report["lint"] is None and report["verify"] is None  # only the bench failed
    benched = report["bench"]
    assert [p["where"] for p in benched["problems"]] == ["sql/queries/broken.sql:2"]
    assert {q["name"] for q in benched["queries"]} == QUERIES
    assert all(r["requests"] == 20 for q in benched["queries"] for r in q["runs"])
    assert benched["data"]["scale"] == 0.01 and "bench" in report["timings_ms"]
    text = run_cli("check", "--bench", "--no-lint", "--no-verify", "--sandbox", "dsn", "--sandbox-dsn",
                   pgm_server.dsn(), cwd=project_copy)
    assert text.code == 1
    assert "sql/queries/broken.sql:2: unknown parameter source 'sampled'" in text.out
    assert "user-projects" in text.out.split("bench (scale 0.01, 20 requests per query and identity)")[1]


def test_a_run_slower_than_its_baseline_fails_after_being_measured_again(baseline: tuple[Path, dict],
                                                                        pgm_server: Sandbox, tmp_path: Path) -> None:
    """The latency route of the gate (the plans are the same): a baseline whose every request took a tenth
    of the fixture's fastest one, so that noise cannot hide the slowdown (an outlier in the fixture's run
    would, scaled with the rest, widen the interval past the threshold); the slower query is measured
    again (--confirm 1) and still fails. The baseline's reference-statement timings are left out: the
    machine-drift discount (tested in tests/bench/test_gate.py) would otherwise divide this run by how much
    busier the machine is now than at the fixture's run."""
    report = json.loads(baseline[0].read_text())  # a copy: the fixture's report is shared
    for q in report["queries"]:
        for r in q["runs"]:
            fastest = max(1, min(r["samples_us"]) // 10)
            r["samples_us"] = [fastest] * len(r["samples_us"])
            r["probe_us"] = []
            r["latency"] = {k: (fastest / 1000 if k != "count" else v) for k, v in r["latency"].items()}
    fast = tmp_path / "fast.json"
    fast.write_text(json.dumps(report))
    result = run_cli("bench", "--scale", "0.01", "--iterations", "20", "--clients", "2", "--query", "usage-analytics",
                     "--baseline", str(fast), "--min-delta-ms", "0", "--confirm", "1", "--sandbox", "dsn",
                     "--sandbox-dsn", pgm_server.dsn())
    assert result.code == 1, result.out + result.err
    slower = [line for line in result.out.splitlines() if line.startswith("slower: usage-analytics as ")]
    assert len(slower) == 2, result.out
    assert "note: usage-analytics: slower than the baseline, measured again (confirmation 1 of 1): slower again" \
        in result.out
    assert "plan changed" not in result.out


def test_rounds_measure_the_workload_again_and_keep_each_identitys_fastest_round(pgm_server: Sandbox) -> None:
    result = run_cli("bench", "--scale", "0.01", "--iterations", "15", "--rounds", "3", "--query", "user-projects",
                     "--query", "project-members", "--format", "json", "--sandbox", "dsn",
                     "--sandbox-dsn", pgm_server.dsn())
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["settings"]["rounds"] == 3
    assert "each query and identity: the round with the lowest p95 of 3" in report["notes"]
    for q in report["queries"]:
        for r in q["runs"]:
            assert r["requests"] == 15 == len(r["samples_us"])  # one round's figures, not three pooled
            if r.get("statements"):  # pg_stat_statements counts that round's requests (and its warm-up)
                assert r["statements"]["calls"] < 2 * (15 + 5)
    bad = run_cli("bench", "--rounds", "0", "--sandbox", "dsn", "--sandbox-dsn", pgm_server.dsn())
    assert bad.code == 2 and "--rounds" in bad.err and "Traceback" not in bad.err
