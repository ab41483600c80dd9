"""Where throwaway PostgreSQL servers come from.

- local: the PostgreSQL binaries of this machine (PATH, ``pg_config --bindir``, Debian/Ubuntu
  ``/usr/lib/postgresql/<v>/bin``), a new cluster in a temp folder;
- embedded: the server shipped in the ``pgserver`` wheel (``pgmanager[embedded]``), same cluster code;
- docker: a testcontainers ``PostgresContainer`` (``pgmanager[docker]``), in _docker.py;
- dsn: an existing server; every sandbox is a new database on it, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..db import describe, with_dbname
from ..errors import ConfigError, SandboxError
from ._base import Provider, Server
from ._cluster import LocalCluster, server_user
from ._docker import DockerProvider
from ._extensions import assess, rank, with_stubs

# ---------------------------------------------------------------- local binaries

def _has_server(bindir: Path) -> bool:
    return all((bindir / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres"))


def find_local_bindir() -> Path | None:
    """PostgreSQL server binaries: $PGMANAGER_PG_BINDIR, PATH, pg_config --bindir, versioned lib folders."""
    explicit = os.environ.get("PGMANAGER_PG_BINDIR")
    if explicit:  # an explicit choice is the only one: a wrong path must not silently fall back
        return Path(explicit) if _has_server(Path(explicit)) else None
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(os.path.realpath(initdb)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.TimeoutExpired):
            pass
    versioned = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0)
                       if p.split("/")[-2].isdigit() else 0, reverse=True)
    candidates += [Path(p) for p in versioned]
    candidates += [Path(p) for p in sorted(glob.glob("/usr/pgsql-*/bin"), reverse=True)]
    return next((c for c in candidates if _has_server(c)), None)


class ClusterServer(Server):
    def __init__(self, cluster: LocalCluster, provider: str) -> None:
        self.cluster = cluster
        self.provider = provider
        self.detail = f"PostgreSQL {cluster.version} from {cluster.bindir}, port {cluster.port}"
        self._read_version()

    def dsn(self, dbname: str = "postgres") -> str:
        return self.cluster.dsn(dbname)

    def stop(self) -> None:
        self.cluster.destroy()

    def detach(self) -> None:
        self.cluster.detach()


class LocalProvider(Provider):
    name = "local"

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_local_bindir()

    def unavailable(self) -> str | None:
        if self.bindir is None:
            return "no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH, pg_config or /usr/lib/postgresql"
        return None

    def start(self) -> Server:
        if self.bindir is None:
            raise SandboxError(self.unavailable() or "", where="--sandbox local")
        return ClusterServer(LocalCluster.create(with_stubs(self.bindir, self.stubs)), self.name)

    def extension_bindir(self) -> Path | None:
        return self.bindir


# ---------------------------------------------------------------- embedded (pgserver wheel)

def _pgserver_bindir() -> Path | None:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if _has_server(bindir) else None


def _accessible_copy(bindir: Path) -> Path:
    """As root, postgres runs as another user who may not reach site-packages (under /root):
    use a world-readable copy of the wheel's install tree, made once per wheel build."""
    user = server_user()
    install = bindir.parent
    if user is None:
        return bindir
    try:
        probe = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, check=False,
                               user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        if probe.returncode == 0:
            return bindir
    except PermissionError:  # the user cannot even reach the binary
        pass
    stamp = hashlib.sha256(str(install).encode() + str((bindir / "postgres").stat().st_mtime).encode())
    target = Path(tempfile.gettempdir()) / f"pgmanager-pginstall-{stamp.hexdigest()[:12]}"
    # keep the wheel's layout: the binaries find their libraries at $ORIGIN/../../../pgserver.libs
    site = install.parent.parent
    new_bin = target / install.parent.name / install.name / "bin"
    if not (new_bin / "postgres").is_file():
        partial = Path(tempfile.mkdtemp(prefix="pgmanager-pginstall-", dir=tempfile.gettempdir()))
        shutil.copytree(install, partial / "tree" / install.parent.name / install.name, symlinks=True)
        libs = site / f"{install.parent.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, partial / "tree" / libs.name, symlinks=True)
        for folder, _dirs, _files in os.walk(partial):
            os.chmod(folder, 0o755)
        with contextlib.suppress(OSError):  # another process won the race
            os.rename(partial / "tree", target)
        shutil.rmtree(partial, ignore_errors=True)
    return new_bin


