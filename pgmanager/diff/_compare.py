"""Two snapshots compared: what is missing in the live database, extra there, or changed (before, after)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast

from ..parse import SqlDocument, created_names, rangevar_name
from ._catalog import Key, Obj, Snapshot

MISSING = "missing"
"""In the project, not in the live database."""
EXTRA = "extra"
"""In the live database, not in the project."""
CHANGED = "changed"

KIND_ORDER = ("schema", "extension", "type", "sequence", "function", "table", "column", "constraint", "index",
              "trigger", "policy", "view", "materialized view", "publication", "grant")


@dataclass
class Change:
    kind: str
    identity: str
    change: str
    live: Obj | None
    project: Obj | None
    properties: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """property -> (live value, project value), for a changed object."""

    @property
    def key(self) -> Key:
        return (self.kind, self.identity)


def _parent_missing(obj: Obj, other: Snapshot) -> bool:
    """A column, constraint... of a table the other side lacks: the table's difference says it all."""
    return obj.parent is not None and ("table", obj.parent) not in other.objects


def compare(live: Snapshot, project: Snapshot) -> list[Change]:
    """Every difference, sorted by kind (in dependency order) and identity."""
    out: list[Change] = []
    for key, p in project.objects.items():
        lv = live.objects.get(key)
        if lv is None:
            if not _parent_missing(p, live):
                out.append(Change(p.kind, p.identity, MISSING, None, p))
            continue
        props = {k: (lv.props.get(k), v) for k, v in p.props.items() if lv.props.get(k) != v}
        props.update({k: (v, None) for k, v in lv.props.items() if k not in p.props})
        if props:
            out.append(Change(p.kind, p.identity, CHANGED, lv, p, props))
    for key, lv in live.objects.items():
        if key not in project.objects and not _parent_missing(lv, project):
            out.append(Change(lv.kind, lv.identity, EXTRA, lv, None))
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    out.sort(key=lambda c: (rank.get(c.kind, len(rank)), c.identity, c.change))
    return out


# ------------------------------------------------------------------ Supabase


def project_created(docs: Iterable[SqlDocument]) -> set[str]:
    """Names the project's own SQL creates (not the emulation's): relations and functions ('s.name'), and
    triggers, policies and indexes ('s.table.name'; an index 's.name'), for keeping them where Supabase owns
    the schema."""
    out: set[str] = set()
    for doc in docs:
        for s in doc.statements:
            node = s.node
            out |= created_names(node)
            if isinstance(node, ast.CreateTrigStmt) and node.relation is not None:
                out.add(f"{rangevar_name(node.relation)}.{node.trigname}")
            elif isinstance(node, ast.CreatePolicyStmt) and node.table is not None:
                out.add(f"{rangevar_name(node.table)}.{node.policy_name}")
            elif isinstance(node, ast.IndexStmt) and node.relation is not None and node.idxname:
                out.add(f"{rangevar_name(node.relation).rsplit('.', 1)[0]}.{node.idxname}")
    return out


def _bare(identity: str) -> str:
    """'s.f(args)' -> 's.f'; a grant -> the object granted on; quotes removed (the parser's names have none)."""
    if " to " in identity:
        identity = identity.split(" ", 1)[1].rsplit(" to ", 1)[0]
    return identity.split("(", 1)[0].replace('"', "")


def keep_platform_objects(snap: Snapshot, owned: frozenset[str], created: set[str],
                          extensions: frozenset[str]) -> Snapshot:
    """Without what the platform owns (the schemas ``owned``, extensions) unless the project creates it
    (``created``, ``extensions``): on a Supabase target, auth, storage... are Supabase's, and the emulation's
    version of them is not compared."""
    def keep(obj: Obj) -> bool:
        schema = obj.schema if obj.kind != "grant" else _bare(obj.identity).split(".", 1)[0]
        if obj.kind == "schema":
            return obj.name not in owned
        if obj.kind == "extension":
            return obj.name in extensions
        if schema not in owned:
            return True
        name = _bare(obj.identity)
        return name in created or (obj.parent is not None and obj.parent.replace('"', "") in created)

    out = Snapshot(default_acl=snap.default_acl)
    out.objects = {k: o for k, o in snap.objects.items() if keep(o)}
    out.deps = {k: v for k, v in snap.deps.items() if k in out.objects}
    return out
