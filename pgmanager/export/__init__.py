"""`pgmanager supabase export`: the project as a Supabase CLI project (supabase/ in the CLI's layout).

- ``config.toml``: minimal and valid (project_id, the database's major version, the seed);
- ``migrations/<14-digit version>_<name>.sql``: each of our migrations, as it is, except that
  ``CONCURRENTLY`` is removed from index builds and drops (the CLI runs each file in one transaction, where
  PostgreSQL refuses it; a comment says so in the file); any other statement that cannot run in a
  transaction is refused;
- our repeatables (policies/, views/) become generated migrations, because Supabase has none: one file
  after the newest migration with every repeatable in dependency order, each headed by a marker line with
  its checksum; a later export adds a new generated migration with only the repeatables changed since;
- ``seed.sql``: the project's seed; ``tests/pgmanager_<spec>_test.sql``: pgTAP files from our policy specs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pglast import ast

from ..config import Settings
from ..errors import ConfigError, InputError
from ..migrate.plan import order_repeatables
from ..models import SqlFile
from ..parse import SqlDocument, parse_file
from ..policies import SpecSuite
from ..project import Project
from ._pgtap import record_text, tap_file

MARKER = re.compile(r"^-- pgmanager repeatable: (?P<file>\S+) checksum (?P<checksum>[0-9a-f]+)$", re.MULTILINE)
_CONCURRENTLY = re.compile(r"(?i)\b(index)\s+concurrently\b")
GENERATED = "pgmanager_repeatables"

__all__ = ["GENERATED", "ExportFile", "export_files", "record_text", "tap_file"]


@dataclass(frozen=True)
class ExportFile:
    """One file of the export: its path under DIR, its text, and what it was made from."""

    path: Path
    text: str
    origin: str


def _config(settings: Settings, major: int) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", settings.root.resolve().name).strip("-") or "project"
    return (f'# Written by `pgmanager supabase export`.\nproject_id = "{name}"\n\n[db]\nmajor_version = {major}\n\n'
            '[db.seed]\nenabled = true\nsql_paths = ["./seed.sql"]\n')


def _migration_text(f: SqlFile, doc: SqlDocument) -> str:
    """The file for the CLI: as it is, or without CONCURRENTLY where it has to run in one transaction."""
    outside = [s for s in doc.statements if s.no_transaction]
    if not outside:
        return f.text
    text = f.text
    for s in reversed(outside):
        node = s.node
        concurrent = (isinstance(node, ast.IndexStmt) and node.concurrent) or (
            isinstance(node, ast.DropStmt) and node.concurrent)
        if not concurrent or not _CONCURRENTLY.search(text[s.start:s.end + 1]):
            raise InputError(f"{s.no_transaction} cannot run in a transaction, and the Supabase CLI runs each "
                              "migration in one: move it out of the migration before exporting",
                              where=f"{f.display}:{s.line}:{s.col}")
        text = text[:s.start] + _CONCURRENTLY.sub(r"\1", text[s.start:s.end + 1], count=1) + text[s.end + 1:]
    return ("-- pgmanager export: CONCURRENTLY removed, because the Supabase CLI runs each migration in one "
            "transaction (the index is built under a SHARE lock that blocks writes).\n" + text)


def _exported_checksums(folder: Path) -> dict[str, str]:
    """Repeatable -> checksum, as the generated migrations already in ``folder`` hold them (the newest wins)."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob(f"*_{GENERATED}.sql")) if folder.is_dir() else []:
        for m in MARKER.finditer(path.read_text(encoding="utf-8")):
            out[m["file"]] = m["checksum"]
    return out


def _version(v: str, seconds: int) -> str:
    t = datetime.strptime(v, "%Y%m%d%H%M%S").replace(tzinfo=UTC) + timedelta(seconds=seconds)
    return t.strftime("%Y%m%d%H%M%S")


def export_files(settings: Settings, project: Project, dest: Path, suite: SpecSuite | None,
                 major: int = 15) -> list[ExportFile]:
    """Every file the export writes under ``dest`` (supabase/...), nothing written yet."""
    base = Path("supabase")
    out = [ExportFile(base / "config.toml", _config(settings, major), "pgmanager settings")]
    versions = []
    for m in project.migrations:
        v = m.version or ""
        if not (len(v) == 14 and v.isdigit()):
            raise ConfigError(f"version {v!r} is not a 14-digit timestamp, which the Supabase CLI needs: convert the "
                              "project with `pgmanager import` first", where=m.display)
        doc = parse_file(m)
        out.append(ExportFile(base / "migrations" / f"{v}_{m.name}.sql", _migration_text(m, doc), m.display))
        versions.append(v)
    done = _exported_checksums(dest / base / "migrations")
    docs = {r.display: parse_file(r) for r in project.repeatables}
    changed = [name for name in order_repeatables(docs) if done.get(name) != docs[name].file.checksum]
    if changed:
        existing = sorted(p.name.split("_", 1)[0] for p in (dest / base / "migrations").glob("*.sql")) \
            if (dest / base / "migrations").is_dir() else []
        newest = max([*versions, *existing]) if versions or existing else "20000101000000"
        parts = ["-- Generated by `pgmanager supabase export` from our repeatables (policies/, views/), which the "
                 "Supabase CLI does not have: edit those files, not this one."]
        for name in changed:
            f = docs[name].file
            parts.append(f"\n-- pgmanager repeatable: {name} checksum {f.checksum}\n{f.text.rstrip()}\n")
        out.append(ExportFile(base / "migrations" / f"{_version(newest, 1)}_{GENERATED}.sql", "\n".join(parts),
                              ", ".join(changed)))
    if project.seed is not None:
        out.append(ExportFile(base / "seed.sql", project.seed.text, project.seed.display))
    if suite is not None:
        by_file: dict[str, list] = {}
        for case in suite.cases:
            by_file.setdefault(case.file, []).append(case)
        for spec, cases in by_file.items():
            stem = re.sub(r"[^A-Za-z0-9_]+", "_", Path(spec).stem)
            out.append(ExportFile(base / "tests" / f"pgmanager_{stem}_test.sql", tap_file(spec, cases), spec))
    return out
