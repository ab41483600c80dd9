"""Which tool's layout a project uses when ``layout`` is unset: from file names, then a look inside them."""

from __future__ import annotations

import re
from pathlib import Path

from ..config import Settings
from . import flyway

_CANDIDATES = ("migrations", "supabase/migrations", "db/migrations", "db/migration", "src/main/resources/db/migration")
_OURS = re.compile(r"^\d{14}_[A-Za-z0-9_\-]+(\.rollback)?\.sql$")
_FLYWAY = re.compile(r"^(V\d+(?:[._]\d+)*|U\d+(?:[._]\d+)*|R)__.+\.sql$")
_GOLANG = re.compile(r"^\d+_.+\.(up|down)\.sql$")
_SNIFF_FILES, _SNIFF_BYTES = 20, 4096


def _head(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(_SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _classify(folder: Path, root: Path) -> str | None:
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix == ".sql")
    if not names:
        return None
    if any(_FLYWAY.match(n) for n in names):
        return "flyway"
    if any(_GOLANG.match(n) for n in names):
        return "golang-migrate"
    heads = [_head(folder / n) for n in names[:_SNIFF_FILES]]
    if any(h.startswith("-- pgmanager import:") for h in heads):
        return "pgmanager"  # converted by `pgmanager import`: ours now, whatever comments the tool left
    if any(re.search(r"^--\s*migrate:up\b", h, re.MULTILINE) for h in heads):
        return "dbmate"
    if (root / "yoyo.ini").is_file() or any(re.search(r"^\s*--\s*depends\s*:", h, re.MULTILINE) for h in heads):
        return "yoyo"
    if folder.resolve() == (root / "supabase/migrations").resolve():
        return "supabase"
    return "pgmanager"


def guess(settings: Settings) -> tuple[str, Path | None]:
    """(layout, its folder): the first candidate folder holding SQL files decides; with none, our own layout."""
    given = "migrations" in settings.model_fields_set
    for name in ([settings.migrations] if given else (*flyway.configured_folders(settings.root), *_CANDIDATES)):
        folder = settings.path(name)
        if folder.is_dir():
            found = _classify(folder, settings.root)
            if found:
                return found, folder
    return "pgmanager", None
