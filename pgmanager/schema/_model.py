"""The project-aware schema model: what the database holds after replaying the project's SQL.

Built by replaying every statement of every file in apply order (auth emulation, migrations,
repeatables) without a database. A table created in one migration and given RLS in policies/ is
RLS-enabled; an index created in a later migration covers a foreign key declared earlier.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..parse import SqlDocument
from ._build import ModelBuilder
from ._objects import FunctionInfo, PolicyInfo, TableInfo, ViewInfo


@dataclass
class SchemaModel(ModelBuilder):
    """Tables, views, functions, policies and extensions as the project's SQL leaves them."""

    tables: dict[str, TableInfo] = field(default_factory=dict)
    views: dict[str, ViewInfo] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    policies: list[PolicyInfo] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)
    schemas: set[str] = field(default_factory=lambda: {"public"})

    def copy(self) -> SchemaModel:
        return copy.deepcopy(self)

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name)

    def policies_on(self, table: str) -> list[PolicyInfo]:
        return [p for p in self.policies if p.table == table]

    def digest(self) -> str:
        """A hash of the model's content, positions left out (they move when a comment is added)."""
        h = hashlib.sha256()
        for name, t in sorted(self.tables.items()):
            h.update(repr((name, sorted((c, v.type_name, v.not_null, v.default_sql) for c, v in t.columns.items()),
                           t.primary_key, sorted((i.name, i.columns, i.unique, i.where) for i in t.indexes),
                           sorted((f.name or "", f.columns, f.ref_table, f.ref_columns) for f in t.foreign_keys),
                           t.rls_enabled, t.rls_forced, t.partitioned)).encode())
        for name, v in sorted(self.views.items()):
            h.update(repr((name, v.security_invoker, sorted(v.relations), v.materialized)).encode())
        for name, f in sorted(self.functions.items()):
            h.update(repr((name, f.security_definer, f.search_path_set, f.language)).encode())
        for p in sorted(self.policies, key=lambda p: (p.table, p.name)):
            h.update(repr((p.name, p.table, p.command, p.roles, p.permissive, p.using_sql, p.check_sql)).encode())
        h.update(repr((sorted(self.extensions.items()), sorted(self.schemas))).encode())
        return h.hexdigest()


def build_model(docs: Iterable[SqlDocument], model: SchemaModel | None = None) -> SchemaModel:
    """Replay documents (in apply order) onto a model (a new empty one by default)."""
    model = model if model is not None else SchemaModel()
    for doc in docs:
        model.apply_document(doc)
    return model
