"""Our own layout: ``migrations/YYYYMMDDHHMMSS_name.sql`` with ``.rollback.sql`` beside the reversible ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..models import FileKind
from ..project import MIGRATION_NAME, version_problem
from ._common import Collector, problem, read, sql_files

if TYPE_CHECKING:
    from ..project import Project

FOLDERS = ("migrations",)


def read_folder(project: Project, folder: Path) -> None:
    found = Collector(project)
    for path in sql_files(project, folder):
        m = MIGRATION_NAME.match(path.name)
        if not m:
            problem(project, path, "migration file name must be YYYYMMDDHHMMSS_name.sql (14-digit UTC timestamp)")
            continue
        version, name = m["version"], m["name"]
        bad_version = version_problem(version)
        if bad_version:
            problem(project, path, bad_version)
        elif m["rollback"]:
            found.rollback(read(project, path, FileKind.ROLLBACK, version, name))
        else:
            found.migration(read(project, path, FileKind.MIGRATION, version, name), path)
    found.finish()  # 14-digit versions: their natural order is their name order
