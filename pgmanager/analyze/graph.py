"""The project's dependency graph: views on tables, policies on tables and functions, foreign keys,
triggers, and the tables functions read.

Built from the schema model replayed from the whole project (``pgmanager.schema.build_model``),
so the graph is the one the project leaves behind: dropped objects are gone, a view replaced by a
later file reads what its last definition reads. Function bodies are parsed best-effort (SQL and
PL/pgSQL); dynamic SQL (EXECUTE) is invisible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import ObjectType

from ..models import DependencyEdge, ObjectRef
from ..parse import References, SqlDocument, Statement, dotted, rangevar_name, references, statement_references

if TYPE_CHECKING:
    from ..schema import SchemaModel


def function_body_refs(stmt: Statement) -> References:
    """What a CREATE FUNCTION's body reads, writes and calls (``pgmanager.parse.statement_references``)."""
    assert isinstance(stmt.node, ast.CreateFunctionStmt)
    return statement_references(stmt)


def _statement_at(docs: dict[str, SqlDocument], where: tuple[str, int] | None) -> Statement | None:
    if where is None or where[0] not in docs:
        return None
    return next((s for s in docs[where[0]].statements if s.line == where[1]), None)


class _Graph:
    def __init__(self, model: SchemaModel, docs: list[SqlDocument]) -> None:
        self.model = model
        self.docs = {d.file.display: d for d in docs}
        self.edges: list[DependencyEdge] = []
        self._seen: set[tuple[str, str, str, str, str, str]] = set()

    def ref(self, name: str) -> ObjectRef:
        if name in self.model.tables:
            return ObjectRef(kind="table", name=name)
        view = self.model.views.get(name)
        if view is not None:
            return ObjectRef(kind="materialized view" if view.materialized else "view", name=name)
        return ObjectRef(kind="relation", name=name)

    def function(self, name: str) -> ObjectRef | None:
        """A called function the project defines (auth emulation included); built-ins are left out."""
        return ObjectRef(kind="function", name=name) if name in self.model.functions else None

    def add(self, source: ObjectRef, target: ObjectRef, kind: str, where: tuple[str, int] | None,
            detail: str = "") -> None:
        key = (source.kind, source.name, target.kind, target.name, kind, detail)
        if key in self._seen:
            return
        self._seen.add(key)
        self.edges.append(DependencyEdge(source=source, target=target, kind=kind, detail=detail,
                                         file=where[0] if where else None, line=where[1] if where else None))

    def build(self) -> list[DependencyEdge]:
        for view in self.model.views.values():
            src = self.ref(view.name)
            stmt = _statement_at(self.docs, view.defined_in)
            query = getattr(stmt.node, "query", None) if stmt is not None else None
            refs = references(query) if query is not None else References(reads=tuple(view.relations))
            for rel in sorted(refs.relations):
                self.add(src, self.ref(rel), "reads", view.defined_in)
            for fn in refs.functions:
                target = self.function(fn)
                if target is not None:
                    self.add(src, target, "calls", view.defined_in)
        for p in self.model.policies:
            src = ObjectRef(kind="policy", name=f"{p.name} on {p.table}")
            roles = ", ".join(p.roles) or "public"
            self.add(src, self.ref(p.table), "policy-on", p.defined_in, f"{p.command} to {roles}")
            refs = references((p.using_node, p.check_node))
            for fn in refs.functions:
                target = self.function(fn)
                if target is not None:
                    self.add(src, target, "calls", p.defined_in)
            for rel in refs.relations:
                self.add(src, self.ref(rel), "reads", p.defined_in)
        for table in self.model.tables.values():
            src = ObjectRef(kind="table", name=table.name)
            for fk in table.foreign_keys:
                detail = f"({', '.join(fk.columns)}) -> ({', '.join(fk.ref_columns)})"
                self.add(src, self.ref(fk.ref_table), "foreign-key", fk.defined_in,
                         (f"{fk.name} " if fk.name else "") + detail)
        for info in self.model.functions.values():
            stmt = _statement_at(self.docs, info.defined_in)
            if stmt is None or not isinstance(stmt.node, ast.CreateFunctionStmt):
                continue
            src = ObjectRef(kind="function", name=info.name)
            body = function_body_refs(stmt)
            for rel in body.relations:
                if rel in self.model.tables or rel in self.model.views:
                    self.add(src, self.ref(rel), "reads", info.defined_in)
            for called in body.functions:
                target = self.function(called)
                if target is not None and called != info.name:
                    self.add(src, target, "calls", info.defined_in)
        self._triggers()
        return self.edges

    def _triggers(self) -> None:
        """Triggers are not in the schema model: replay their creates and drops here."""
        live: dict[str, tuple[ast.CreateTrigStmt, tuple[str, int]]] = {}
        for doc in self.docs.values():
            for stmt in doc.statements:
                node = stmt.node
                if isinstance(node, ast.CreateTrigStmt):
                    table = rangevar_name(node.relation)
                    live[f"{node.trigname} on {table}"] = (node, (doc.file.display, stmt.line))
                elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TRIGGER:
                    for obj in node.objects or ():
                        parts = list(obj) if isinstance(obj, tuple) else []
                        if len(parts) >= 2:
                            live.pop(f"{getattr(parts[-1], 'sval', '')} on {dotted(parts[:-1])}", None)
        for name, (node, where) in live.items():
            table = name.split(" on ", 1)[1]
            if table not in self.model.tables and table not in self.model.views:
                continue  # its table was dropped
            src = ObjectRef(kind="trigger", name=name)
            self.add(src, self.ref(table), "trigger-on", where)
            fn = self.function(dotted(node.funcname))
            if fn is not None:
                self.add(src, fn, "trigger-calls", where)


def dependency_graph(model: SchemaModel, docs: list[SqlDocument]) -> list[DependencyEdge]:
    """Edges ``source -> target`` (source depends on target) of everything the project leaves behind.

    ``model`` is the schema model replayed from ``docs`` (in apply order) by ``pgmanager.schema.build_model``.
    """
    return _Graph(model, docs).build()
