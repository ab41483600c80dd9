"""`pgmanager agent` as a process: an optimize-query task end to end on a copy of the project (the migration,
the baseline that guards it, the report, the performance after the change), and every way a task fails:
status failed, one clear issue, the documented exit code, no traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgmanager.agent.task import Where, run_task
from pgmanager.bench import load_baseline
from pgmanager.sandbox import Sandbox
from tests.conftest import copy_project, run_cli

SQL = "select id, path from public.files where size_bytes > %(s)s::bigint order by size_bytes desc limit 10"


def _box(server: Sandbox) -> list[str]:
    return ["--sandbox", "dsn", "--sandbox-dsn", server.dsn()]


def _message(**query: object) -> str:
    return json.dumps({"taskId": "T-42", "type": "optimize-query", "priority": "high",
                       "specifications": {"query": query}})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("agent") / "project")


@pytest.fixture(scope="module")
def task(pgm_server: Sandbox, project: Path) -> dict:
    message = project / "task.json"
    message.write_text(_message(sql=SQL, params={"s": "1000000"}, scale=0.05, proofIterations=20,
                                benchIterations=20))
    result = run_cli("agent", "-C", str(project), *_box(pgm_server), str(message))
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def test_completed_with_its_deliverables(task: dict, project: Path) -> None:
    assert task["taskId"] == "T-42" and task["status"] == "completed" and task["issues"] == []
    (migration,) = task["deliverables"]["migrations"]
    text = (project / migration).read_text()
    assert "create index concurrently if not exists" in text and "public.files" in text
    _, query_file = task["deliverables"]["tests"]
    assert query_file == "sql/queries/agent-t-42.sql" and SQL in (project / query_file).read_text()
    (doc,) = task["deliverables"]["documentation"]
    report = (project / doc).read_text()
    assert migration in report and "## Proof" in report and "agent-t-42" in report


def test_performance_is_the_bench_run_after_the_change(task: dict, project: Path) -> None:
    saved = load_baseline(project / task["deliverables"]["tests"][0])
    (query,) = saved.queries
    run = query.run("authenticated")
    assert run is not None and run.requests == 20
    perf = task["performance"]
    assert perf["averageResponseTime"] == round(run.latency.mean, 3)
    assert perf["p95ResponseTime"] == round(run.latency.p95, 3)
    assert perf["throughput"] == round(run.requests / run.wall_s, 1)
    index = next(p for p in query.plans if p.identity == "service_role")
    assert "idx_files_size_bytes" in index.shape, index.shape  # measured with the new index in place


def _bench_against(project: Path, baseline: Path, server: Sandbox) -> tuple[int, list[str]]:
    result = run_cli("bench", "-C", str(project), *_box(server), "--scale", "0.05", "--iterations", "20",
                     "--query", "agent-t-42", "--baseline", str(baseline), "--format", "json")
    data = json.loads(result.out)
    return result.code, [v["verdict"] for v in data["comparison"]["verdicts"]]


def test_the_baseline_guards_the_index(task: dict, project: Path, pgm_server: Sandbox, tmp_path: Path) -> None:
    baseline = project / task["deliverables"]["tests"][0]
    code, verdicts = _bench_against(project, baseline, pgm_server)
    assert "plan changed" not in verdicts and verdicts, verdicts
    without = tmp_path / "project"
    shutil.copytree(project, without)
    migration = without / task["deliverables"]["migrations"][0]
    migration.unlink()
    migration.with_name(migration.name.replace(".sql", ".rollback.sql")).unlink()
    code, verdicts = _bench_against(without, baseline, pgm_server)
    assert code == 1 and "plan changed" in verdicts, verdicts


@pytest.mark.parametrize(("message", "code", "issue"), [
    (json.dumps({"type": "optimize-query", "priority": "high", "specifications": {}}), 2,
     "malformed BackendTaskMessage: taskId: Field required"),
    (_message(sql="select 1", budgetMb=-1), 2, "specifications.query.budgetMb: Input should be greater than 0"),
    ("[]", 2, "malformed BackendTaskMessage: the message: Input should be a valid dictionary"),
    (json.dumps({"taskId": "T-9", "type": "fix-bug", "priority": "low", "specifications": {"bug": {}}}), 2,
     "type: task type 'fix-bug' is not handled here"),
    (json.dumps({"taskId": "T-9", "type": "optimize-query", "priority": "low", "specifications": {}}), 2,
     "specifications.query: required for an optimize-query task"),
    (_message(sql="select * from public.nope where id = $1"), 2, "table public.nope does not exist"),
    (_message(sql="select 1", target="prod"), 2, "specifications.query.target: unknown target 'prod'"),
])
def test_a_failed_task(pgm_server: Sandbox, project: Path, message: str, code: int, issue: str) -> None:
    result, exit_code = run_task(message, Where(project_dir=project, sandbox="dsn", sandbox_dsn=pgm_server.dsn()))
    assert (result.status, exit_code) == ("failed", code)
    assert len(result.issues) == 1 and issue in result.issues[0], result.issues
    assert result.deliverables is None and result.performance is None


@pytest.mark.parametrize(("message", "code", "issue"), [
    ("{not json", 2, "the message is not JSON: line 1 column 2"),
    (_message(sql="select 1", target="postgresql://agent:s3cret-pw@127.0.0.1:1/nope"), 3, "127.0.0.1:1"),
])
def test_a_failed_task_as_a_process(project: Path, message: str, code: int, issue: str) -> None:
    """From stdin: the result on stdout, the issue as one line on stderr, no traceback, no password."""
    proc = subprocess.run([sys.executable, "-m", "pgmanager", "agent", "-C", str(project)], input=message,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == code, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "failed" and len(data["issues"]) == 1 and issue in data["issues"][0], data
    assert proc.stderr.strip().splitlines() == [f"error: {data['issues'][0]}"]
    assert "s3cret-pw" not in proc.stdout + proc.stderr
