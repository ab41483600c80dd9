"""The project's SQL read once: :class:`Project`, each file a :class:`SqlFile`, and how files are read,
checksummed and named. pgmanager.layouts.load_project fills a Project from the folders.

Problems with a file (not UTF-8, unreadable, badly named) are collected as findings so that one
bad file does not hide the others; callers decide whether they are fatal.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .models import FileKind, Finding, Severity, SqlFile

MIGRATION_NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[A-Za-z0-9_\-]+)(?P<rollback>\.rollback)?\.sql$")


def line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset in ``text`` (characters of a str, bytes of bytes)."""
    if isinstance(text, str):
        return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1
    return text.count(b"\n", 0, offset) + 1, offset - (text.rfind(b"\n", 0, offset) + 1) + 1


def normalize(text: str) -> str:
    """Text as checksummed: no BOM, LF line ends, no trailing whitespace or trailing blank lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n") + "\n"


def checksum(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=64)
def _real_root(root: Path) -> Path:
    """An absolute project root resolved once per process, not again for every file."""
    return root.resolve()


def display_path(path: Path, root: Path, *, resolved: Path | None = None) -> str:
    """How a file is named in messages and reports: relative to the project root, else as given.
    ``resolved``: ``path.resolve()``, when the caller has it already."""
    try:
        return (resolved or path.resolve()).relative_to(_real_root(root.absolute())).as_posix()
    except ValueError:
        return str(path)


def _problem(display: str, message: str, rule: str = "unreadable-file", line: int = 1, col: int = 1) -> Finding:
    return Finding(rule=rule, severity=Severity.ERROR, message=message, file=display, line=line, col=col)


def read_sql_file(
    path: Path, root: Path, kind: FileKind, version: str | None = None, name: str | None = None
) -> SqlFile | Finding:
    """Read one file; a Finding says why it cannot be used."""
    real = path.resolve()
    display = display_path(path, root, resolved=real)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _problem(display, f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = line_col(raw, exc.start)
        return _problem(display, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", "invalid-encoding", line, col)
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:  # valid UTF-8, but PostgreSQL cannot take it in a query: refuse it before connecting
        line, col = line_col(text, nul)
        return _problem(display, "NUL byte (0x00) in the file: SQL text cannot hold it (binary or corrupted file?)",
                        "invalid-encoding", line, col)
    return SqlFile(
        path=real,
        display=display,
        kind=kind,
        text=text,
        checksum=checksum(text),
        version=version,
        name=name or path.stem,
    )


@dataclass
class Project:
    """The SQL of one project, read from disk once."""

    settings: Settings
    migrations: list[SqlFile] = field(default_factory=list)
    rollbacks: dict[str, SqlFile] = field(default_factory=dict)
    repeatables: list[SqlFile] = field(default_factory=list)
    auth_emulation: SqlFile | None = None
    seed: SqlFile | None = None
    problems: list[Finding] = field(default_factory=list)
    missing_folders: dict[str, Path] = field(default_factory=dict)
    """Settings naming a folder that is not there (``migrations``): a configuration error for the commands
    that need it (pgmanager.api findings / require_clean raise it), not for lint or analyze."""
    layout: str = "pgmanager"
    """Whose naming and ordering the migrations folder follows (config.LAYOUTS)."""

    @property
    def root(self) -> Path:
        return self.settings.root

    def all_files(self) -> list[SqlFile]:
        extra = [f for f in (self.auth_emulation, self.seed) if f is not None]
        return [*extra, *self.migrations, *self.rollbacks.values(), *self.repeatables]

    def migration(self, key: str) -> SqlFile | None:
        return next((m for m in self.migrations if m.version == key or m.display == key), None)

    def version_order(self) -> Callable[[str], tuple[Any, ...]]:
        """A sort key for versions in the order this project applies them: their digits compared as numbers
        (our 14-digit versions keep their string order; golang-migrate's 2 < 10, Flyway's 1.2 < 1.10), or
        for yoyo the order of its dependency sort, with versions the project lacks after, by their digits."""
        if self.layout != "yoyo":
            return natural_key
        rank = {m.version: i for i, m in enumerate(self.migrations)}
        return lambda v: (rank[v], ()) if v in rank else (len(rank), natural_key(v))


def natural_key(version: str) -> tuple[str | int, ...]:
    """Runs of digits compared as numbers: 2 < 10, 1.2 < 1.10; equal-length digit strings keep their order."""
    return tuple(int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", version)))


def version_problem(version: str) -> str | None:
    """Why a 14-digit migration version is not a UTC timestamp YYYYMMDDHHMMSS, or None."""
    year, month, day = int(version[0:4]), int(version[4:6]), int(version[6:8])
    hour, minute, second = int(version[8:10]), int(version[10:12]), int(version[12:14])
    bad = None
    if year < 1:
        bad = f"year {version[0:4]}"
    elif not 1 <= month <= 12:
        bad = f"month {version[4:6]} (01-12)"
    elif not 1 <= day <= calendar.monthrange(year, month)[1]:
        bad = f"day {version[6:8]} ({version[0:4]}-{version[4:6]} has {calendar.monthrange(year, month)[1]} days)"
    elif hour > 23:
        bad = f"hour {version[8:10]} (00-23)"
    elif minute > 59:
        bad = f"minute {version[10:12]} (00-59)"
    elif second > 59:
        bad = f"second {version[12:14]} (00-59)"
    return f"version {version} is not a valid UTC timestamp YYYYMMDDHHMMSS: {bad}" if bad else None


def inputs_checksum(files: list[SqlFile], *extra: str) -> str:
    """One hash over a set of files (and extra strings): the key of a template database."""
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.kind}:{f.display}:{f.checksum}\n".encode())
    for e in extra:
        h.update(e.encode())
    return h.hexdigest()
