"""The coverage matrix: every exposed relation x identity x command, measured by real statements.

SELECT counts the visible rows; INSERT writes a copy of a row (one the identity can see, else any) with
new keys; UPDATE rewrites a column to itself on every row; DELETE deletes every row. Each statement runs
as the identity inside a savepoint that is rolled back, so the seeded data never changes. Rules that
fail the run: RLS off, a granted command without any policy (unless declared an intended denial, or
granted by the schema's default privileges), a security-definer view, and a stranger seeing an owner's
private row. Notes (info): RLS on with no policy at all (Supabase's deny-all), and default-privilege
grants no policy covers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ..db import error_line
from ..models import CellOutcome, Finding, MatrixCell, Severity
from ._catalog import (
    API_ROLES,
    COMMAND_CHAR,
    Relation,
    default_privilege,
    has_policies,
    has_privilege,
    policy_exists,
    relations,
)
from ._identity import Identity, RlsBypassError, act_as
from ._spec_model import SpecSuite

COMMANDS = tuple(COMMAND_CHAR)


@dataclass
class MatrixResult:
    cells: list[MatrixCell]
    problems: list[Finding]
    notes: list[Finding] = field(default_factory=list)


def _attempt(conn: psycopg.Connection, identity: Identity, query: sql.Composed,
             params: list[Any] | None = None) -> tuple[str, int | None, str | None, str, list[Any]]:
    """Run ``query`` as ``identity`` in a rolled-back savepoint: (outcome, rows, sqlstate, message, result)."""
    try:
        with act_as(conn, identity):
            cur = conn.execute(query, params)
            result = cur.fetchall() if cur.description else []
            return "allowed", cur.rowcount if not cur.description else len(result), None, "", result
    except RlsBypassError:
        raise
    except psycopg.Error as exc:
        state = exc.sqlstate or "?"
        return ("denied" if state == "42501" else "error"), None, state, error_line(exc), []


def _key_expr(rel: Relation) -> sql.Composed:
    cols = rel.primary_key or [c.name for c in rel.columns]
    return sql.SQL("row({})::text").format(sql.SQL(", ").join(sql.Identifier("t", c) for c in cols))


def _insert_row(conn: psycopg.Connection, rel: Relation, identity: Identity) -> tuple[sql.Composed, list[Any]] | None:
    """An INSERT of a plausible new row: a copy of a visible row (else any row) with new keys."""
    source = None
    try:
        with act_as(conn, identity):
            row = conn.execute(sql.SQL("select to_jsonb(t) from {} as t limit 1").format(rel.ident)).fetchone()
            source = row[0] if row else None
    except RlsBypassError:
        raise
    except psycopg.Error:
        source = None
    if source is None:
        row = conn.execute(sql.SQL("select to_jsonb(t) from {} as t limit 1").format(rel.ident)).fetchone()
        source = row[0] if row else None
    if source is None:
        return None
    return copy_query(conn, rel, source)


def copy_query(conn: psycopg.Connection, rel: Relation, source: dict[str, Any]) -> tuple[sql.Composed, list[Any]]:
    """An INSERT of a copy of ``source`` (a row as jsonb) with new keys and unique texts."""
    data = dict(source)
    columns = [c for c in rel.columns if not c.generated]
    keep = {c.name for c in columns}
    for name in rel.primary_key:
        col = rel.column(name)
        if col is None:
            continue
        if col.has_default:
            keep.discard(name)
        elif col.references is None and col.type == "uuid":
            data[name] = str(uuid.uuid4())
    if rel.primary_key and all(name in keep for name in rel.primary_key):
        _new_composite_key(conn, rel, data)
    for cols in rel.unique_sets:
        for name in cols:
            col = rel.column(name)
            if col is not None and col.type in ("text", "character varying") and data.get(name) is not None:
                data[name] = f"{data[name]}~{uuid.uuid4().hex[:6]}"
                break
    names = [c.name for c in columns if c.name in keep]
    query = sql.SQL("insert into {} ({}) select {} from jsonb_populate_record(null::{}, %s)").format(
        rel.ident, sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(map(sql.Identifier, names)), rel.ident)
    return query, [Jsonb(data)]


def _new_composite_key(conn: psycopg.Connection, rel: Relation, data: dict[str, Any]) -> None:
    """Move one foreign-key column of the key to a referenced value that makes the key new."""
    for name in reversed(rel.primary_key):
        col = rel.column(name)
        if col is None or col.references is None:
            continue
        ref_table, ref_col = col.references
        schema, _, table = ref_table.partition(".")
        others = [sql.SQL("t.{} = %s").format(sql.Identifier(k)) for k in rel.primary_key if k != name]
        where = sql.SQL(" and ").join([*others, sql.SQL("t.{} = r.{}").format(sql.Identifier(name),
                                                                             sql.Identifier(ref_col))])
        row = conn.execute(
            sql.SQL("select r.{}::text from {} as r where not exists (select 1 from {} as t where {}) limit 1").format(
                sql.Identifier(ref_col), sql.Identifier(schema, table), rel.ident, where),
            [data.get(k) for k in rel.primary_key if k != name]).fetchone()
        if row:
            data[name] = row[0]
            return


def _update_query(rel: Relation) -> sql.Composed | None:
    cols = [c for c in rel.columns if not c.generated and c.name not in rel.primary_key]
    if not cols:
        return None
    col = sql.Identifier(cols[0].name)
    return sql.SQL("update {} set {} = {}").format(rel.ident, col, col)


def measure(conn: psycopg.Connection, rel: Relation, identity: Identity, command: str
            ) -> tuple[MatrixCell, set[str]]:
    """One cell, and the keys of the rows it saw (SELECT only)."""
    keys: set[str] = set()
    params: list[Any] | None = None
    if command == "SELECT":
        query: sql.Composed | None = sql.SQL("select {} from {} as t").format(_key_expr(rel), rel.ident)
    elif command == "INSERT":
        made = _insert_row(conn, rel, identity)
        query, params = made if made else (None, None)
    elif command == "UPDATE":
        query = _update_query(rel)
    else:
        query = sql.SQL("delete from {}").format(rel.ident)
    if query is None:
        return MatrixCell(table=rel.qualified, identity=identity.name, command=command, outcome=CellOutcome.SKIPPED,
                          message="no row to copy" if command == "INSERT" else "no column to update"), keys
    outcome, rows, state, message, result = _attempt(conn, identity, query, params)
    if command == "SELECT":
        keys = {r[0] for r in result}
    elif outcome == "allowed" and rows == 0 and command in ("UPDATE", "DELETE"):
        outcome, message = CellOutcome.FILTERED, "RLS left no row to change"
    return MatrixCell(table=rel.qualified, identity=identity.name, command=command, outcome=CellOutcome(outcome),
                      rows=rows,
                      sqlstate=state, message=message), keys


def _oracle_keys(conn: psycopg.Connection, rel: Relation, predicate: str, identity: Identity) -> set[str]:
    query = sql.SQL("select {} from {} as t cross join {} where ({})").format(
        _key_expr(rel), rel.ident, viewer_relation(identity), sql.SQL(predicate))
    return {r[0] for r in conn.execute(query).fetchall()}  # no params: a % in the oracle stays literal


def viewer_relation(identity: Identity) -> sql.Composed:
    """``(select <uuid> as id, <role> as role) as viewer``: what an oracle knows about who is looking."""
    return sql.SQL("(select {}::uuid as id, {}::text as role) as viewer").format(
        sql.Literal(identity.user_id), sql.Literal(identity.role))


def coverage_matrix(conn: psycopg.Connection, suite: SpecSuite, schemas: list[str],
                    policy_files: dict[str, str], *, stranger_rule: bool = True) -> MatrixResult:
    """Measure every cell and apply the matrix rules. ``policy_files`` maps a table to its policy file;
    ``stranger_rule`` False leaves stranger leaks to the owner-based check (``stranger_leaks``)."""
    cells: list[MatrixCell] = []
    problems: list[Finding] = []
    notes: list[Finding] = []
    identities = suite.matrix_identities()

    def problem(rel: Relation, rule: str, message: str, severity: Severity = Severity.ERROR) -> None:
        (problems if severity == Severity.ERROR else notes).append(
            Finding(rule=rule, severity=severity, message=message, file=policy_files.get(rel.qualified, rel.qualified)))

    for rel in relations(conn, schemas):
        granted = {(role, cmd) for role in API_ROLES for cmd in COMMANDS if has_privilege(conn, role, rel, cmd)}
        if rel.is_table and not rel.rls:
            problem(rel, "rls-disabled", f"{rel.qualified}: row level security is off; every granted role reads "
                                         "and writes every row (alter table ... enable row level security)")
        elif rel.is_table and not has_policies(conn, rel):
            problem(rel, "rls-deny-all", f"{rel.qualified}: row level security is on and no policy exists, so the API "
                                         "roles reach no row (Supabase's deny-all); add a policy to open it",
                    Severity.INFO)
        elif rel.is_table:
            by_default = []
            for role, cmd in sorted(granted):
                if suite.denied_on_purpose(rel.qualified, role, cmd) is not None or policy_exists(conn, role, rel, cmd):
                    continue
                if default_privilege(conn, role, rel, cmd):
                    by_default.append(f"{role} {cmd}")
                    continue
                problem(rel, "missing-policy",
                        f"{rel.qualified}: {role} is granted {cmd} but no policy covers it, so RLS denies it "
                        f"silently; revoke {cmd} from {role}, add a policy, or declare it under intended_denials")
            if by_default:
                problem(rel, "default-grant",
                        f"{rel.qualified}: {', '.join(by_default)} come from the schema's default privileges and no "
                        "policy covers them, so RLS denies them; revoke them to make that explicit", Severity.INFO)
        elif rel.kind in ("v", "m") and not rel.security_invoker and any(r == "SELECT" for _, r in granted):
            problem(rel, "security-definer-view",
                    f"{rel.qualified}: the view runs with its owner's rights, so the RLS of the tables it reads does "
                    "not apply to its callers (create it with (security_invoker = true))")
        seen: dict[str, set[str]] = {}
        for identity in identities:
            for cmd in COMMANDS:
                cell, keys = measure(conn, rel, identity, cmd)
                if cmd == "SELECT":
                    seen[identity.name] = keys
                cells.append(cell)
        if stranger_rule and "stranger" in seen and rel.is_table:
            stranger = suite.identity("stranger")
            oracle = suite.oracles.get(rel.qualified)
            if oracle is not None:
                leaked = seen["stranger"] - _oracle_keys(conn, rel, oracle.predicate, stranger)
            else:
                leaked = (seen["stranger"] & seen.get("owner", set())) - seen.get("anon", set())
            if leaked:
                example = sorted(leaked)[0]
                problem(rel, "stranger-leak", f"{rel.qualified}: the stranger ({suite.matrix['stranger']}) sees "
                                              f"{len(leaked)} row(s) of others that it should not, e.g. key {example}")
                cells = [c.model_copy(update={"passed": False, "message": f"{len(leaked)} row(s) leaked"})
                         if (c.table, c.identity, c.command) == (rel.qualified, "stranger", "SELECT") else c
                         for c in cells]
    return MatrixResult(cells, problems, notes)
