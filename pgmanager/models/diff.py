"""What `pgmanager diff` reports: each difference between a live database and the project's build."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import Model

__all__ = ["DiffItem", "DiffReport", "PropertyDiff"]


class PropertyDiff(Model):
    name: str
    live: Any = Field(description="the live database's value")
    project: Any = Field(description="the value in the project's build")


class DiffItem(Model):
    kind: str = Field(description="schema, extension, type, sequence, function, table, column, constraint, index, "
                                  "trigger, policy, view, materialized view, publication, grant")
    identity: str
    change: str = Field(description="missing (in the project, not live), extra (live only) or changed")
    properties: list[PropertyDiff] = Field(default_factory=list)


class DiffReport(Model):
    target: str
    equal: bool
    differences: list[DiffItem] = Field(default_factory=list)
    sql: str | None = Field(default=None, description="the migration, with --sql")
    destructive: int = Field(default=0, description="destructive statements in the migration")
    commented_out: bool = Field(default=True, description="destructive statements are commented out")
    supabase: bool = False
    timings_ms: dict[str, float] = Field(default_factory=dict)
