"""What the plugin's fixtures do, imported on their first use: the session's server, the project's
template (kept between sessions when asked), clones, the factory."""

from __future__ import annotations

import contextlib
import hashlib
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ..api import building, inputs, sandboxes
from ..config import Settings
from ..db import connection, error_line
from ..errors import ConfigError, InputError, PgmError
from ..project import Project
from ..sandbox import ClonePool, FunctionMigrator, Kept, Sandbox, open_sandbox
from ..sandbox._template import CLONE_PREFIX
from . import _options, _ready, _xdist

POOL_WORKERS = 2
"""Threads filling a clone pool: the server clones in parallel, and a fast suite outruns one."""


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """pgmanager's one-line errors as one-line test errors (no traceback into the plugin)."""
    error: PgmError | None = None
    try:
        yield
    except PgmError as exc:
        error = exc
    if error is not None:  # outside the except block: no "during handling" chain in the report
        pytest.fail(str(error), pytrace=False)


@dataclass
class TestDatabase:
    """A fresh clone of a template for one test."""

    __test__ = False  # not a pytest test class
    name: str
    dsn: str

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        return psycopg.connect(self.dsn, **kwargs)


@dataclass
class BuiltProject:
    """The project built once into a template on the session's server."""

    box: Sandbox
    settings: Settings
    project: Project
    template: str
    reused: bool = False
    """True when the template was already on the server (kept by an earlier session, or another worker's)."""
    build_seconds: float = 0.0
    expected: int | None = None
    """How many clones the session's tests will take (None: unknown)."""
    pool: ClonePool | None = None
    """With ready clones (reuse): the session's own pool, its clones dropped after the session (_ready)."""
    used: list[str] = field(default_factory=list)

    def clone(self) -> str:
        if self.pool is not None:
            return self.pool.acquire()
        return self.box.acquire(self.template, self.settings.pool_size, POOL_WORKERS, self.expected)

    def release(self, name: str) -> None:
        """A test is done with clone ``name``: dropped in the background (with ready clones: after the session)."""
        if self.pool is None:
            self.box.drop_later(name)
        else:
            self.used.append(name)

    def keep(self, name: str) -> str:
        """Leave clone ``name`` on the server (a failed test's, for inspection); its name from now on."""
        templates = self.box.templates
        if self.pool is not None and name.startswith(_ready.USED_PREFIX):
            kept = CLONE_PREFIX + name[len(_ready.USED_PREFIX):]
            rename = sql.SQL("alter database {} rename to {}").format(sql.Identifier(name), sql.Identifier(kept))
            with connection(self.box.dsn()) as conn:
                for attempt in range(100):  # the test's closed connection may not have left yet
                    try:
                        conn.execute(rename)
                        break
                    except psycopg.errors.ObjectInUse:
                        if attempt == 99:
                            raise
                        time.sleep(0.01)
            name = kept
        templates.forget(name)
        return name

    def dsn(self, dbname: str) -> str:
        return self.box.dsn(dbname)


def load_settings(config: pytest.Config, root: Path | None = None) -> tuple[Settings, Project]:
    """The project's settings, with the plugin's options over them (errors name the option or ini key)."""
    overrides: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in ("sandbox", "sandbox_dsn", "pool_size"):
        setting = _options.resolve(config, name)
        if setting.value is None or (name == "sandbox" and setting.value == "up"):
            continue
        overrides[name] = setting.value
        sources["--" + name.replace("_", "-")] = setting.source
    try:
        return inputs.load(root or _options.project_root(config), **overrides)
    except ConfigError as exc:
        exc.where = sources.get(exc.where or "", exc.where)
        raise


