"""Supabase CLI: ``supabase/migrations/<version>_<name>.sql``, applied in file name order; no down files."""

from __future__ import annotations

import re
from pathlib import Path

from ..models import FileKind
from ..project import Project
from ._common import Collector, problem, read, sql_files

FOLDERS = ("supabase/migrations",)
NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")
HISTORY = ("supabase_migrations", "schema_migrations")


def read_folder(project: Project, folder: Path) -> None:
    found = Collector(project)
    order = []
    for path in sql_files(project, folder):
        m = NAME.match(path.name)
        if not m:
            problem(project, path, "Supabase migration file name must be <version>_<name>.sql (digits, then _)")
            continue
        found.migration(read(project, path, FileKind.MIGRATION, m["version"], m["name"]), path)
        order.append(m["version"])
    found.finish(order)  # the CLI sorts by file name, not by number
