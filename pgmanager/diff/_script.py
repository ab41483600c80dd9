"""A migration from the differences: drops first (dependents before what they use, from the live side's
pg_depend), then creates and alters (what is used before its users, from the built side's pg_depend),
each stage ordered topologically with a kind-based phase to break ties. Destructive statements are
marked, and commented out unless allowed."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from psycopg import sql

from . import _ddl
from ._catalog import Key, Obj, Snapshot
from ._compare import CHANGED, EXTRA, MISSING, Change

CREATE_PHASE = {"schema": 0, "extension": 1, "type": 2, "sequence": 3, "function": 4, "table": 5, "column": 6,
                "constraint": 7, "index": 9, "trigger": 10, "policy": 11, "view": 12, "materialized view": 12,
                "publication": 13, "grant": 15}
DROP_PHASE = {"publication": 0, "grant": 0, "policy": 1, "trigger": 2, "materialized view": 3, "view": 3,
              "constraint": 4, "index": 5, "column": 6, "table": 7, "function": 8, "sequence": 9, "type": 10,
              "extension": 11, "schema": 12}
HOLDS_DATA = {"table": "drops a table and its rows", "column": "drops a column and its values",
              "schema": "drops a schema", "type": "drops a type", "sequence": "drops a sequence and its value",
              "extension": "drops an extension and what it holds",
              "materialized view": "drops a materialized view"}
WIDENING = {("smallint", "integer"), ("smallint", "bigint"), ("integer", "bigint"), ("character varying", "text"),
            ("character", "text"), ("real", "double precision"), ("timestamp without time zone",
                                                                  "timestamp with time zone")}
DEFAULT_ACL_TYPE = {"table": "r", "view": "r", "materialized view": "r", "sequence": "S", "function": "f"}


@dataclass
class Action:
    key: Key
    stage: int
    """0: drop, 1: create or alter."""
    phase: float
    statements: list[sql.Composable]
    note: str
    destructive: str | None = None
    deps: set[Key] = field(default_factory=set)


def _narrowing(before: str, after: str) -> bool:
    """A type change that may lose data or fail: anything but a known widening or a longer varchar."""
    if (before.split("(")[0], after.split("(")[0]) in WIDENING:
        return False
    for base in ("character varying", "numeric", "character"):
        if before.startswith(base + "(") and after.startswith(base):
            if after == base:
                return False
            b, a = before[len(base) + 1:-1].split(","), after[len(base) + 1:-1].split(",")
            return not (len(a) == len(b) and a[0] >= b[0] and a[-1] >= b[-1] if base == "numeric"
                        else int(a[0]) >= int(b[0]))
    return True


class Planner:
    def __init__(self, live: Snapshot, project: Snapshot) -> None:
        self.live, self.project = live, project
        self.actions: list[Action] = []
        self.dropped: set[Key] = set()
        self.created: set[Key] = set()

    def add(self, key: Key, stage: int, kind: str, statements: list[sql.Composable], note: str,
            destructive: str | None = None) -> None:
        phase = (DROP_PHASE if stage == 0 else CREATE_PHASE)[kind]
        self.actions.append(Action(key, stage, phase, statements, note, destructive))
        (self.dropped if stage == 0 else self.created).add(key)

    def drop(self, obj: Obj, note: str, destructive: str | None = None) -> None:
        if obj.key not in self.dropped:
            self.add(obj.key, 0, obj.kind, _ddl.drop(obj), note, destructive)

    def create(self, obj: Obj, note: str, destructive: str | None = None) -> None:
        if obj.key not in self.created:
            phase_kind = obj.kind
            self.add(obj.key, 1, phase_kind, _ddl.create(obj, self.project), note, destructive)
            if obj.kind == "constraint" and obj.extra.get("type") == "f":
                self.actions[-1].phase = 8  # foreign keys after every key they may reference
            if obj.kind in DEFAULT_ACL_TYPE:
                self._reset_grants(obj)
            if obj.kind == "sequence" and obj.extra.get("owned_by"):
                self.actions.append(Action(obj.key, 1, 6.5, [sql.SQL("alter sequence {} owned by {}").format(
                    _ddl.ident(obj), sql.SQL(obj.extra["owned_by"]))], "owned by its column"))

    def rebuild(self, obj: Obj, note: str) -> None:
        """Drop the live object and create the project's, and the same for the live views that use it."""
        lv = self.live.objects.get(obj.key)
        if lv is not None:
            self.drop(lv, note, HOLDS_DATA.get(lv.kind) if lv.kind != "materialized view" else None)
            self._rebuild_dependents(lv.key)
        self.create(obj, note)

    def _rebuild_dependents(self, key: Key) -> None:
        for k, deps in self.live.deps.items():
            if key in deps and k[0] in ("view", "materialized view") and k not in self.dropped:
                p = self.project.objects.get(k)
                self.drop(self.live.objects[k], f"rebuilt: it uses {key[0]} {key[1]}")
                self._rebuild_dependents(k)
                if p is not None:
                    self.create(p, f"rebuilt: it uses {key[0]} {key[1]}")

    def _reset_grants(self, obj: Obj) -> None:
        """A new object gets the live side's default privileges (and functions EXECUTE for PUBLIC): revoke
        them, so that exactly the project's grants (re-granted in the grant phase) hold."""
        kind = "routine" if obj.kind == "function" else "table" if obj.kind != "sequence" else "sequence"
        code = DEFAULT_ACL_TYPE[obj.kind]
        grantees = sorted({g for s, t, g in self.live.default_acl if t == code and s in ("", obj.schema)}
                          | ({"public"} if obj.kind == "function" else set()))
        if not grantees:
            return
        target = sql.SQL("{}({})").format(_ddl.ident(obj), sql.SQL(obj.extra["args"])) \
            if obj.kind == "function" else _ddl.ident(obj)
        self.actions.append(Action(obj.key, 1, 14, [sql.SQL("revoke all on {} {} from {}").format(
            sql.SQL(kind), target, sql.SQL(", ").join(map(sql.SQL, grantees)))],
            "default privileges given to a new object, revoked (the project's grants follow)"))

    # -------------------------------------------------------------- one difference

    def change(self, ch: Change) -> None:
        if ch.change == MISSING and ch.project is not None:
            self.create(ch.project, "missing in live")
        elif ch.change == EXTRA and ch.live is not None:
            if ch.kind == "grant" and self._grant_target_dropped(ch.live):
                return
            self.drop(ch.live, "extra in live", HOLDS_DATA.get(ch.kind))
        elif ch.change == CHANGED and ch.live is not None and ch.project is not None:
            self._changed(ch, ch.live, ch.project)

    def _grant_target_dropped(self, g: Obj) -> bool:
        on = g.extra["on"]
        return any(k[1] == on for k in self.dropped)

    def _changed(self, ch: Change, lv: Obj, p: Obj) -> None:
        props, note = ch.properties, "changed: " + ", ".join(sorted(ch.properties))
        match p.kind:
            case "table":
                stmts = _ddl.rls(p, props)
                if "options" in props:
                    stmts += _table_options(p, props["options"][0] or [])
                if "unlogged" in props:
                    stmts.append(sql.SQL("alter table {} set {}").format(
                        _ddl.ident(p), sql.SQL("unlogged" if p.props["unlogged"] else "logged")))
                self.add(p.key, 1, "policy", stmts, note)
                if props.keys() & {"partition_by", "partition_of", "partition_bound"}:
                    self.add(p.key, 1, "table", [], note + " (partitioning: rebuild the table by hand)", "partitioning")
            case "column":
                if "generated" in props:
                    self.drop(lv, note, HOLDS_DATA["column"])
                    self.create(p, note)
                    return
                narrowing = "type" in props and _narrowing(props["type"][0] or "", props["type"][1] or "")
                if "type" in props:
                    self._rebuild_dependents(lv.key)
                    self._rebuild_dependents(("table", lv.parent or ""))
                self.add(p.key, 1, "column", _ddl.alter_column(p, props), note,
                         f"changes the type from {props['type'][0]} to {props['type'][1]}" if narrowing else None)
            case "view":
                live_cols, cols = lv.extra["columns"], p.extra["columns"]
                if cols[:len(live_cols)] == live_cols:
                    self.add(p.key, 1, "view", [sql.SQL("create or replace view {}{} as\n{}").format(
                        _ddl.ident(p), _ddl.options(p.props["options"]),
                        sql.SQL(p.props["definition"].rstrip().rstrip(";")))], note)
                else:
                    self.rebuild(p, note)
            case "function":
                if "returns" in props or "arguments" in props:
                    self.rebuild(p, note)
                else:
                    self.add(p.key, 1, "function", _ddl.create(p, self.project), note)
            case "sequence":
                self.add(p.key, 1, "sequence", [_ddl.alter_sequence(p)], note)
            case "type":
                self._type(lv, p, note)
            case "extension":
                self.add(p.key, 1, "extension", [sql.SQL("alter extension {} set schema {}").format(
                    sql.Identifier(p.name), sql.Identifier(p.props["schema"]))], note)
            case "publication":
                self.add(p.key, 1, "publication", _ddl.alter_publication(p, props), note)
            case "grant":
                before, after = set(lv.props["privileges"]), set(p.props["privileges"])
                stmts = [_ddl.grant(p, sorted(after - before), revoke=False)] if after - before else []
                if before - after:
                    stmts.append(_ddl.grant(lv, sorted(before - after), revoke=True))
                self.add(p.key, 1, "grant", stmts, note)
            case _:  # constraint, index, trigger, policy, materialized view
                self.rebuild(p, note)

    def _type(self, lv: Obj, p: Obj, note: str) -> None:
        old, new = lv.props.get("enum"), p.props.get("enum")
        if old is not None and new is not None and [x for x in new if x in old] == old:
            stmts: list[sql.Composable] = []
            for i, label in enumerate(new):
                if label not in old:
                    where: sql.Composable
                    if i + 1 < len(new) and new[i + 1] in old:
                        where = sql.SQL(" before {}").format(sql.Literal(new[i + 1]))
                    else:
                        where = sql.SQL(" after {}").format(sql.Literal(new[i - 1])) if i else sql.SQL("")
                    stmts.append(sql.SQL("alter type {} add value {}{}").format(_ddl.ident(p), sql.Literal(label),
                                                                               where))
            self.add(p.key, 1, "type", stmts, note)
            return
        self.drop(lv, note, "drops and re-creates a type (its columns must be converted by hand)")
        self.create(p, note, "re-creates a type dropped above")


