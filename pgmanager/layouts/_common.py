"""What every layout reader shares: adding a migration, its rollback or a repeatable, and problems."""

from __future__ import annotations

import re
from pathlib import Path

from ..models import FileKind, Finding, Severity, SqlFile
from ..project import Project, checksum, display_path, natural_key, read_sql_file

_POLICY_ONLY = re.compile(r"^\s*(create|drop|alter)\s+policy\b", re.IGNORECASE)
_STATEMENT_START = re.compile(r"^\s*(create|drop|alter|grant|revoke|comment|select|insert|update|delete|do)\b",
                              re.IGNORECASE)


def problem(project: Project, path: Path, message: str, rule: str = "migration-name", line: int = 1,
            col: int = 1) -> None:
    project.problems.append(Finding(rule=rule, severity=Severity.ERROR, message=message,
                                    file=display_path(path, project.root), line=line, col=col))


def sql_files(project: Project, folder: Path, *, recursive: bool = False, rule: str = "migration-name") -> list[Path]:
    """The ``*.sql`` files of a folder in name order (a .SQL suffix is a problem, not skipped)."""
    found = sorted(p for p in (folder.rglob("*") if recursive else folder.iterdir()) if p.is_file())
    out = []
    for path in found:
        if path.suffix.lower() != ".sql":
            continue
        if path.suffix != ".sql":
            problem(project, path, f"suffix {path.suffix!r} is not lowercase: rename the file to {path.stem}.sql "
                    "(files are read only with a lowercase .sql suffix)", rule)
            continue
        out.append(path)
    return out


def read(project: Project, path: Path, kind: FileKind, version: str | None, name: str,
         text: str | None = None, display: str | None = None) -> SqlFile | None:
    """Read ``path``; ``text`` replaces its content (one section of a file), ``display`` its printed name."""
    result = read_sql_file(path, project.root, kind, version, name)
    if isinstance(result, Finding):
        project.problems.append(result)
        return None
    update: dict[str, str] = {}
    if text is not None:
        update.update(text=text, checksum=checksum(text))
    if display is not None:
        update["display"] = display
    return result.model_copy(update=update) if update else result


class Collector:
    """Migrations in the tool's order; one version once; each rollback beside its migration."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.seen: dict[str, str] = {}

    def migration(self, sql: SqlFile | None, path: Path) -> None:
        if sql is None or sql.version is None:
            return
        if sql.version in self.seen:
            problem(self.project, path, f"version {sql.version} is used twice (also {self.seen[sql.version]})")
            return
        self.seen[sql.version] = sql.display
        self.project.migrations.append(sql)

    def rollback(self, sql: SqlFile | None) -> None:
        if sql is not None and sql.version is not None:
            self.project.rollbacks[sql.version] = sql

    def finish(self, order: list[str] | None = None) -> None:
        """Sort migrations by ``order`` (versions) or the natural order of their versions; drop orphan rollbacks."""
        if order is None:
            self.project.migrations.sort(key=lambda m: natural_key(m.version or ""))
        else:
            rank = {v: i for i, v in enumerate(order)}
            self.project.migrations.sort(key=lambda m: rank.get(m.version or "", len(rank)))
        for version, rb in list(self.project.rollbacks.items()):
            if version not in self.seen:
                self.project.problems.append(Finding(rule="migration-name", severity=Severity.ERROR,
                                                     message="rollback file has no migration", file=rb.display))
                del self.project.rollbacks[version]


def repeatable_kind(text: str) -> FileKind:
    """POLICY when every statement of ``text`` is a CREATE/ALTER/DROP POLICY, else VIEW (views, functions)."""
    starts = [line for line in text.splitlines() if _STATEMENT_START.match(line)]
    return FileKind.POLICY if starts and all(_POLICY_ONLY.match(s) for s in starts) else FileKind.VIEW
