"""Api functions for taking over a database another tool migrated (pgmanager.migrate.adopt).

Until pgmanager's own history holds a migration, the tool's history (Flyway, yoyo, golang-migrate,
dbmate, Supabase) says what is applied: ``status`` and ``plan`` read it as it is, ``migrate`` and
``repair`` seed our history from it in one transaction under the runner lock. After that, our history
is the only record; the tool's table is left as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from pglast import ast
from pglast.enums import ObjectType

from .. import layouts
from ..config import Settings
from ..errors import ConfigError
from ..layouts import flyway, load_project
from ..migrate import adopt, supabase
from ..migrate import history as _history
from ..models import FileKind, HistoryRow, SqlFile
from ..parse import SqlDocument, created_names, dotted, parse_file, rangevar_name
from ..project import Project, display_path, line_col, version_problem
from .inputs import require_clean


def _ours_started(rows: dict[str, HistoryRow]) -> bool:
    return any(r.kind == FileKind.MIGRATION for r in rows.values())


def _tool(project: Project, on_supabase: bool) -> str | None:
    """Whose history says what is applied: on a Supabase target always the CLI's, read on every run (the CLI
    may have applied more since); else the project's tool's, until our history holds a migration."""
    return "supabase" if on_supabase else adopt.tool_of(project)


def applied_rows(conn: psycopg.Connection, settings: Settings, project: Project,
                 on_supabase: bool = False) -> dict[str, HistoryRow]:
    """Our history rows, with the rows adopted from the tool's history (see _tool)."""
    rows = _history.read(conn, settings.history_schema)
    tool = _tool(project, on_supabase)
    if tool is None or (_ours_started(rows) and not on_supabase):
        return rows
    foreign = adopt.read_foreign(conn, tool, project.root)
    if foreign is None:
        return rows
    return {**adopt.adopted_rows(project, foreign), **rows}


def take_over(conn: psycopg.Connection, settings: Settings, project: Project,
              on_event: Callable[[str], None] | None = None, on_supabase: bool = False) -> int:
    """Seed our history from the tool's in one transaction (nothing runs); the number of rows seeded.

    On a Supabase target the CLI's history also gets the rows it lacks for migrations we applied."""
    rows = _history.read(conn, settings.history_schema)
    tool = _tool(project, on_supabase)
    if tool is None or (_ours_started(rows) and not on_supabase):
        return 0
    foreign = adopt.read_foreign(conn, tool, project.root)
    new = [r for k, r in adopt.adopted_rows(project, foreign).items() if k not in rows] if foreign else []
    recorded = {r.version for r in foreign.rows if r.version} if foreign else set()
    backfill = supabase.backfill_sql(project, rows, recorded) if on_supabase else []
    if not new and not backfill:
        return 0
    if new:
        _history.ensure(conn, settings.history_schema)
    with conn.transaction():
        for ddl in supabase.ensure_sql() if backfill else []:
            conn.execute(ddl)
        for row in new:
            conn.execute(_history.adopt_sql(settings.history_schema, row))
        for stmt in backfill:
            conn.execute(stmt)
    if on_event and new:
        on_event(f"took over {len(new)} row(s) from {tool}'s history ({foreign.table if foreign else tool}); "
                 "nothing was re-run")
    if on_event and backfill:
        on_event(f"recorded {len(backfill)} migration(s) pgmanager had applied in the Supabase CLI's history "
                 f"({supabase.SCHEMA}.{supabase.TABLE})")
    return len(new)


# ------------------------------------------------------------------ pgmanager import


@dataclass(frozen=True)
class Converted:
    """One file `pgmanager import` writes: where, what, and the tool's file it came from."""

    path: Path
    text: str
    origin: str


def _re_runnable(doc: SqlDocument) -> FileKind | None:
    """VIEW when every statement is CREATE OR REPLACE of a view or function; POLICY when each CREATE POLICY is
    preceded by its DROP POLICY IF EXISTS; else None (it stays a migration)."""
    nodes = [s.node for s in doc.statements]
    if nodes and all(isinstance(n, (ast.ViewStmt, ast.CreateFunctionStmt)) and n.replace for n in nodes):
        return FileKind.VIEW
    dropped: set[tuple[str, str]] = set()
    created = 0
    for n in nodes:
        if isinstance(n, ast.DropStmt) and n.removeType == ObjectType.OBJECT_POLICY and n.missing_ok:
            dropped |= {(dotted(o[:-1]), o[-1].sval) for o in n.objects or ()}
        elif isinstance(n, ast.CreatePolicyStmt):
            if (rangevar_name(n.table), n.policy_name) not in dropped:
                return None
            created += 1
        else:
            return None
    return FileKind.POLICY if created else None


def _version_map(project: Project) -> dict[str, str]:
    """Tool version -> our 14-digit version: kept when it already is a valid UTC timestamp (Supabase, dbmate),
    else one second apart from 2000-01-01 00:00:00 in the tool's order (older than anything made today)."""
    versions = [m.version or "" for m in project.migrations]
    if all(len(v) == 14 and v.isdigit() and version_problem(v) is None for v in versions):
        return {v: v for v in versions}
    base = datetime(2000, 1, 1, tzinfo=UTC)
    return {v: (base + timedelta(seconds=i)).strftime("%Y%m%d%H%M%S") for i, v in enumerate(versions, 1)}


