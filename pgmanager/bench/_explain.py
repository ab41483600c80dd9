"""Plans: a shape fingerprint for every query, EXPLAIN ANALYZE and its flags for the slow or flagged ones.

The fingerprint hashes the plan's node types, relations and indexes, nested as the plan is, and no
cost or row count: the same query over the same schema keeps it while timings wander, and a dropped
index or a planner flip to a sequential scan changes it. Flags name what usually explains a slow query:
a sequential scan of a table over 10,000 rows, a sort that spilled to disk, a row estimate more than
10x off the actual count.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import psycopg
from psycopg import sql

from ..catalog import Table

SEQ_SCAN_ROWS = 10_000
MISESTIMATE = 10.0


def _relation(node: dict[str, Any]) -> str | None:
    if "Relation Name" not in node:
        return None
    return f"{node['Schema']}.{node['Relation Name']}" if node.get("Schema") else str(node["Relation Name"])


def _label(node: dict[str, Any]) -> str:
    text = str(node["Node Type"])
    relation = _relation(node)
    if relation:
        text += f" on {relation}"
    if node.get("Index Name"):
        text += f" using {node['Index Name']}"
    return text


def shape(node: dict[str, Any]) -> str:
    """``Limit > Index Scan on public.projects using idx_projects_user_created``; children in brackets."""
    children = node.get("Plans", ())
    if not children:
        return _label(node)
    if len(children) == 1:
        return f"{_label(node)} > {shape(children[0])}"
    return f"{_label(node)} [{'; '.join(shape(c) for c in children)}]"


def fingerprint(node: dict[str, Any]) -> str:
    return hashlib.sha256(shape(node).encode()).hexdigest()[:16]


def flags(root: dict[str, Any], catalog: dict[str, Table], analyzed: bool) -> list[str]:
    """What the plan shows that usually explains a slow query. A misestimate is named where it starts:
    the nodes above a misestimated one inherit its error and are not named again."""
    out: list[str] = []

    def visit(node: dict[str, Any]) -> bool:
        below = [visit(child) for child in node.get("Plans", ())]
        relation = _relation(node)
        if node["Node Type"] == "Seq Scan" and relation in catalog:
            rows = catalog[relation].reltuples
            if rows > SEQ_SCAN_ROWS:
                out.append(f"seq scan on {relation} ({rows:,.0f} rows)")
        if node.get("Sort Space Type") == "Disk":
            out.append(f"sort spilled to disk ({node.get('Sort Space Used', '?')} kB, {node.get('Sort Method')})")
        if any(below):
            return True
        if analyzed and node.get("Actual Loops", 0) > 0:
            estimated, actual = float(node.get("Plan Rows", 0)), float(node.get("Actual Rows", 0))
            low, high = sorted((max(estimated, 1.0), max(actual, 1.0)))
            if high / low > MISESTIMATE:
                out.append(f"row estimate off {high / low:.0f}x at {_label(node)} "
                           f"(estimated {estimated:,.0f}, actual {actual:,.0f})")
                return True
        return False

    visit(root)
    return list(dict.fromkeys(out))


def explain(conn: psycopg.Connection, query_sql: str, params: dict[str, Any], *,
            analyze: bool) -> dict[str, Any]:
    """The JSON plan of ``query_sql``, in the caller's transaction (identity already switched)."""
    options = "analyze, buffers, verbose, format json" if analyze else "verbose, format json"
    # the workload's SQL is the project's own, like its migrations
    statement = sql.SQL("explain ({}) ").format(sql.SQL(options)) + sql.SQL(query_sql)
    row = conn.execute(statement, params).fetchone()
    assert row is not None
    data = row[0]
    doc = json.loads(data) if isinstance(data, str) else data
    return dict(doc[0])


_FUNCTION_CALL = re.compile(r"\b((?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*)\(")
_NOT_FUNCTIONS = {"any", "all", "array", "row", "coalesce", "nullif", "greatest", "least", "exists", "in"}


def _features(node: dict[str, Any], out: dict[str, int]) -> None:
    """What a plan does, counted: its nodes (InitPlans and SubPlans named as such) and the functions its
    filters and conditions call per row."""
    label = _label(node)
    relationship = node.get("Parent Relationship")
    if relationship in ("InitPlan", "SubPlan"):
        label = f"{str(node.get('Subplan Name') or relationship).strip()}: {label}"
    out[label] = out.get(label, 0) + 1
    for key in ("Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "One-Time Filter"):
        for name in _FUNCTION_CALL.findall(str(node.get(key, "")).lower()):
            if name not in _NOT_FUNCTIONS:
                call = f"call to {name}() in {key.lower()} at {_label(node)}"
                out[call] = out.get(call, 0) + 1
    for child in node.get("Plans", ()):
        _features(child, out)


def plan_difference(through_rls: dict[str, Any], bypassing: dict[str, Any]) -> list[str]:
    """What the plan through RLS has that the plan bypassing it does not: a node (a sequential scan, an
    InitPlan, a SubPlan...) or a function called in a filter (``auth.uid()``, a membership check)."""
    mine: dict[str, int] = {}
    theirs: dict[str, int] = {}
    _features(through_rls, mine)
    _features(bypassing, theirs)
    return [item if count - theirs.get(item, 0) == 1 else f"{item} (x{count - theirs.get(item, 0)})"
            for item, count in mine.items() if count > theirs.get(item, 0)]
