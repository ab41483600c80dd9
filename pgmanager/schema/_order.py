"""Which files the schema model is replayed from, and in what order: the order migrate applies them.

Lint and analyze both report on the files :func:`select_files` picks and replay the model from
:func:`applied_files`, so a file outside the project's folders is judged the same way by both: as a new
migration applied after the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from ..models import FileKind, Finding, SqlFile
from ..project import Project, read_sql_file


def apply_order(project: Project) -> list[SqlFile]:
    """Files in the order migrate applies them: auth emulation, migrations, repeatables."""
    head = [project.auth_emulation] if project.auth_emulation is not None else []
    return [*head, *project.migrations, *project.repeatables]


def applied_files(project: Project, targets: Iterable[SqlFile]) -> list[SqlFile]:
    """The apply order, then the migrations among ``targets`` that are not the project's (new migrations
    applied after it)."""
    order = apply_order(project)
    known = {f.path for f in order}
    return [*order, *(f for f in targets if f.path not in known and f.kind == FileKind.MIGRATION)]


def select_files(project: Project, paths: Iterable[Path] | None) -> tuple[list[SqlFile], list[Finding]]:
    """The files to report on: all of the project, or those under ``paths``.

    A path outside the project's folders is read as a new migration applied after the project.
    """
    everything = [*apply_order(project), *project.rollbacks.values(), *([project.seed] if project.seed else [])]
    if paths is None:
        return everything, list(project.problems)
    by_path = {f.path: f for f in everything}
    chosen: dict[Path, SqlFile] = {}
    problems: list[Finding] = []
    for raw in paths:
        path = Path(raw).resolve()
        if not path.exists():
            raise InputError("no such file or folder", where=str(raw))
        candidates = sorted(path.rglob("*.sql")) if path.is_dir() else [path]
        for c in candidates:
            if c in by_path:
                chosen[c] = by_path[c]
                continue
            known = next((p for p in project.problems if project.root / p.file == c or p.file == str(c)), None)
            if known is not None:
                problems.append(known)
                continue
            result = read_sql_file(c, project.root, FileKind.MIGRATION)
            if isinstance(result, Finding):
                problems.append(result)
            else:
                chosen[c] = result
    return list(chosen.values()), problems
