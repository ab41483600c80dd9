"""Building the project into a database: everything in apply order, then the seed; the sandbox's migrator.

Light to import: the migration machinery (migrate, parse, schema) is imported by the functions that
use it, so that a caller that only needs the migrator's hash (a kept template, the pytest plugin)
does not pay for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..config import Settings
from ..db import connection
from ..models import FileKind, MigrateResult, StepOutcome, StepResult
from ..project import Project, inputs_checksum
from ..sandbox import FunctionMigrator

ProgressFn = Callable[[Any, int, int], None]


def build_database(settings: Settings, project: Project, dsn: str, *, seed: bool = True,
                   on_step: ProgressFn | None = None) -> MigrateResult:
    """Everything into one database: auth emulation, migrations, repeatables, then the seed."""
    from ..migrate import Applier
    from ..parse import parse_file
    from .migrating import migrate

    result = migrate(settings, project, dsn, on_step=on_step)
    if seed and project.seed is not None:
        doc = parse_file(project.seed)
        t0 = time.perf_counter()
        with connection(dsn) as conn, conn.transaction():
            Applier(conn, settings, {doc.file.display: doc}).run_statements(doc)
        seed_step = StepResult(key=doc.file.display, file=doc.file.display, kind=FileKind.SEED,
                               action=StepOutcome.APPLIED, statements=len(doc.statements),
                               duration_ms=round((time.perf_counter() - t0) * 1000, 3))
        result = result.model_copy(update={"steps": [*result.steps, seed_step]})
    return result


EMULATION_EXTENSIONS = frozenset({"uuid-ossp", "pgcrypto"})
"""What the Supabase emulation creates in schema extensions (sql/supabase_auth.sql)."""


def project_extensions(project: Project) -> frozenset[str]:
    """The extensions the project's SQL creates (``create extension``), from the schema model."""
    from ..parse import parse_file
    from ..schema import build_model

    model = build_model(parse_file(f) for f in [*project.migrations, *project.repeatables])
    return frozenset(model.extensions)


def sandbox_extensions(project: Project) -> frozenset[str]:
    """What a sandbox for this project should offer: the project's extensions, and the emulation's."""
    return project_extensions(project) | (EMULATION_EXTENSIONS if project.auth_emulation else frozenset())


def project_migrator(settings: Settings, project: Project, *, seed: bool = True) -> FunctionMigrator:
    """The sandbox's migrator for this project: keyed by every input file, builds with build_database."""
    files = [f for f in project.all_files() if f.kind != FileKind.ROLLBACK and (seed or f.kind != FileKind.SEED)]
    digest = inputs_checksum(files, __version__, settings.history_schema, str(seed))

    def build(dsn: str) -> None:
        build_database(settings, project, dsn, seed=seed)

    return FunctionMigrator(digest, build)
