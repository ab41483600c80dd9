"""golang-migrate: ``<N>_<name>.up.sql`` with ``<N>_<name>.down.sql`` beside it, in numeric order.

The version is the number as golang-migrate stores it (bigint): ``0001_x.up.sql`` is version ``1``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..models import FileKind
from ..project import Project
from ._common import Collector, problem, read, sql_files

FOLDERS = ("migrations", "db/migrations")
NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.(?P<direction>up|down)\.sql$")
HISTORY = (None, "schema_migrations")
_BIGINT_MAX = 2**63 - 1


def read_folder(project: Project, folder: Path) -> None:
    found = Collector(project)
    for path in sql_files(project, folder):
        m = NAME.match(path.name)
        if not m:
            problem(project, path, "golang-migrate file name must be <number>_<name>.up.sql or .down.sql")
            continue
        number = int(m["version"])
        if number > _BIGINT_MAX:
            problem(project, path, f"version {m['version']} is larger than golang-migrate's bigint")
            continue
        version = str(number)
        if m["direction"] == "down":
            found.rollback(read(project, path, FileKind.ROLLBACK, version, m["name"]))
        else:
            found.migration(read(project, path, FileKind.MIGRATION, version, m["name"]), path)
    found.finish()
