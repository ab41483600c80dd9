"""The project's inputs: settings and files, read once, and the problems that stop a file from being used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Settings, load_settings
from ..errors import ConfigError, InputError
from ..layouts import load_project
from ..models import FileKind, Finding
from ..parse import parse_file
from ..project import Project


def load(root: Path | None = None, **overrides: Any) -> tuple[Settings, Project]:
    """Settings and the project's files, read once."""
    settings = load_settings(root, **overrides)
    return settings, load_project(settings)


def findings(project: Project, *, include_seed: bool = True) -> list[Finding]:
    """Every problem that stops a file from being used: unreadable, misnamed, unparseable.

    Raises ConfigError when the migrations folder does not exist: the commands that build or
    migrate (check, plan, migrate, status, rollback, repair, verify) would see an empty project.
    """
    if project.missing_folders:
        setting, folder = next(iter(project.missing_folders.items()))
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"{setting} folder {folder} {what}", where=project.settings.source(setting),
                          hint="run from the project folder, pass -C/--project DIR, or fix the setting")
    out = list(project.problems)
    for f in project.all_files():
        if f.kind == FileKind.SEED and not include_seed:
            continue
        doc = parse_file(f)
        if doc.error:
            out.append(doc.error)
        out.extend(doc.problems)
    return out


def require_clean(project: Project) -> None:
    problems = findings(project)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(first.message + more, where=first.location)
