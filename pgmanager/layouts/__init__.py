"""Reading a project from disk: the migrations folder in our layout or in another tool's own naming and
ordering (docs/layouts.md), then the policy and view folders, the auth emulation and the seed.

``[tool.pgmanager] layout`` names the tool; unset, :func:`guess` decides from the files.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..config import Settings
from ..models import FileKind
from ..project import Project
from . import dbmate, flyway, golang_migrate, pgmanager, supabase, yoyo
from ._common import read, sql_files
from .guess import guess

READERS: dict[str, ModuleType] = {"pgmanager": pgmanager, "supabase": supabase, "yoyo": yoyo,
                                  "golang-migrate": golang_migrate, "dbmate": dbmate, "flyway": flyway}
"""layout -> module with FOLDERS (default folders, first found wins), read_folder and, for another tool, HISTORY
(schema, table: the tool's history table; no schema: found on the search_path, as the tool itself does)."""


OTHER_TOOLS = tuple(name for name in READERS if name != "pgmanager")
"""The tools whose projects `import --from` converts and whose databases migrate takes over."""


def resolve(settings: Settings) -> tuple[str, Path]:
    """The layout (the setting, else the guess) and its migrations folder."""
    if settings.layout:
        return settings.layout, folder(settings, settings.layout)
    layout, where = guess(settings)
    return layout, where or folder(settings, layout)


def folder(settings: Settings, layout: str) -> Path:
    """The migrations folder: the ``migrations`` setting when given, else the tool's default that exists."""
    if "migrations" in settings.model_fields_set or layout == "pgmanager":
        return settings.path(settings.migrations)
    names = list(READERS[layout].FOLDERS)
    if layout == "yoyo":
        names.insert(0, yoyo.configured_folder(settings.root) or names[0])
    if layout == "flyway":
        names[:0] = flyway.configured_folders(settings.root)
    return next((settings.path(n) for n in names if settings.path(n).is_dir()), settings.path(names[0]))


def load_project(settings: Settings) -> Project:
    """Read migrations (and rollbacks) in the project's layout, repeatables, the auth emulation and the seed."""
    project = Project(settings=settings)
    project.layout, mig_dir = resolve(settings)
    if not mig_dir.is_dir():
        project.missing_folders["migrations"] = mig_dir
    else:
        READERS[project.layout].read_folder(project, mig_dir)
    for setting, kind in ((settings.policies, FileKind.POLICY), (settings.views, FileKind.VIEW)):
        directory = settings.path(setting)
        if directory.is_dir():
            for path in sql_files(project, directory, rule="file-name"):
                sql = read(project, path, kind, None, path.stem)
                if sql:
                    project.repeatables.append(sql)
    for attr, kind in (("auth_emulation", FileKind.AUTH_EMULATION), ("seed", FileKind.SEED)):
        rel = getattr(settings, attr)
        if rel and settings.path(rel).is_file():
            setattr(project, attr, read(project, settings.path(rel), kind, None, settings.path(rel).stem))
    return project


__all__ = ["OTHER_TOOLS", "READERS", "folder", "guess", "load_project", "resolve"]