def _table_options(p: Obj, before: list[str]) -> list[sql.Composable]:
    after = p.props["options"]
    names = {o.split("=", 1)[0] for o in after}
    out: list[sql.Composable] = []
    gone = [o.split("=", 1)[0] for o in before if o.split("=", 1)[0] not in names]
    if gone:
        out.append(sql.SQL("alter table {} reset ({})").format(_ddl.ident(p), sql.SQL(", ").join(map(sql.SQL, gone))))
    if after:
        out.append(sql.SQL("alter table {} set ({})").format(_ddl.ident(p), sql.SQL(", ").join(map(sql.SQL, after))))
    return out


def _ordered(actions: list[Action], deps: dict[Key, set[Key]], parents: dict[Key, Key], *, reverse: bool
             ) -> list[Action]:
    """Kahn's algorithm, the phase breaking ties: an action after those of the objects it depends on
    (``reverse``: before them, for drops). A column's dependency counts for its table's action."""
    by_key: dict[Key, list[int]] = {}
    for i, a in enumerate(actions):
        by_key.setdefault(a.key, []).append(i)
    after: dict[int, set[int]] = {i: set() for i in range(len(actions))}
    for i, a in enumerate(actions):
        for ref in deps.get(a.key, ()):
            targets = by_key.get(ref) or by_key.get(parents.get(ref, ref), [])
            for j in targets:
                if j != i and actions[j].key != a.key:
                    (after[j].add(i) if not reverse else after[i].add(j))
    waiting = {i: 0 for i in after}
    for nexts in after.values():
        for j in nexts:
            waiting[j] += 1
    ready = [(actions[i].phase, i) for i, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        _, i = heapq.heappop(ready)
        out.append(i)
        for j in after[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, (actions[j].phase, j))
    out += sorted((i for i in waiting if i not in set(out)), key=lambda i: (actions[i].phase, i))  # a cycle
    return [actions[i] for i in out]


def plan(changes: Iterable[Change], live: Snapshot, project: Snapshot) -> list[Action]:
    planner = Planner(live, project)
    for ch in changes:
        planner.change(ch)
    parents_live = {o.key: ("table", o.parent) for o in live.objects.values() if o.kind == "column" and o.parent}
    parents_project = {o.key: ("table", o.parent) for o in project.objects.values() if o.kind == "column" and o.parent}
    drops = _ordered([a for a in planner.actions if a.stage == 0], live.deps, parents_live, reverse=True)
    creates = _ordered([a for a in planner.actions if a.stage == 1], project.deps, parents_project, reverse=False)
    return [a for a in drops + creates if a.statements]


def render_script(actions: list[Action], *, target: str, allow_destructive: bool) -> str:
    lines = [f"-- pgmanager diff: brings {target} to the project's state", "-- statements in dependency order",
             "set check_function_bodies = off;", "begin;", ""]
    for a in actions:
        lines.append(f"-- {a.key[0]} {a.key[1]}: {a.note}")
        text = "\n".join(_ddl.render(s) + ";" for s in a.statements)
        if a.destructive and not allow_destructive:
            lines.append(f"-- DESTRUCTIVE ({a.destructive}): commented out; review, then use --allow-destructive")
            lines += ["-- " + line for line in text.splitlines()]
        else:
            if a.destructive:
                lines.append(f"-- DESTRUCTIVE: {a.destructive}")
            lines.append(text)
        lines.append("")
    lines.append("commit;")
    return "\n".join(lines) + "\n"
