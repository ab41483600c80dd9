"""A throwaway local PostgreSQL cluster: initdb and pg_ctl on a free port, tuned for disposable work.

Runs the server as an unprivileged user when we are root (postgres refuses root). Every cluster
lives in its own folder under ``<tmp>/pgmanager-sandboxes/`` with an ``owner.pid`` file; a cluster
whose owner died without stopping it (kill -9) is reaped by the next one that starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import SandboxError


def _state_root() -> Path:
    """Where clusters live: $PGMANAGER_SANDBOX_DIR, else a RAM-backed /dev/shm with room, else the temp dir.

    Throwaway data needs no disk: on this machine's virtual disk a template clone takes ~300 ms, in
    /dev/shm ~11 ms (benchmarks/sandbox.py). A small /dev/shm (Docker's default is 64 MiB) is skipped.
    """
    if os.environ.get("PGMANAGER_SANDBOX_DIR"):
        return Path(os.environ["PGMANAGER_SANDBOX_DIR"])  # an explicit choice: an error if unusable, no fallback
    shm = Path("/dev/shm")
    try:
        stat = os.statvfs(shm)
        if os.access(shm, os.W_OK | os.X_OK) and stat.f_bavail * stat.f_frsize >= 2 * 1024**3:
            return _writable(shm / "pgmanager-sandboxes")
    except OSError:
        pass
    return _writable(Path(tempfile.gettempdir()) / "pgmanager-sandboxes")


def _writable(shared: Path) -> Path:
    """The shared folder, or this user's own beside it when another user made the shared one without the
    world-writable mode (an older pgmanager, a mkdir by hand)."""
    if shared.is_dir() and not os.access(shared, os.W_OK | os.X_OK):
        return shared.with_name(f"{shared.name}-{os.getuid()}")
    return shared


STATE_ROOT = _state_root()
DETACHED = "detached"

# Throwaway servers trade durability for speed: nothing here must survive a crash.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "checkpoint_timeout": "1h",
    "max_wal_size": "4GB",
    "shared_buffers": "128MB",
    "max_connections": "200",
    "max_locks_per_transaction": "256",
    "autovacuum": "off",
    "jit": "off",
    "log_min_messages": "warning",
    "logging_collector": "off",
    # dynamic shared memory in the data folder, so that it goes with the folder even after a crash
    # or an immediate stop (posix segments in /dev/shm would outlive the cluster)
    "dynamic_shared_memory_type": "mmap",
}

HBA = """# pgmanager sandbox: the superuser is trusted on loopback, other roles use passwords
local   all   postgres                trust
local   all   all                     scram-sha-256
host    all   postgres   127.0.0.1/32 trust
host    all   postgres   ::1/128      trust
host    all   all        127.0.0.1/32 scram-sha-256
host    all   all        ::1/128      scram-sha-256
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run postgres as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("PGMANAGER_SANDBOX_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    try:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
        return pwd.getpwnam(name)
    except (OSError, subprocess.CalledProcessError, KeyError):
        raise SandboxError(
            f"running as root, and no unprivileged user {name!r} to run postgres as; "
            "create one or set PGMANAGER_SANDBOX_USER",
            where="sandbox",
        ) from None


def _run(cmd: list[str], user: pwd.struct_passwd | None, log: Path | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    kwargs: dict[str, object] = {}
    if user is not None:
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False,
                              cwd="/", **kwargs)  # type: ignore[call-overload]
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"{Path(cmd[0]).name} failed: {exc}", where="sandbox") from None


def pid_alive(pid: int) -> bool:
    """Whether a process exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _initdb(bindir: Path, datadir: Path, user: pwd.struct_passwd | None) -> None:
    res = _run([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], user)
    if res.returncode != 0:
        raise SandboxError(f"initdb failed: {(res.stderr or res.stdout).strip().splitlines()[-1:]}",
                           where=str(bindir))


def _pristine(bindir: Path, user: pwd.struct_passwd | None) -> Path | None:
    """initdb's output for these binaries and this server user, made once and kept in STATE_ROOT
    (``initdb-<key>/data``); None when it cannot be made (then each cluster runs initdb)."""
    initdb = bindir / "initdb"
    try:
        stat = initdb.stat()
    except OSError:
        return None
    uid = user.pw_uid if user is not None else os.getuid()
    key = hashlib.sha256(f"{initdb.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{uid}".encode()).hexdigest()[:16]
    final = STATE_ROOT / f"initdb-{key}"
    if (final / "data" / "PG_VERSION").is_file():
        return final / "data"
    work: Path | None = None
    try:
        work = Path(tempfile.mkdtemp(prefix=f"initdb-{key}-", dir=STATE_ROOT))
        if user is not None:
            os.chown(work, user.pw_uid, user.pw_gid)
        _initdb(bindir, work / "data", user)
        os.rename(work, final)  # atomic; another process that made it first wins
    except (OSError, SandboxError):
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return final / "data" if (final / "data" / "PG_VERSION").is_file() else None


@dataclass
class LocalCluster:
    """One initdb'd data folder and its running server."""

    bindir: Path
    folder: Path
    port: int
    version: str = ""

    @property
    def datadir(self) -> Path:
        return self.folder / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def create(cls, bindir: Path, *, settings: dict[str, str] | None = None) -> LocalCluster:
        """initdb and start a new cluster; on any failure nothing is left behind."""
        reap_stale()
        try:
            STATE_ROOT.mkdir(parents=True, exist_ok=True)
            if STATE_ROOT.stat().st_uid == os.getuid():  # shared by every user of the machine, like /tmp
                STATE_ROOT.chmod(0o1777)
            folder = Path(tempfile.mkdtemp(prefix="cluster-", dir=STATE_ROOT))
        except OSError as exc:
            raise SandboxError(f"cannot make a cluster folder in {STATE_ROOT}: {exc.strerror}", where="sandbox",
                               hint="make it writable (mode 1777, like /tmp) or set PGMANAGER_SANDBOX_DIR") from None
        user = server_user()
        (folder / "owner.pid").write_text(str(os.getpid()))
        (folder / "bindir").write_text(str(bindir))
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        cluster = cls(bindir=bindir, folder=folder, port=0)
        try:
            cluster._initdb(user)
            cluster._start(user, settings or {})
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def _initdb(self, user: pwd.struct_passwd | None) -> None:
        """A fresh data folder: a copy of the pristine one these binaries made for this user (about 10x faster
        than initdb), else initdb itself."""
        pristine = _pristine(self.bindir, user)
        copied = pristine is not None and _run(["cp", "-a", str(pristine), str(self.datadir)], user).returncode == 0
        if not copied:
            shutil.rmtree(self.datadir, ignore_errors=True)
            _initdb(self.bindir, self.datadir, user)
        (self.datadir / "pg_hba.conf").write_text(HBA)
        conf = dict(FAST_SETTINGS)
        conf.update({"unix_socket_directories": f"'{self.folder}'", "listen_addresses": "'127.0.0.1'"})
        if (self.bindir.parent / "lib" / "pg_stat_statements.so").exists():  # bench's per-query figures
            conf["shared_preload_libraries"] = "'pg_stat_statements'"
        with open(self.datadir / "postgresql.auto.conf", "a") as fh:
            fh.write("".join(f"{k} = {v}\n" for k, v in conf.items()))

    def _start(self, user: pwd.struct_passwd | None, settings: dict[str, str]) -> None:
        extra = " ".join(f"-c {k}={v}" for k, v in settings.items())
        for _attempt in range(5):
            self.port = free_port()
            res = _run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.folder / "server.log"),
                        "-w", "-t", "60", "-o", f"-p {self.port} {extra}".strip(), "start"], user)
            if res.returncode == 0:
                self.version = self._read_version()
                return
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-400:] if log.exists() else res.stderr
            if "could not bind" not in tail and "already in use" not in tail:
                raise SandboxError(f"postgres did not start: {tail.strip().splitlines()[-1:]}",
                                   where=str(self.bindir))
        raise SandboxError("postgres did not start: no free port after 5 tries", where="sandbox")

    def _read_version(self) -> str:
        vfile = self.datadir / "PG_VERSION"
        return vfile.read_text().strip() if vfile.exists() else ""

    def postmaster_pid(self) -> int | None:
        pidfile = self.datadir / "postmaster.pid"
        try:
            return int(pidfile.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def detach(self) -> None:
        """Let the cluster outlive this process (``sandbox up``)."""
        (self.folder / "owner.pid").write_text(DETACHED)

    def hand_over(self, pid: int) -> None:
        """Make process ``pid`` the owner: the cluster is reaped once that process is gone."""
        (self.folder / "owner.pid").write_text(str(pid))

    def stop(self) -> None:
        if not self.datadir.exists():
            return
        pid = self.postmaster_pid()
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "-t", "30", "stop"],
             server_user(), timeout=60)
        if pid and pid_alive(pid):  # pg_ctl failed (binaries gone?): make sure it is dead
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def destroy(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def reap_stale() -> list[Path]:
    """Stop and remove clusters whose owning process is gone (not detached ones)."""
    reaped: list[Path] = []
    if not STATE_ROOT.is_dir():
        return reaped
    for folder in STATE_ROOT.glob("cluster-*"):
        try:
            owner = (folder / "owner.pid").read_text().strip()
            bindir = Path((folder / "bindir").read_text().strip())
        except OSError:
            continue
        if owner == DETACHED or (owner.isdigit() and pid_alive(int(owner))):
            continue
        if os.getuid() != 0 and (folder / "owner.pid").stat().st_uid != os.getuid():
            continue  # another user's: theirs to reap
        LocalCluster(bindir=bindir, folder=folder, port=0).destroy()
        reaped.append(folder)
    return reaped
