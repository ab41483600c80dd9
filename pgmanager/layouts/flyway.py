"""Flyway: ``V<version>__<description>.sql`` (versioned), ``U<version>__`` (undo: our rollback) and
``R__<description>.sql`` (repeatable: re-applied when it changes), found in subfolders too.

The version is Flyway's: ``V1_2__x.sql`` is ``1.2``; versions are ordered by their numbers
(1.2 < 1.10). Repeatables are policies when they only hold policies, else views.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from ..models import FileKind
from ..project import Project
from ._common import Collector, problem, read, repeatable_kind, sql_files

FOLDERS = ("db/migration", "migrations")
NAME = re.compile(r"^(?P<prefix>[VUR])(?P<version>\d+(?:[._]\d+)*)?__(?P<name>.+)\.sql$")
HISTORY = ("public", "flyway_schema_history")


def read_folder(project: Project, folder: Path) -> None:
    found = Collector(project)
    for path in sql_files(project, folder, recursive=True):
        m = NAME.match(path.name)
        if not m or (m["prefix"] == "R") != (m["version"] is None):
            problem(project, path, "Flyway file name must be V<version>__<description>.sql, "
                                   "U<version>__<description>.sql or R__<description>.sql")
            continue
        if m["prefix"] == "R":
            sql = read(project, path, FileKind.VIEW, None, m["name"])
            if sql is not None:
                project.repeatables.append(sql.model_copy(update={"kind": repeatable_kind(sql.text)}))
            continue
        version = m["version"].replace("_", ".")
        if m["prefix"] == "U":
            found.rollback(read(project, path, FileKind.ROLLBACK, version, m["name"]))
        else:
            found.migration(read(project, path, FileKind.MIGRATION, version, m["name"]), path)
    found.finish()


def crc32(raw: bytes) -> int:
    """Flyway's checksum of a file: CRC32 over its lines' UTF-8 bytes without line ends (a BOM dropped),
    as a signed 32-bit integer."""
    text = raw.decode("utf-8").removeprefix("\ufeff")
    crc = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - 2**32 if crc >= 2**31 else crc


def description(name: str) -> str:
    """Flyway's description column: the file's description with underscores as spaces."""
    return name.replace("_", " ")