def _header(tool: str, version: str, f: SqlFile) -> str:
    crc = f" checksum {flyway.crc32(f.path.read_bytes())}" if tool == "flyway" else ""
    name = f.path.name if not any(c.isspace() for c in f.path.name) else ""
    return f"-- pgmanager import: from {tool} version {version}{crc}" + (f" file {name}" if name else "") + "\n"


def _body(text: str) -> str:
    return text.strip("\n") + "\n"


def _name(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]+", "_", raw).strip("_") or "migration"


def _no_secret(source: Project, files: list[SqlFile]) -> None:
    """Refuse a file whose placeholders were replaced by a secret: the converted file would hold its value."""
    replacing = None
    for f in files:
        if f.written is None:
            continue
        replacing = replacing or flyway.read_config(source.root)[0]
        found = replacing.secret(f.written)
        if found is not None:
            line, col = line_col(f.written, found[0])
            raise ConfigError(f"placeholder {found[1]} holds a secret, and the converted file would hold its value: "
                              "take the secret out of the migration (set it outside migrations, or from a secret "
                              "store at run time), then import", where=f"{f.display}:{line}:{col}")


def convert(source: Project, tool: str, dest: Settings) -> list[Converted]:
    """The files that put ``source`` (a project in ``tool``'s layout) into our layout under ``dest``'s folders."""
    require_clean(source)
    _no_secret(source, [*source.migrations, *source.rollbacks.values(), *source.repeatables])
    docs = {m.display: parse_file(m) for m in source.migrations}
    created: dict[str, int] = {}
    for d in docs.values():
        for name in {n for s in d.statements for n in created_names(s.node)}:
            created[name] = created.get(name, 0) + 1
    ours = _version_map(source)
    out: list[Converted] = []
    for m in source.migrations:
        assert m.version is not None
        kind = _re_runnable(docs[m.display])
        names = {n for s in docs[m.display].statements for n in created_names(s.node)}
        if kind is not None and all(created.get(n, 0) == 1 for n in names) and m.version not in source.rollbacks:
            folder = dest.policies if kind == FileKind.POLICY else dest.views
            out.append(Converted(dest.path(folder) / f"{_name(m.name)}.sql",
                                 _header(tool, m.version, m) + _body(m.text), m.display))
            continue
        stem = f"{ours[m.version]}_{_name(m.name)}"
        out.append(Converted(dest.path(dest.migrations) / f"{stem}.sql", _header(tool, m.version, m) + _body(m.text),
                             m.display))
        rollback = source.rollbacks.get(m.version)
        if rollback is not None:
            out.append(Converted(dest.path(dest.migrations) / f"{stem}.rollback.sql", _body(rollback.text),
                                 rollback.display))
    for r in source.repeatables:  # Flyway's R__ files
        folder = dest.policies if r.kind == FileKind.POLICY else dest.views
        out.append(Converted(dest.path(folder) / f"{_name(r.name)}.sql", _header(tool, "R", r) + _body(r.text),
                             r.display))
    return out


def import_project(tool: str, source_dir: Path, dest: Settings) -> list[Converted]:
    """Convert the ``tool`` project at ``source_dir`` into ``dest``'s folders; refuse to overwrite a file.

    Nothing is written unless every file can be: a file that exists, or two that would have one name, stop
    it first. Each file's first line keeps the tool's version (and Flyway's checksum), so that a database
    that tool migrated is taken over by the converted project (see docs/commands/import.md)."""
    if tool not in layouts.OTHER_TOOLS:
        raise ConfigError(f"unknown tool {tool!r}; choose one of {', '.join(layouts.OTHER_TOOLS)}", where="--from")
    if not source_dir.is_dir():
        raise ConfigError(f"{source_dir} is not a folder", where="DIR")
    settings = Settings(root=source_dir.resolve(), layout=tool, auth_emulation=None, seed=None)
    folder = layouts.folder(settings, tool)
    if not folder.is_dir():
        settings = settings.model_copy(update={"migrations": "."})  # DIR is the migrations folder itself
    source = load_project(settings)
    mig_dir = layouts.folder(settings, tool) if folder.is_dir() else source_dir.resolve()
    if mig_dir == dest.path(dest.migrations):
        raise ConfigError(f"{display_path(mig_dir, dest.root)} is both the {tool} folder and this project's "
                          "migrations folder: import into another project (-C)", where="DIR")
    if not source.migrations and not source.repeatables:
        raise ConfigError(f"no {tool} migrations found in {folder if folder.is_dir() else source_dir}", where="DIR")
    files = convert(source, tool, dest)
    seen: dict[Path, str] = {}
    for f in files:
        shown = display_path(f.path, dest.root)
        if f.path.exists():
            raise ConfigError(f"exists already ({f.origin} would be written here); nothing was written: move it "
                              "away or import into another project", where=shown)
        if f.path in seen:
            raise ConfigError(f"{f.origin} and {seen[f.path]} would both be written to {shown}; nothing was written: "
                              "rename one", where=shown)
        seen[f.path] = f.origin
    for f in files:
        f.path.parent.mkdir(parents=True, exist_ok=True)
        with f.path.open("x", encoding="utf-8") as handle:
            handle.write(f.text)
    return files
