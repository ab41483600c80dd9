"""`--sandbox docker` for real: check, verify, sandbox up/down and the pytest plugin in a container, and
cleanup of containers on exit, on Ctrl-C and, by the next run's reaper, after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from pgmanager.sandbox import DockerProvider
from pgmanager.sandbox._docker import LABEL, OWNER_HOST, OWNER_PID

pytestmark = pytest.mark.usefixtures("docker_engine")


def our_containers() -> dict[str, dict[str, str]]:
    """`docker ps -a` for pgmanager's label: name -> its labels."""
    out = subprocess.run(["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format", "{{json .}}"],
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {row["Names"]: dict(kv.split("=", 1) for kv in row["Labels"].split(",") if "=" in kv) for row in rows}


def owned_by(pid: int) -> list[str]:
    return [name for name, labels in our_containers().items() if labels.get(OWNER_PID) == str(pid)]


def _env() -> dict[str, str]:
    """This environment without libpq's variables, keeping pgmanager's (the image)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG") or k.startswith("PGMANAGER_")}


def wait_for(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_check_builds_lints_and_verifies_in_a_container(cli, project_copy: Path) -> None:
    before = set(our_containers())
    result = cli("check", "--sandbox", "docker", "--format", "json", cwd=project_copy, timeout=600)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["sandbox"]["provider"] == "docker"
    assert report["sandbox"]["server_version"].startswith("15")
    assert "container pgmanager-sandbox-" in report["sandbox"]["detail"]
    assert report["verify"]["ok"] and report["verify"]["cases"]
    assert set(our_containers()) == before  # removed on exit


def test_verify_in_docker_writes_junit(cli, project_copy: Path) -> None:
    res = cli("verify", "--sandbox", "docker", "--format", "junit", "--only", "specs", cwd=project_copy, timeout=600)
    assert res.code == 0, res.err
    assert res.out.lstrip().startswith("<?xml") and "<testcase" in res.out and "<failure" not in res.out


def test_sandbox_up_outlives_the_cli_and_down_removes_it(cli, project_copy: Path) -> None:
    up = cli("sandbox", "up", "--sandbox", "docker", cwd=project_copy, timeout=600)
    assert up.code == 0, up.err
    dsn = up.out.strip()
    try:
        detached = [name for name in our_containers() if name.startswith("pgmanager-up-")]
        assert len(detached) == 1, our_containers()
        with psycopg.connect(dsn, connect_timeout=10) as conn:  # the CLI is gone; the server is not
            assert conn.execute("select count(*) from public.projects").fetchone() == (3,)
        # a detached container is no stale one: the next docker sandbox leaves it alone
        DockerProvider().start().stop()
        assert detached[0] in our_containers()
    finally:
        down = cli("sandbox", "down", cwd=project_copy)
    assert down.code == 0, down.err
    assert not [name for name in our_containers() if name.startswith("pgmanager-up-")]
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=3)


def _start_slow_check(project: Path, settle: float = 4.0) -> subprocess.Popen[str]:
    (project / "migrations" / "20991231000000_slow.sql").write_text("select pg_sleep(60);\n")
    proc = subprocess.Popen([sys.executable, "-m", "pgmanager", "check", "--no-lint", "--sandbox", "docker"],
                            cwd=project, env=_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_for(lambda: bool(owned_by(proc.pid))), "no container labelled with the runner's pid"
    time.sleep(settle)  # 0: postgres in the container is still starting; 4: the slow migration runs
    return proc


@pytest.mark.parametrize(("sig", "settle"), [(signal.SIGINT, 0.0), (signal.SIGINT, 4.0), (signal.SIGTERM, 4.0)],
                         ids=["SIGINT-while-starting", "SIGINT-while-building", "SIGTERM-while-building"])
def test_an_interrupted_check_removes_its_container(project_copy: Path, sig: signal.Signals, settle: float) -> None:
    proc = _start_slow_check(project_copy, settle)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert owned_by(proc.pid) == []


def test_a_killed_runner_leaves_a_container_the_next_run_reaps(project_copy: Path) -> None:
    proc = _start_slow_check(project_copy)
    [name] = owned_by(proc.pid)
    assert our_containers()[name][OWNER_HOST]
    proc.kill()
    proc.wait(timeout=30)
    assert owned_by(proc.pid) == [name]  # kill -9 cannot clean up...
    DockerProvider().start().stop()  # ...so the next docker sandbox does
    assert owned_by(proc.pid) == []


def test_the_pytest_plugin_runs_on_a_container(project_copy: Path, tmp_path: Path) -> None:
    tests = tmp_path / "plugin_tests"
    tests.mkdir()
    (tests / "test_in_docker.py").write_text(textwrap.dedent("""
        def test_a_fresh_migrated_database(pgm_server, pgm_conn):
            assert pgm_server.provider == "docker"
            assert pgm_conn.execute("select count(*) from public.projects").fetchone() == (3,)
    """))
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pgm-sandbox", "docker",
                             "--pgm-project", str(project_copy), str(tests)],
                            cwd=tests, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert "1 passed" in out
    assert owned_by(proc.pid) == []  # the session's container went with the session


def test_an_image_that_cannot_be_had_is_one_clear_line(cli, project_copy: Path) -> None:
    # a registry on a closed loopback port: the pull fails at once, and nothing leaves this machine
    result = cli("check", "--no-lint", "--sandbox", "docker", cwd=project_copy,
                 env={"PGMANAGER_SANDBOX_IMAGE": "127.0.0.1:1/pgmanager-missing:0"})
    assert result.code == 3, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err
    assert lines[0].startswith("error: sandbox_image: image '127.0.0.1:1/pgmanager-missing:0' is not on this "
                               "Docker engine and could not be pulled")
