"""Taking over a database another tool migrated: read its history table, match it to the project's files.

``read_foreign`` reads the tool's own table (and refuses one whose shape it does not know, or a dirty
golang-migrate database, or a failed Flyway row); ``adopted_rows`` (pure) turns what it found into
pgmanager history rows, with our checksum where the tool's own check agrees with the file (Flyway's
CRC32, Supabase's recorded statements) and a ``<tool>:<checksum>`` marker where it does not, so that the
file shows as drifted. The caller seeds them in one transaction (history.adopt_sql).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pglast
import psycopg
from psycopg import sql

from .. import layouts
from ..errors import PlanError
from ..layouts import flyway, yoyo
from ..models import FileKind, HistoryRow, SqlFile
from ..project import Project, natural_key, normalize
from . import supabase

SHAPES = {"supabase": {"version"}, "yoyo": {"migration_hash", "migration_id", "applied_at_utc"},
          "golang-migrate": {"version", "dirty"}, "dbmate": {"version"},
          "flyway": {"installed_rank", "version", "description", "type", "script", "checksum", "installed_by",
                     "installed_on", "success"}}
"""The columns each tool's table has (Supabase, yoyo and Flyway may have more; the others exactly these)."""
_EXACT = {"golang-migrate", "dbmate"}
IMPORT_HEADER = re.compile(r"^-- pgmanager import: from (?P<tool>[a-z-]+) version (?P<version>\S+)"
                           r"(?: checksum (?P<checksum>\S+))?(?: file (?P<file>\S+))?$", re.MULTILINE)
"""The first line `pgmanager import` writes into each converted file: the mapping back to the tool."""


@dataclass(frozen=True)
class ForeignRow:
    version: str | None = field(metadata={"doc": "None: a Flyway repeatable"})
    name: str = ""
    checksum: str | None = None
    applied_at: str = ""
    applied_by: str = ""
    script: str | None = None
    statements: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Foreign:
    tool: str
    table: str
    rows: list[ForeignRow]
    latest_only: bool = False
    """golang-migrate keeps only the newest version applied: every version up to it is applied."""


def tool_of(project: Project) -> str | None:
    """Whose history the project takes over: its layout's tool, or the tool its imported files came from."""
    if project.layout != "pgmanager":
        return project.layout
    for m in [*project.migrations, *project.repeatables]:
        head = IMPORT_HEADER.match(m.text)
        if head:
            return head["tool"]
    return None


def history_table(tool: str, root: Path) -> tuple[str | None, str]:
    """The tool's history table (schema or None: the search_path, table): its layout's, or for Flyway the one
    the project's Flyway configuration names (``table``, ``defaultSchema``/``schemas``)."""
    if tool == "flyway":
        return flyway.read_config(root)[0].history()
    return layouts.READERS[tool].HISTORY


def _find(conn: psycopg.Connection, tool: str, root: Path) -> tuple[int, str] | None:
    schema, name = history_table(tool, root)
    target = f"{_quote(schema)}.{_quote(name)}" if schema else _quote(name)
    row = conn.execute("select to_regclass(%s)::oid, to_regclass(%s)::text", [target, target]).fetchone()
    return (row[0], row[1]) if row and row[0] is not None else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_foreign(conn: psycopg.Connection, tool: str, root: Path) -> Foreign | None:
    """The tool's history (``root``: the project's folder), or None when its table is not there. PlanError for a
    shape we do not know."""
    found = _find(conn, tool, root)
    if found is None:
        return None
    oid, where = found
    columns = {r[0] for r in conn.execute(
        "select attname from pg_attribute where attrelid = %s and attnum > 0 and not attisdropped", [oid])}
    want = SHAPES[tool]
    if not want <= columns or (tool in _EXACT and columns != want):
        raise PlanError(f"{tool} history table with columns ({', '.join(sorted(columns))}) is not a shape pgmanager "
                        f"knows (expected {', '.join(sorted(want))}); nothing was changed", where=where)
    table = sql.SQL(where)  # to_regclass's own text: a quoted, existing relation name
    return _READERS[tool](conn, table, where, columns)


