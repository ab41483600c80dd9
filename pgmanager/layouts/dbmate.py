"""dbmate: ``db/migrations/<version>_<name>.sql``, each with a ``-- migrate:up`` and a ``-- migrate:down`` section.

The up section is the migration, the down section its rollback; each keeps its line numbers (the other
section's lines are blank), so errors point at the file's own lines. The rollback is shown as
``<file>#down``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..models import FileKind
from ..project import Project, checksum
from ._common import Collector, problem, read, sql_files

FOLDERS = ("db/migrations",)
NAME = re.compile(r"^(?P<version>\d+)_?(?P<name>.*)\.sql$")
MARKER = re.compile(r"^--\s*migrate:(?P<section>up|down)\b(?P<options>.*)$")
HISTORY = (None, "schema_migrations")


def sections(text: str) -> dict[str, str] | str:
    """{'up': text, 'down': text} with other lines blanked, or why the file is not a dbmate migration."""
    lines = text.split("\n")
    owner: list[str | None] = []
    current: str | None = None
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        m = MARKER.match(line.strip())
        if m:
            current = m["section"]
            if current in seen:
                return f"line {n}: a second '-- migrate:{current}' section"
            seen.add(current)
            owner.append(None)
            continue
        owner.append(current)
    if "up" not in seen:
        return "no '-- migrate:up' section (dbmate requires one)"
    return {s: "\n".join(line if who == s else "" for line, who in zip(lines, owner, strict=True))
            for s in sorted(seen)}


def read_folder(project: Project, folder: Path) -> None:
    found = Collector(project)
    for path in sql_files(project, folder):
        m = NAME.match(path.name)
        if not m:
            problem(project, path, "dbmate migration file name must be <version>_<name>.sql (leading digits)")
            continue
        sql = read(project, path, FileKind.MIGRATION, m["version"], m["name"] or m["version"])
        if sql is None:
            continue
        parts = sections(sql.text)
        if isinstance(parts, str):
            problem(project, path, parts)
            continue
        found.migration(sql.model_copy(update={"text": parts["up"], "checksum": checksum(parts["up"])}), path)
        if parts.get("down", "").strip():
            found.rollback(read(project, path, FileKind.ROLLBACK, m["version"], sql.name, text=parts["down"],
                                display=sql.display + "#down"))
    found.finish(sorted(found.seen))  # dbmate sorts by file name

