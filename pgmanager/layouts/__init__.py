"""Other tools' migration folders: each read in that tool's own naming and ordering (docs/layouts.md).

``[tool.pgmanager] layout`` names the tool; unset, :func:`guess` decides from the files. Our own layout
(``pgmanager``) is read by pgmanager.project itself; this package reads the other five.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..config import Settings
from ..project import Project
from . import dbmate, flyway, golang_migrate, supabase, yoyo
from .guess import guess

READERS: dict[str, ModuleType] = {"supabase": supabase, "yoyo": yoyo, "golang-migrate": golang_migrate,
                                  "dbmate": dbmate, "flyway": flyway}
"""layout -> module with FOLDERS (default folders, first found wins), HISTORY (schema, table), read_folder."""


def resolve(settings: Settings) -> tuple[str, Path]:
    """The layout (the setting, else the guess) and its migrations folder."""
    if settings.layout:
        return settings.layout, folder(settings, settings.layout)
    layout, where = guess(settings)
    return layout, where or folder(settings, layout)


def folder(settings: Settings, layout: str) -> Path:
    """The migrations folder: the ``migrations`` setting when given, else the tool's default that exists."""
    if "migrations" in settings.model_fields_set or layout not in READERS:
        return settings.path(settings.migrations)
    names = list(READERS[layout].FOLDERS)
    if layout == "yoyo":
        names.insert(0, yoyo.configured_folder(settings.root) or names[0])
    return next((settings.path(n) for n in names if settings.path(n).is_dir()), settings.path(names[0]))


def read(project: Project, layout: str, where: Path) -> None:
    """Fill ``project``'s migrations, rollbacks (and Flyway's repeatables) from ``where``."""
    READERS[layout].read_folder(project, where)


__all__ = ["READERS", "folder", "guess", "read", "resolve"]
