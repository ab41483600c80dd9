"""On-disk cache of lint findings, so an unchanged file is not linted again.

One JSON file under ``<project>/.pgmanager/cache/lint/``. A per-file entry is keyed by the rule set
version (the lint code, the settings rules read: ``RuleSettings``, the active rules), the file's path,
kind and checksum, and the chain of checksums of every file applied before it (which determines the
schema model the file is linted against). The project-wide entry is keyed by the whole chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import Finding
from ..schema import SchemaModel
from ._ignores import Ignore

MAX_ENTRIES = 20_000


@dataclass
class Entry:
    findings: list[Finding]
    ignores: list[Ignore]
    statements: int


def _finding(d: dict[str, Any]) -> Finding:
    return Finding.model_validate(d)


class LintCache:
    """Findings by key, read once at start and written once at the end."""

    def __init__(self, folder: Path, version: str = "") -> None:
        self.folder = folder
        self.path = folder / "findings.json"
        self.version = version
        self.old: dict[str, Any] = {}
        self.new: dict[str, Any] = {}
        self.hits = 0
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self.old = data
        except (OSError, ValueError):
            pass  # no cache yet, or a damaged one: start afresh

    def key(self, *parts: object, versioned: bool = True) -> str:
        """A cache key; ``versioned`` keys also change with the lint code and configuration."""
        head = [self.version] if versioned else []
        return hashlib.sha256("\x1f".join([*head, *map(str, parts)]).encode()).hexdigest()

    def get(self, key: str) -> Entry | None:
        raw = self.new.get(key) or self.old.get(key)
        if raw is None:
            return None
        self.new[key] = raw
        self.hits += 1
        ignores = [Ignore(**{**i, "rules": tuple(i["rules"])}) for i in raw["i"]]
        return Entry([_finding(f) for f in raw["f"]], ignores, raw["s"])

    def put(self, key: str, findings: list[Finding], ignores: list[Ignore], statements: int) -> None:
        self.new[key] = {
            "f": [f.model_dump(mode="json", exclude_none=True) for f in findings],
            "i": [{"rules": list(i.rules), "line": i.line, "col": i.col, "first_line": i.first_line,
                   "last_line": i.last_line, "whole_file": i.whole_file} for i in ignores],
            "s": statements,
        }

    def get_raw(self, key: str) -> Any:
        """Plain JSON data stored with :meth:`put_raw` (None when absent)."""
        raw = self.new.get(key) or self.old.get(key)
        if raw is None or "raw" not in raw:
            return None
        self.new[key] = raw
        return raw["raw"]

    def put_raw(self, key: str, data: Any) -> None:
        self.new[key] = {"raw": data}

    def save(self) -> None:
        """Write this run's entries (plus older ones, up to a bound) atomically."""
        merged = dict(self.new)
        for k, v in self.old.items():
            if len(merged) >= MAX_ENTRIES:
                break
            merged.setdefault(k, v)
        if merged == self.old:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".findings-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(merged, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only checkout lints fine, only slower next time


class SnapshotStore:
    """Pickled schema models by chain key, so a warm run rebuilds the model before a changed file
    from the nearest snapshot instead of parsing every earlier file again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "models"
        try:
            self.names = {p.stem for p in self.folder.glob("*.pickle")}
        except OSError:
            self.names = set()
        self.used: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self.names

    def load(self, key: str) -> SchemaModel | None:
        try:
            with open(self.folder / f"{key}.pickle", "rb") as fh:
                model = pickle.load(fh)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None  # a damaged or outdated snapshot: replay instead
        self.used.add(key)
        return model if isinstance(model, SchemaModel) else None

    def save(self, key: str, model: SchemaModel) -> None:
        self.used.add(key)
        if key in self.names:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / f"{key}.pickle")
            self.names.add(key)
        except OSError:
            pass

    def prune(self, keep: set[str]) -> None:
        """Drop snapshots of other states of the project than ``keep`` (this run's snapshot points)."""
        for name in self.names - keep - self.used:
            with contextlib.suppress(OSError):
                (self.folder / f"{name}.pickle").unlink()
