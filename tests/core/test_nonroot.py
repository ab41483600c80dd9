"""pgmanager as a normal (non-root) user, on a machine where root already used pgmanager (issue 14: `check`
failed with "internal error: PermissionError ... pgmanager-sandboxes" once root had made that folder).

The test runs as root (as CI does), creates a user with useradd (removed afterwards), makes the shared
sandbox folder as root the way pgmanager does, then runs `pgmanager sandbox up`, `sandbox down` and `check`
as that user. The user's process has uid and gid of its own, no groups, and no capability but one when
needed: where the Python running the tests is not readable by other users (a pyenv under /root, mode 0700),
it gets CAP_DAC_READ_SEARCH, which lets it read and traverse folders, never write to them, so that the
folder permissions under test are still enforced.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT, CliResult, copy_project

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates a user and runs pgmanager as it")

READ_ONLY_CAP = ["--inh-caps", "+dac_read_search", "--ambient-caps", "+dac_read_search"]


@dataclass
class User:
    name: str
    uid: int
    gid: int
    home: Path
    prefix: list[str]
    """setpriv ... --: how to run a command as the user."""

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> CliResult:
        full = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
        full.update(HOME=str(self.home), USER=self.name, LOGNAME=self.name, **(env or {}))
        full.pop("TMPDIR", None)  # the machine's temp folder, shared with root, as a real user has it
        proc = subprocess.run([*self.prefix, *args], cwd=cwd or self.home, env=full, capture_output=True,
                              text=True, timeout=timeout, check=False)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def pgmanager(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        return self.run(sys.executable, "-m", "pgmanager", *args, env=env)


def _setpriv(name: str, caps: list[str]) -> list[str]:
    return ["setpriv", "--reuid", name, "--regid", name, "--clear-groups", *caps, "--"]


@pytest.fixture(scope="module")
def user() -> Iterator[User]:
    if shutil.which("useradd") is None or shutil.which("setpriv") is None:
        pytest.fail("running as root, but useradd or setpriv (util-linux) is missing: cannot test as a normal user")
    name = "pgm_nr_" + secrets.token_hex(3)
    subprocess.run(["useradd", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    home = Path(tempfile.mkdtemp(prefix="pgm-nonroot-home-"))
    try:
        entry = pwd.getpwnam(name)
        os.chmod(home, 0o755)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        probe = [sys.executable, "-c", "import pgmanager, psycopg, pglast; print(pgmanager.__file__)"]
        plain = subprocess.run([*_setpriv(name, []), *probe], capture_output=True, text=True, check=False,
                               cwd=home)
        caps = [] if plain.returncode == 0 and plain.stdout.startswith(str(ROOT)) else READ_ONLY_CAP
        u = User(name, entry.pw_uid, entry.pw_gid, home, _setpriv(name, caps))
        check = u.run(*probe)
        assert check.code == 0 and check.out.startswith(str(ROOT / "pgmanager")), (
            f"the user cannot run this Python and checkout ({sys.executable}, {ROOT}): {check.err.strip()}")
        assert u.run("id", "-u").out.strip() == str(entry.pw_uid) != "0"
        yield u
    finally:
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run(["userdel", name], check=False, capture_output=True)
        subprocess.run(["groupdel", name], check=False, capture_output=True)


@pytest.fixture
def shared(user: User) -> Iterator[Path]:
    """A stand-in for /dev/shm (root's, world-writable with the sticky bit) in which root made the sandbox
    folder by running pgmanager, as `pgmanager check` as root does; what the user starts there is stopped."""
    base = Path(tempfile.mkdtemp(prefix="pgm-nonroot-shm-"))
    base.chmod(0o1777)
    folder = base / "pgmanager-sandboxes"
    env = {**os.environ, "PGMANAGER_SANDBOX_DIR": str(folder)}
    made = subprocess.run([sys.executable, "-c", "from pgmanager.sandbox import LocalCluster, find_local_bindir;"
                           "LocalCluster.create(find_local_bindir()).destroy()"],
                          env=env, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    assert folder.is_dir() and folder.stat().st_uid == 0
    yield folder
    for cluster in folder.glob("cluster-*"):  # anything a failed test left running: stop it as its owner
        user.run(str(Path((cluster / "bindir").read_text().strip()) / "pg_ctl"), "-D", str(cluster / "data"),
                 "-m", "immediate", "stop")
    shutil.rmtree(base, ignore_errors=True)


def _project(user: User) -> Path:
    dest = copy_project(user.home / f"project-{secrets.token_hex(3)}")
    for path in [dest, *dest.rglob("*")]:
        os.chown(path, user.uid, user.gid)
    return dest


def test_sandbox_up_and_down_as_a_normal_user(user: User, shared: Path) -> None:
    project = _project(user)
    env = {"PGMANAGER_SANDBOX_DIR": str(shared)}
    up = user.pgmanager("sandbox", "up", "-C", str(project), "--sandbox", "local", "--no-seed", env=env)
    assert up.code == 0, up.err
    assert "internal error" not in up.err and "PermissionError" not in up.err
    dsn = up.out.strip()
    assert dsn.startswith("postgresql://postgres@127.0.0.1:") and dsn.endswith("/pgmanager")
    assert "sandbox: local (" in up.err and "chosen by --sandbox local" in up.err
    try:
        clusters = [c for c in shared.glob("cluster-*")]
        assert len(clusters) == 1 and clusters[0].stat().st_uid == user.uid  # the user's own, in root's folder
        with psycopg.connect(dsn) as conn:
            row = conn.execute("select count(*) from pgmanager.schema_history").fetchone()
        assert row is not None and row[0] > 0
    finally:
        down = user.pgmanager("sandbox", "down", "-C", str(project), env=env)
    assert down.code == 0, down.err
    assert down.out.startswith("stopped local sandbox postgresql://")
    assert list(shared.glob("cluster-*")) == []
    again = user.pgmanager("sandbox", "down", "-C", str(project), env=env)
    assert (again.code, again.out.strip()) == (0, "no sandbox is up for this project: nothing to stop")


def test_check_as_a_normal_user(user: User, shared: Path) -> None:
    project = _project(user)
    res = user.pgmanager("check", "-C", str(project), "--sandbox", "local", "--no-style",
                         env={"PGMANAGER_SANDBOX_DIR": str(shared)})
    assert "internal error" not in res.err, res.err
    assert res.code == 0, res.out[-2000:] + res.err
    assert "sandbox: local (" in res.out
    assert res.out.rstrip().splitlines()[-1].startswith("ok")
    assert list(shared.glob("cluster-*")) == []  # stopped and removed on exit


def test_a_shared_folder_the_user_cannot_write_is_not_an_internal_error(user: User, shared: Path) -> None:
    """A folder root made by hand (or an old pgmanager made) without the sticky, world-writable mode."""
    shared.chmod(0o755)
    project = _project(user)
    res = user.pgmanager("sandbox", "up", "-C", str(project), "--sandbox", "local", "--no-seed",
                         env={"PGMANAGER_SANDBOX_DIR": str(shared)})
    assert "internal error" not in res.err and "Traceback" not in res.err, res.err
    assert res.code == 3, res.err
    assert len(res.err.strip().splitlines()) == 1 and str(shared) in res.err
