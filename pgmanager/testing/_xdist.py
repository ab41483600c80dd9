"""pytest-xdist: the workers of one run share one server and one template.

The controller hands each worker a run folder and its own pid. The first worker that needs a
database starts the server under a file lock, makes the controller its owner and writes its DSN to
the run folder; the others connect to it. The template is built once, under the server's advisory
lock, by whichever worker gets there first. The controller stops the server (or, on an existing
server, drops the run's templates) when the run ends.

Imports only pytest and the standard library until a run actually started a server.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SERVER_FILE = "server.json"
TEMPLATES_FILE = "templates.txt"


@dataclass(frozen=True)
class Worker:
    run_dir: Path
    controller: int
    """The controller's pid: the owner of a server a worker starts."""
    uid: str

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with open(self.run_dir / "lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def server(self) -> dict[str, Any] | None:
        path = self.run_dir / SERVER_FILE
        return json.loads(path.read_text()) if path.exists() else None

    def record_server(self, data: dict[str, Any]) -> None:
        path = self.run_dir / SERVER_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)

    def record_template(self, admin_dsn: str, name: str) -> None:
        """A template the controller drops at the end (on an existing server, without reuse)."""
        with self.locked(), open(self.run_dir / TEMPLATES_FILE, "a") as fh:
            fh.write(json.dumps([admin_dsn, name]) + "\n")


def worker(config: pytest.Config) -> Worker | None:
    """This process's share of an xdist run, or None outside one."""
    data = getattr(config, "workerinput", None)
    if not data or "pgm_run_dir" not in data:
        return None
    return Worker(Path(data["pgm_run_dir"]), int(data["pgm_controller"]), str(data.get("testrunuid", "")))


class Controller:
    """Hooks for pytest-xdist's controller process (registered only when xdist runs it)."""

    def __init__(self) -> None:
        self.run_dir: Path | None = None

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        if self.run_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix="pgmanager-xdist-"))
        node.workerinput["pgm_run_dir"] = str(self.run_dir)
        node.workerinput["pgm_controller"] = os.getpid()

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.run_dir is None:
            return
        try:
            _finish(self.run_dir)
        finally:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None


def _finish(run_dir: Path) -> None:
    server = run_dir / SERVER_FILE
    templates = run_dir / TEMPLATES_FILE
    if not server.exists() and not templates.exists():
        return  # no worker needed a database: nothing was imported, nothing to stop
    from ..sandbox import LocalCluster, Templates

    if server.exists():
        data = json.loads(server.read_text())
        LocalCluster(bindir=Path(data["bindir"]), folder=Path(data["folder"]), port=0).destroy()
    if templates.exists():
        for line in templates.read_text().splitlines():
            admin_dsn, name = json.loads(line)
            with contextlib.suppress(Exception):  # the run is over: a template already gone is fine
                Templates(admin_dsn, lambda n: n).drop(name)
