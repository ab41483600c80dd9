"""The schema model at a position of the apply order, replayed on demand.

Positions only move forward during a run. When a snapshot of a later position exists, it is loaded
instead of parsing and replaying the files before it; the caller (lint's engine) keeps snapshots at a
few positions where an edit is likely to follow (before the newest migration, before the repeatables).
"""

from __future__ import annotations

from typing import Protocol

from ..models import SqlFile
from ..parse import parse_file
from ._model import SchemaModel


class Snapshots(Protocol):
    """Where saved models are kept, by the key of the state they hold (lint keeps them in its cache)."""

    used: set[str]
    """Keys read or written in this run (the rest may be pruned)."""

    def has(self, key: str) -> bool: ...

    def load(self, key: str) -> SchemaModel | None: ...

    def save(self, key: str, model: SchemaModel) -> None: ...


class Replay:
    def __init__(self, applied: list[SqlFile], chains: list[str], snapshots: Snapshots | None,
                 points: set[int]) -> None:
        self.applied = applied
        self.chains = chains
        """chains[i]: the key of the state before applied[i] (chains[len(applied)]: the end)."""
        self.snapshots = snapshots
        self.points = points
        self.model = SchemaModel()
        self.at = 0
        self.parsed = 0

    def before(self, k: int) -> SchemaModel:
        """The model with applied[:k] replayed."""
        if self.snapshots is not None:
            for j in range(k, self.at, -1):
                if self.snapshots.has(self.chains[j]):
                    loaded = self.snapshots.load(self.chains[j])
                    if loaded is not None:
                        self.model, self.at = loaded, j
                        break
        while self.at < k:
            self.model.apply_document(parse_file(self.applied[self.at]))
            self.parsed += 1
            self.at += 1
            if self.snapshots is not None and self.at in self.points:
                self.snapshots.save(self.chains[self.at], self.model)
        if self.snapshots is not None and k in self.points:
            self.snapshots.used.add(self.chains[k])
        return self.model
