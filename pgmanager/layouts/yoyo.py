"""yoyo-migrations: SQL files named by id, ``-- depends: <id> ...`` lines, ``<id>.rollback.sql`` beside them.

Read with yoyo itself (``yoyo.read_migrations``), ordered as ``yoyo apply`` orders them (its topological
sort over the dependencies). The version is yoyo's migration id (the file name without ``.sql``).
Python migrations and post-apply hooks are refused: they are code, not SQL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..models import FileKind
from ..project import Project
from ._common import Collector, problem, read, sql_files

FOLDERS = ("migrations",)
HISTORY = (None, "_yoyo_migration")


def migration_hash(migration_id: str) -> str:
    """What yoyo stores as the key of an applied migration: sha256 of its id."""
    return hashlib.sha256(migration_id.encode("utf-8")).hexdigest()


def configured_folder(root: Path) -> str | None:
    """The first ``sources`` folder of the project's yoyo.ini, if it names one."""
    ini = root / "yoyo.ini"
    if not ini.is_file():
        return None
    import configparser  # only a yoyo project has an ini to read: kept out of every command's start-up

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    sources = parser.get("DEFAULT", "sources", fallback="").split()
    return sources[0] if sources else None


def read_folder(project: Project, folder: Path) -> None:
    try:
        from yoyo import exceptions, read_migrations
        from yoyo.migrations import topological_sort
    except ImportError:
        problem(project, folder, "the yoyo layout is read with yoyo-migrations: pip install yoyo-migrations",
                "layout")
        return
    for path in sorted(folder.glob("*.py")):
        if path.name != "__init__.py":
            problem(project, path, "a Python yoyo migration cannot be read as SQL: rewrite it as a .sql file")
    found = Collector(project)
    try:
        listed = [m for m in read_migrations(str(folder)) if m.path.endswith(".sql")]
        ordered = [m.id for m in topological_sort(listed)]
    except (exceptions.BadMigration, exceptions.MigrationConflict) as exc:
        problem(project, folder, f"yoyo cannot read this folder: {exc}")
        return
    ids = set(ordered)
    for path in sql_files(project, folder):
        stem = path.name.removesuffix(".sql")
        if stem.startswith("post-apply"):
            problem(project, path, "yoyo post-apply hooks run after every apply: not supported, "
                                   "make it a view or policy file")
        elif stem.endswith(".rollback"):
            mid = stem.removesuffix(".rollback")
            found.rollback(read(project, path, FileKind.ROLLBACK, mid, mid))
        elif stem in ids:
            found.migration(read(project, path, FileKind.MIGRATION, stem, stem), path)
    found.finish(ordered)