class EmbeddedProvider(Provider):
    name = "embedded"

    def unavailable(self) -> str | None:
        if _pgserver_bindir() is None:
            return "the pgserver wheel is not installed (pip install 'pgmanager[embedded]')"
        return None

    def start(self) -> Server:
        bindir = _pgserver_bindir()
        if bindir is None:
            raise SandboxError(self.unavailable() or "", where="--sandbox embedded")
        return ClusterServer(LocalCluster.create(with_stubs(_accessible_copy(bindir), self.stubs)), self.name)

    def extension_bindir(self) -> Path | None:
        return _pgserver_bindir()


# ---------------------------------------------------------------- an existing server

class ExistingServer(Server):
    provider = "dsn"

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.detail = f"existing server {describe(dsn)}"
        self._read_version()

    def dsn(self, dbname: str = "postgres") -> str:
        return with_dbname(self._dsn, dbname)


class DsnProvider(Provider):
    name = "dsn"

    def __init__(self, dsn: str | None) -> None:
        self.dsn = dsn

    def unavailable(self) -> str | None:
        if not self.dsn:
            return "no server DSN: set --sandbox-dsn or PGMANAGER_SANDBOX_DSN"
        return None

    def start(self) -> Server:
        if not self.dsn:
            raise ConfigError(self.unavailable() or "", where="--sandbox-dsn")
        return ExistingServer(self.dsn)


def providers(name: str, sandbox_dsn: str | None = None, image: str | None = None) -> list[Provider]:
    """The providers to try for ``--sandbox NAME``, in order (``image``: the docker one's, sandbox_image)."""

    table: dict[str, Provider] = {
        "local": LocalProvider(),
        "embedded": EmbeddedProvider(),
        "docker": DockerProvider(image),
        "dsn": DsnProvider(sandbox_dsn),
    }
    if name == "auto":
        order = (["dsn"] if sandbox_dsn else []) + ["local", "embedded", "docker"]
        return [table[n] for n in order]
    if name not in table:
        raise ConfigError(f"unknown sandbox provider {name!r}; choose auto, local, embedded, docker or dsn",
                          where="--sandbox")
    return [table[name]]


def start_server(name: str = "auto", sandbox_dsn: str | None = None, image: str | None = None,
                 extensions: frozenset[str] = frozenset()) -> Server:
    """Start (or reach) a server with the first provider that works; say why none did. ``extensions``: those
    the project creates: auto prefers a provider that has them (pgmanager.sandbox._extensions)."""
    reasons: list[str] = []
    candidates = providers(name, sandbox_dsn, image)
    choice = ""
    if extensions and name == "auto":
        order, choice = rank([p.name for p in candidates], {p.name: p.extension_bindir() for p in candidates},
                             extensions)
        candidates.sort(key=lambda p: order.index(p.name))
    for provider in candidates:
        reason = provider.unavailable()
        if reason:
            reasons.append(f"{provider.name}: {reason}")
            continue
        provider.stubs = extensions
        server = provider.start()
        offer = assess(provider.name, provider.extension_bindir(), extensions)
        if offer is not None:
            server.stubbed, server.missing = offer.stubbed, offer.missing
        server.choice = choice if provider is candidates[0] else ""
        return server
    raise SandboxError("no sandbox provider works here: " + "; ".join(reasons), where=f"--sandbox {name}")