def _supabase(conn: psycopg.Connection, table: sql.Composable, where: str, columns: set[str]) -> Foreign:
    supabase.check_shape(conn)
    pick = [sql.SQL(c if c in columns else "null") for c in ("name", "statements", "created_by")]
    rows = conn.execute(sql.SQL("select version, {}, {}, {} from {} order by version").format(*pick, table))
    return Foreign("supabase", where, [ForeignRow(version=v, name=n or "", statements=tuple(s) if s else None,
                                                  applied_by=by or "supabase") for v, n, s, by in rows])


def _yoyo(conn: psycopg.Connection, table: sql.Composable, where: str, columns: set[str]) -> Foreign:
    rows = conn.execute(sql.SQL("select migration_hash, migration_id, (applied_at_utc at time zone 'UTC')::text "
                                "from {} order by applied_at_utc, migration_id").format(table)).fetchall()
    for digest, mid, _ in rows:
        if mid is None or yoyo.migration_hash(mid) != digest:
            raise PlanError(f"yoyo row {mid!r} has hash {digest}, not the sha256 of its id: not a history pgmanager "
                            "can trust; nothing was changed", where=where)
    return Foreign("yoyo", where, [ForeignRow(version=mid, name=mid, checksum=digest, applied_at=at or "",
                                              applied_by="yoyo") for digest, mid, at in rows])


def _golang(conn: psycopg.Connection, table: sql.Composable, where: str, columns: set[str]) -> Foreign:
    rows = conn.execute(sql.SQL("select version, dirty from {}").format(table)).fetchall()
    if len(rows) > 1:
        raise PlanError(f"golang-migrate history has {len(rows)} rows (it keeps one): not a shape pgmanager knows; "
                        "nothing was changed", where=where)
    if rows and rows[0][1]:
        raise PlanError(f"golang-migrate marked version {rows[0][0]} dirty: it failed half-way. Fix the schema by "
                        f"hand, then `migrate force` the right version, before pgmanager takes over; nothing was "
                        "changed", where=where)
    return Foreign("golang-migrate", where, [ForeignRow(version=str(v), applied_by="golang-migrate")
                                             for v, _ in rows], latest_only=True)


def _dbmate(conn: psycopg.Connection, table: sql.Composable, where: str, columns: set[str]) -> Foreign:
    rows = conn.execute(sql.SQL("select version from {} order by version").format(table)).fetchall()
    return Foreign("dbmate", where, [ForeignRow(version=v, applied_by="dbmate") for (v,) in rows])


def _flyway(conn: psycopg.Connection, table: sql.Composable, where: str, columns: set[str]) -> Foreign:
    applied: dict[str, ForeignRow] = {}
    repeatable: dict[str, ForeignRow] = {}
    for rank, version, desc, kind, script, crc, by, on, ok in conn.execute(sql.SQL(
            "select installed_rank, version, description, type, script, checksum, installed_by, installed_on::text, "
            "success from {} order by installed_rank").format(table)):
        if not ok:
            raise PlanError(f"Flyway recorded a failed migration (rank {rank}, {script}): run `flyway repair` "
                            "(or fix it) before pgmanager takes over; nothing was changed", where=where)
        row = ForeignRow(version=version, name=desc, checksum=None if crc is None else str(crc), applied_at=on or "",
                         applied_by=by, script=script)
        if kind == "SCHEMA":
            continue
        if kind in ("UNDO_SQL", "DELETE") and version is not None:
            applied.pop(version, None)
        elif kind in ("SQL", "BASELINE") and version is not None:
            applied[version] = row
        elif kind == "SQL":
            repeatable[PurePosixPath(script).name] = row
        else:
            raise PlanError(f"Flyway row {rank} is a {kind} migration ({script}): only SQL migrations can be taken "
                            "over; nothing was changed", where=where)
    return Foreign("flyway", where, [*applied.values(), *repeatable.values()])


_READERS: dict[str, Any] = {"supabase": _supabase, "yoyo": _yoyo, "golang-migrate": _golang, "dbmate": _dbmate,
                            "flyway": _flyway}


# ------------------------------------------------------------------ matching (pure)