@dataclass
class Session:
    """One pytest session's (one xdist worker's) server, its templates and what it started."""

    config: pytest.Config
    settings: Settings
    project: Project
    box: Sandbox
    kept: Kept | None
    """Templates outlive the session: reuse, or shared by the workers of an xdist run."""
    worker: _xdist.Worker | None
    record_templates: bool
    stack: contextlib.ExitStack
    reuse: bool = False
    """The server outlives the session and keeps its templates (and ready clones, _ready)."""
    notes: list[str] = field(default_factory=list)
    _built: BuiltProject | None = None
    _factory_templates: dict[tuple[int, str], str] = field(default_factory=dict)

    def built(self) -> BuiltProject:
        if self._built is None:
            self._built = self.build(self.box, self.settings, self.project)
            self._built.expected = self.config.stash.get(_options.EXPECTED_CLONES, None)
            what = "reused" if self._built.reused else f"built in {self._built.build_seconds:.2f} s"
            kept = " (kept for the next session)" if self.kept and not self.worker else ""
            self.notes.append(f"template {self._built.template} {what}{kept}")
            self.notes.extend(f"dropped old template {name}" for name in self.box.templates.pruned)
            if self.reuse and self.kept is not None:
                self._take_ready(self._built, self.kept)
        return self._built

    def _take_ready(self, built: BuiltProject, kept: Kept) -> None:
        """Start from the ready clones an earlier session left; leave the refill to a detached process."""
        claim = _ready.claim(self.box.dsn())
        self.stack.callback(claim.close)
        want = built.expected if built.expected is not None else self.settings.pool_size
        workers = int(getattr(self.config, "workerinput", {}).get("workercount", 1) or 1)
        want = -(-want // workers)  # an xdist worker collects every test but runs its share
        taken = claim.take(built.template, kept.group, want)
        built.pool = ClonePool(self.box.templates, built.template, self.settings.pool_size, POOL_WORKERS,
                               built.expected, ready=taken, names=claim.name)
        self.notes.append(f"{len(taken)} ready clone(s) taken")
        setting = _options.resolve(self.config, "ready").value

        def finish() -> None:
            assert built.pool is not None
            unused = built.pool.close(keep_unused=True)
            self.box.templates.forget(*built.used, *unused)  # dropped after the session, not by the box's close
            wanted = int(setting) if setting is not None else max(self.settings.pool_size, len(built.used))
            _ready.start_refill(_ready.Refill(self.box.dsn(), built.template, kept.group,
                                              min(wanted, _ready.MAX_READY), built.used, unused,
                                              self.box.templates.strategy))

        self.stack.callback(finish)  # before claim.close: the refill finds this session's tag still held

    def build(self, box: Sandbox, settings: Settings, project: Project, seed: bool = True) -> BuiltProject:
        migrator = building.project_migrator(settings, project, seed=seed)

        def build(dsn: str) -> None:
            inputs.require_clean(project)  # one clear error for a bad file, before anything runs
            migrator.build(dsn)

        t0 = time.perf_counter()
        template = self.template(box, FunctionMigrator(migrator.hash, build))
        return BuiltProject(box, settings, project, template, template in box.templates.reused,
                            time.perf_counter() - t0)

    def template(self, box: Sandbox, migrator: FunctionMigrator) -> str:
        kept = self.kept if box is self.box else None
        template = box.template(migrator, kept=kept)
        if kept is not None and self.record_templates and template not in box.templates.reused:
            assert self.worker is not None
            self.worker.record_template(box.dsn(), template)
        return template


@contextlib.contextmanager
def open_session(config: pytest.Config) -> Iterator[Session]:
    settings, project = load_settings(config)
    sandbox = _options.resolve(config, "sandbox")
    provider, dsn = settings.sandbox, settings.sandbox_dsn
    persistent = provider == "dsn"
    if sandbox.value == "up":
        dsn = sandboxes.up_server_dsn(settings)
        if dsn is None:
            raise ConfigError(f"no local sandbox is up for {settings.root}", where=sandbox.source,
                              hint="run `pgmanager sandbox up` there first")
        provider, persistent = "dsn", True
    reuse_setting = _options.resolve(config, "reuse")
    reuse = bool(reuse_setting.value) if reuse_setting.value is not None else sandbox.value == "up"
    if reuse and not persistent:
        warnings.warn(pytest.PytestWarning(
            f"pgmanager: {reuse_setting.source} has no effect with the {provider} provider: its server stops with "
            "the session (use --pgm-sandbox up or dsn)"), stacklevel=2)
        reuse = False
    newest = _options.resolve(config, "keep_templates").value
    worker = _xdist.worker(config)
    kept: Kept | None = None
    if reuse:
        group = hashlib.sha256(str(settings.root.resolve()).encode()).hexdigest()[:16]
        kept = Kept(group, int(newest or 3))
    elif worker is not None:
        kept = Kept("xdist-" + worker.uid, 1_000_000)  # shared by the workers; the controller drops it
    with contextlib.ExitStack() as stack:
        box = stack.enter_context(_server(settings, provider, dsn, worker))
        record = worker is not None and not reuse and box.provider == "dsn" and persistent
        yield Session(config, settings, project, box, kept, worker, record, stack, reuse=reuse)


@contextlib.contextmanager
def _server(settings: Settings, provider: str, dsn: str | None, worker: _xdist.Worker | None) -> Iterator[Sandbox]:
    if worker is None or provider == "dsn":
        with open_sandbox(provider, sandbox_dsn=dsn, image=settings.sandbox_image) as box:
            yield box
        return
    with worker.locked():
        shared = worker.server()
        if shared is None:
            started = contextlib.ExitStack()
            box = started.enter_context(open_sandbox(provider, image=settings.sandbox_image))
            cluster = box.hand_over(worker.controller)
            if cluster is not None:
                worker.record_server({"dsn": box.dsn(), "folder": str(cluster.folder), "bindir": str(cluster.bindir)})
        else:
            started = contextlib.ExitStack()
            box = started.enter_context(open_sandbox("dsn", sandbox_dsn=shared["dsn"]))
    with started:
        yield box


class DatabaseFactory:
    """``pgm_factory(project=..., load=[...], dbname=..., server=..., seed=True)``: a database for this test,
    dropped afterwards; ``pgm_factory.server(provider, sandbox_dsn)``: another server for the session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.made: list[tuple[Sandbox, str]] = []

    def __call__(self, *, project: str | Path | None = None, load: Sequence[str | Path | Callable[[str], Any]] = (),
                 dbname: str | None = None, server: Sandbox | None = None, seed: bool = True) -> TestDatabase:
        box = server or self.session.box
        with reported():
            base_hash, base_build = "empty", _nothing
            if project is not None:
                settings, proj = load_settings(self.session.config, Path(project))
                built = self.session.build(box, settings, proj, seed=seed) if not load else None
                if built is not None:
                    return self._clone(box, built.template, dbname)
                migrator = building.project_migrator(settings, proj, seed=seed)
                base_hash, base_build = migrator.hash, migrator.build
            digest = hashlib.sha256(base_hash.encode())
            for item in load:
                digest.update(_load_key(item).encode())

            def build(dsn: str) -> None:
                base_build(dsn)
                for item in load:
                    _apply(item, dsn)

            template = self.session.template(box, FunctionMigrator("f" + digest.hexdigest(), build))
            return self._clone(box, template, dbname)

    def _clone(self, box: Sandbox, template: str, dbname: str | None) -> TestDatabase:
        name = box.templates.clone(template, dbname)
        self.made.append((box, name))
        return TestDatabase(name, box.dsn(name))

    def server(self, provider: str = "auto", sandbox_dsn: str | None = None) -> Sandbox:
        """Another throwaway server, stopped when the session ends."""
        with reported():
            return self.session.stack.enter_context(open_sandbox(provider, sandbox_dsn=sandbox_dsn))

    def close(self) -> None:
        for box, name in self.made:
            box.drop_later(name)


def _nothing(dsn: str) -> None:
    """An empty database needs no build."""


def _load_key(item: str | Path | Callable[[str], Any]) -> str:
    if callable(item):
        return f"callable:{getattr(item, '__module__', '')}.{getattr(item, '__qualname__', repr(item))}\n"
    path = Path(item)
    try:
        return f"file:{path.resolve()}:{hashlib.sha256(path.read_bytes()).hexdigest()}\n"
    except OSError as exc:
        raise InputError(f"cannot read load file: {exc.strerror}", where=str(path)) from None


def _apply(item: str | Path | Callable[[str], Any], dsn: str) -> None:
    """A load step: a SQL file run in one transaction, or a function given the database's DSN."""
    if callable(item):
        item(dsn)
        return
    path = Path(item)
    try:
        with connection(dsn, autocommit=False) as conn, conn.transaction():
            conn.execute(path.read_text(encoding="utf-8").encode())
    except psycopg.Error as exc:
        raise InputError(f"load failed: {error_line(exc)}", where=str(path)) from None
