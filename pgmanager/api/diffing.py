"""`diff`: schema drift between a live database and what the project's SQL builds in a sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..catalog import PLATFORM_SCHEMAS
from ..config import Settings
from ..db import describe, redact
from ..diff import Change, Snapshot, compare, keep_platform_objects, plan, project_created, read, render_script
from ..migrate import supabase as _supabase
from ..migrate.session import connected
from ..models import DiffItem, DiffReport, PropertyDiff
from ..parse import parse_file
from ..project import Project
from ..sandbox import Sandbox, open_sandbox
from .building import project_extensions, project_migrator, sandbox_extensions
from .inputs import require_clean

EventFn = Callable[[str], None]


def read_database(dsn: str, excluded: list[str]) -> Snapshot:
    """The schema of the database at ``dsn``: generic objects and their dependencies."""
    with connected(dsn) as conn:
        return read(conn, excluded)


def built_snapshot(settings: Settings, project: Project, box: Sandbox) -> Snapshot:
    """The project built (without its seed) in ``box``: a clone of its template, read and dropped."""
    template = box.template(project_migrator(settings, project, seed=False))
    name = box.clone(template)
    try:
        return read_database(box.dsn(name), [settings.history_schema])
    finally:
        box.drop(name)


def differences(live: Snapshot, built: Snapshot) -> list[Change]:
    return compare(live, built)


def _items(changes: list[Change]) -> list[DiffItem]:
    return [DiffItem(kind=c.kind, identity=c.identity, change=c.change,
                     properties=[PropertyDiff(name=k, live=v[0], project=v[1])
                                 for k, v in sorted(c.properties.items())])
            for c in changes]


def diff(settings: Settings, project: Project, dsn: str, *, with_sql: bool = False, allow_destructive: bool = False,
         supabase: bool | None = None, sandbox: str | None = None, sandbox_dsn: str | None = None,
         box: Sandbox | None = None, on_event: EventFn | None = None) -> DiffReport:
    """Compare the live database ``dsn`` with the project built in a sandbox (``box``, or a new one).

    Both sides leave out the history schema, the system schemas and what extensions own; on a Supabase
    target (detected, or ``supabase``) also what Supabase owns (auth, storage...) unless the project's own
    SQL creates it. With ``with_sql`` the report holds a migration bringing the live database to the
    project's state; destructive statements in it are commented out unless ``allow_destructive``.
    """
    require_clean(project)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    excluded = [settings.history_schema]
    with connected(dsn) as conn:  # first: an unreachable target fails before any sandbox starts
        target = redact(dsn) or describe(dsn)
        on_supabase = _supabase.detect(conn, forced=bool(supabase or settings.supabase)).supabase
        live = read(conn, excluded)
    timings["read_live"] = _ms_since(t0)
    t1 = time.perf_counter()
    if on_event:
        on_event("building the project in a sandbox")
    if box is not None:
        built = built_snapshot(settings, project, box)
    else:
        with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn,
                          image=settings.sandbox_image, extensions=sandbox_extensions(project)) as new_box:
            built = built_snapshot(settings, project, new_box)
    timings["build"] = _ms_since(t1)
    if on_supabase:
        created = project_created(parse_file(f) for f in [*project.migrations, *project.repeatables])
        owned, extensions = frozenset(PLATFORM_SCHEMAS), project_extensions(project)
        live = keep_platform_objects(live, owned, created, extensions)
        built = keep_platform_objects(built, owned, created, extensions)
    t2 = time.perf_counter()
    changes = differences(live, built)
    script, destructive = None, 0
    if with_sql:
        actions = plan(changes, live, built)
        destructive = sum(1 for a in actions if a.destructive)
        script = render_script(actions, target=describe(dsn), allow_destructive=allow_destructive)
    timings["compare"] = _ms_since(t2)
    timings["total"] = _ms_since(t0)
    return DiffReport(target=target, equal=not changes, differences=_items(changes), sql=script,
                      destructive=destructive, commented_out=not allow_destructive, supabase=on_supabase,
                      timings_ms=timings)


def diff_databases(live_dsn: str, project_dsn: str, excluded: list[str], *, with_sql: bool = True) -> DiffReport:
    """Two existing databases compared (the engine alone: benchmarks/diff.py measures it against migra)."""
    t0 = time.perf_counter()
    live, built = read_database(live_dsn, excluded), read_database(project_dsn, excluded)
    changes = differences(live, built)
    script = render_script(plan(changes, live, built), target=describe(live_dsn), allow_destructive=False) \
        if with_sql else None
    return DiffReport(target=redact(live_dsn) or describe(live_dsn), equal=not changes, differences=_items(changes),
                      sql=script, timings_ms={"total": _ms_since(t0)})


def _ms_since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