def _tree(text: str) -> list[Any] | None:
    """The statements' parse trees without positions: equal for the same SQL however it is spaced."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if k != "location" and not k.endswith("_location") and k != "stmt_len"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    try:
        return [strip(s["stmt"]) for s in json.loads(pglast.parser.parse_sql_json(text)).get("stmts", [])]
    except pglast.parser.ParseError:
        return None


def _verified(tool: str, f: SqlFile, row: ForeignRow, recorded: str | None) -> bool:
    """Whether the tool's own record of the file agrees with the file (True where the tool keeps none)."""
    if tool == "flyway" and row.checksum is not None:
        ours = recorded if recorded is not None else str(flyway.crc32(f.path.read_bytes()))
        return ours == row.checksum
    if tool == "supabase" and row.statements is not None:
        theirs = [t for s in row.statements for t in (_tree(s) or [None])]
        return None not in theirs and theirs == _tree(f.text)
    return True


def _files_by_version(project: Project, tool: str) -> dict[str, tuple[SqlFile, str | None]]:
    """The tool's version -> (our file, the tool's checksum recorded at import): the layout's own versions,
    or the import headers of a converted project."""
    if project.layout == tool:
        return {m.version: (m, None) for m in project.migrations if m.version is not None}
    out: dict[str, tuple[SqlFile, str | None]] = {}
    if tool == "supabase":  # a Supabase target: the CLI's version of each file name
        for m in project.migrations:
            cli = supabase.cli_name(m.path.name)
            if cli is not None:
                out[cli[0]] = (m, None)
    for m in [*project.migrations, *project.repeatables]:  # a migration may have become a view or policy file
        head = IMPORT_HEADER.match(m.text)
        if head and head["tool"] == tool and head["version"] != "R":
            out[head["version"]] = (m, head["checksum"])
    return out


def _row(f: SqlFile, r: ForeignRow, tool: str, ok: bool) -> HistoryRow:
    return HistoryRow(key=f.key, kind=f.kind, name=f.name, checksum=f.checksum if ok else f"{tool}:{r.checksum}",
                      applied_at=r.applied_at, execution_ms=0.0, applied_by=r.applied_by or tool, source=tool,
                      text=normalize(f.text) if ok else "\n".join(r.statements or ()) or None)


def adopted_rows(project: Project, foreign: Foreign) -> dict[str, HistoryRow]:
    """The pgmanager history rows that say what the tool applied (keys: our versions and repeatable paths)."""
    tool = foreign.tool
    files = _files_by_version(project, tool)
    rows = [r for r in foreign.rows if r.version is not None]
    if foreign.latest_only and rows:
        latest = rows[0]
        rows = [ForeignRow(version=v, applied_by=latest.applied_by) for v in files
                if natural_key(v) <= natural_key(latest.version or "")]
        if latest.version not in files:
            rows.append(latest)
    out: dict[str, HistoryRow] = {}
    for r in rows:
        assert r.version is not None
        hit = files.get(r.version)
        if hit is None:  # applied by the tool, no file here: status shows it unknown, migrate refuses
            out[r.version] = HistoryRow(key=r.version, kind=FileKind.MIGRATION, name=r.name or r.version,
                                        checksum=f"{tool}:{r.checksum}", applied_at=r.applied_at, execution_ms=0.0,
                                        applied_by=r.applied_by or tool, source=tool)
            continue
        f, recorded = hit
        out[f.key] = _row(f, r, tool, _verified(tool, f, r, recorded))
    repeatables: Mapping[str, SqlFile] = {_origin(r): r for r in project.repeatables}
    for r in foreign.rows:
        rep = repeatables.get(PurePosixPath(r.script or "").name) if r.version is None else None
        if rep is not None and _verified(tool, rep, r, _recorded(rep)):
            out[rep.key] = _row(rep, r, tool, True)  # a changed one is left out: the next migrate re-applies it
    return out


def _recorded(f: SqlFile) -> str | None:
    head = IMPORT_HEADER.match(f.text)
    return head["checksum"] if head else None


def _origin(f: SqlFile) -> str:
    """The tool's file name of a repeatable: its import header's, else its own."""
    head = IMPORT_HEADER.match(f.text)
    return head["file"] if head and head["file"] else PurePosixPath(f.display).name
