"""Templates kept between sessions (reuse, the `sandbox up` server, keep the newest N) and xdist workers
sharing one server and one template."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from conftest import Inner, write_project  # type: ignore[import-not-found]

from pgmanager.sandbox import STATE_ROOT, Sandbox

pytest_plugins = ["pytester"]

RECORD = """
    import json, os

    def test_record(pgm_sandbox, pgm_conn):
        port = pgm_conn.execute("select current_setting('port')").fetchone()[0]
        row = {"template": pgm_sandbox.template, "reused": pgm_sandbox.reused, "port": port,
               "worker": os.environ.get("PYTEST_XDIST_WORKER", "")}
        with open(os.environ["RECORD_TO"], "a") as fh:
            fh.write(json.dumps(row) + "\\n")
        assert pgm_conn.execute("select count(*) from public.items").fetchone() == (1,)
"""


def _records(inner: Inner) -> list[dict]:
    path = inner.pytester.path / "records.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    path.unlink(missing_ok=True)
    return rows


def _templates(box: Sandbox) -> set[str]:
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        return {r[0] for r in conn.execute("select datname from pg_database where datname like 'pgm\\_tpl\\_%'")}


def test_template_kept_and_reused_across_sessions(inner: Inner, pgm_server: Sandbox) -> None:
    inner.monkeypatch.setenv("RECORD_TO", str(inner.pytester.path / "records.jsonl"))
    inner.suite(RECORD)
    before = _templates(pgm_server)
    args = (*inner.on_outer_server(), "--pgm-reuse", "--pgm-keep-templates", "1")
    try:
        first = inner.run(*args)
        first.assert_outcomes(passed=1)
        first.stdout.fnmatch_lines(["pgmanager: template pgm_tpl_* built in * (kept for the next session)"])
        second = inner.run(*args)
        second.assert_outcomes(passed=1)
        second.stdout.fnmatch_lines(["pgmanager: template pgm_tpl_* reused*"])
        one, two = _records(inner)
        assert (one["reused"], two["reused"]) == (False, True) and one["template"] == two["template"]
        assert one["template"] in _templates(pgm_server)  # it outlived both sessions

        # an edited project builds a new template; keep 1: the old one is dropped
        write_project(inner.pytester.path, "create table public.more (x int);\n")
        third = inner.run(*args)
        third.assert_outcomes(passed=1)
        third.stdout.fnmatch_lines([f"pgmanager: dropped old template {one['template']}"])
        (three,) = _records(inner)
        assert three["reused"] is False and three["template"] != one["template"]
        assert _templates(pgm_server) - before == {three["template"]}
    finally:
        for name in _templates(pgm_server) - before:
            pgm_server.drop(name)

    # without reuse, the session drops what it built
    inner.run(*inner.on_outer_server()).assert_outcomes(passed=1)
    assert _templates(pgm_server) == before


def test_sandbox_up_server_keeps_templates(inner: Inner, cli) -> None:  # type: ignore[no-untyped-def]
    inner.monkeypatch.setenv("RECORD_TO", str(inner.pytester.path / "records.jsonl"))
    inner.suite(RECORD)
    up = cli("sandbox", "up", cwd=inner.pytester.path)
    assert up.code == 0, up.err
    try:
        for _ in range(2):
            inner.run("--pgm-sandbox", "up").assert_outcomes(passed=1)
    finally:
        down = cli("sandbox", "down", cwd=inner.pytester.path)
    assert down.code == 0, down.err
    one, two = _records(inner)
    # `sandbox up` built the template there; both sessions found it, on that very server
    assert (one["reused"], two["reused"]) == (True, True) and one["template"] == two["template"]
    assert one["port"] == two["port"] == up.out.strip().rsplit(":", 1)[1].split("/")[0]


def test_no_sandbox_up_is_one_line(inner: Inner) -> None:
    inner.suite(RECORD)
    result = inner.run("--pgm-sandbox", "up")
    result.stdout.fnmatch_lines(
        ["*--pgm-sandbox: no local sandbox is up for * (run `pgmanager sandbox up` there first)"])


def test_xdist_workers_share_one_server_and_template(inner: Inner) -> None:
    inner.monkeypatch.setenv("RECORD_TO", str(inner.pytester.path / "records.jsonl"))
    inner.suite(RECORD.replace("def test_record(", "import pytest\n\n    @pytest.mark.parametrize('i', range(8))\n"
                                                   "    def test_record(i, "))
    result = inner.run("-n", "2")  # the local provider: the first worker starts the server
    result.assert_outcomes(passed=8)
    rows = _records(inner)
    assert {r["worker"] for r in rows} == {"gw0", "gw1"}
    assert len({r["port"] for r in rows}) == 1 and len({r["template"] for r in rows}) == 1
    by_worker = {r["worker"]: r["reused"] for r in rows}
    assert sorted(by_worker.values()) == [False, True]  # built once, by one worker; the other found it
    with pytest.raises(psycopg.OperationalError):  # the controller stopped the server
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{rows[0]['port']}/postgres", connect_timeout=3)
    assert not [f for f in STATE_ROOT.glob("cluster-*") if f"port {rows[0]['port']}" in _cmdline(f)]


def _cmdline(folder: Path) -> str:
    try:
        return (folder / "data" / "postmaster.opts").read_text().replace("-p ", "port ")
    except OSError:
        return ""
