"""The recommended indexes as a migration: ``CREATE INDEX CONCURRENTLY IF NOT EXISTS``, which pgmanager runs
outside a transaction (found from the AST), each after dropping a leftover INVALID index of a failed
earlier attempt (which IF NOT EXISTS would otherwise keep), and its rollback file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg

from ..config import Settings
from ..errors import ConfigError
from .candidates import Candidate
from .existing import Existing
from .whatif import ident, index_sql

NAME = "advise_indexes"


def _version(folder: Path) -> str:
    """Now (UTC) as 14 digits, after every version already in ``folder``."""
    now = int(datetime.now(UTC).strftime("%Y%m%d%H%M%S"))
    versions = [int(p.name[:14]) for p in folder.glob("*.sql") if p.name[:14].isdigit()]
    return str(max([now, *(v + 1 for v in versions)]))


def render(chosen: dict[str, Candidate], conn: psycopg.Connection, header: list[str]) -> tuple[str, str]:
    """The migration's text and its rollback's (``conn`` only quotes names)."""
    lines = [f"-- {h}" for h in header]
    rollback = ["-- Roll back the indexes recommended by pgmanager advise, without blocking writes."]
    for name, cand in chosen.items():
        schema = cand.table.split(".", 1)[0]
        qualified = ident(schema, name).as_string(conn)
        lines += ["", f"drop index concurrently if exists {qualified};", "",
                  index_sql(cand, name, concurrently=True, if_not_exists=True).as_string(conn) + ";"]
        rollback += ["", f"drop index concurrently if exists {qualified};"]
    return "\n".join(lines) + "\n", "\n".join(rollback) + "\n"


def not_in_project(chosen: dict[str, Candidate], indexes: list[Existing]) -> tuple[dict[str, Candidate], list[str]]:
    """``chosen`` without the indexes that one of ``indexes`` (the project's own, dropped for
    ``--drop-secondary``) already is: the same table, keys (order included) and predicate, as the
    duplicate-index lint rule compares them. Also a note per index left out."""
    present = [(ix, form) for ix in indexes if (form := ix.as_candidate()) is not None]
    kept: dict[str, Candidate] = {}
    notes: list[str] = []
    for name, cand in chosen.items():
        same = next((ix for ix, form in present
                     if form.table == cand.table and form.keys == cand.keys and form.where == cand.where), None)
        if same is None:
            kept[name] = cand
        else:
            notes.append(f"{name} left out of the migration: the project already has it as {same.schema}.{same.name}")
    return kept, notes


def write(settings: Settings, chosen: dict[str, Candidate], conn: psycopg.Connection, header: list[str],
          name: str = NAME) -> Path:
    """Write ``<version>_<name>.sql`` (and its ``.rollback.sql``) into the migrations folder."""
    if not chosen:
        raise ConfigError("nothing to write: advise recommends no index", where="--write-migration")
    folder = settings.path(settings.migrations)
    if not folder.is_dir():
        raise ConfigError(f"migrations folder {folder} does not exist", where=settings.source("migrations"))
    path = folder / f"{_version(folder)}_{name}.sql"
    text, rollback = render(chosen, conn, header)
    path.write_text(text, encoding="utf-8")
    path.with_name(path.name.removesuffix(".sql") + ".rollback.sql").write_text(rollback, encoding="utf-8")
    return path
