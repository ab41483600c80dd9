"""Helpers shared by the security and performance rules: policies, exposed schemas, call spans."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pglast import ast, visitors
from pglast.enums import BoolExprType
from pglast.parser import scan

from ...models import FileKind, SqlFile
from ...parse import Statement, rangevar_name
from ...schema import PolicyInfo, SchemaModel, TableInfo, Where
from .._base import ProjectContext, Violation

POLICY_KINDS = frozenset({FileKind.MIGRATION, FileKind.POLICY, FileKind.VIEW})
"""Files where a CREATE / ALTER POLICY can stand and will be applied."""

API_ROLES = ("anon", "authenticated")
"""The roles PostgREST switches to for requests; ``public`` (no TO clause) includes both."""

BYPASS_ROLES = frozenset({"service_role", "postgres", "supabase_admin"})
"""Roles with BYPASSRLS on Supabase: a policy for them alone never filters anything."""

COMMANDS = ("select", "insert", "update", "delete")


def schema_of(name: str) -> str:
    return name.split(".", 1)[0]


def is_exposed(name: str, exposed: Iterable[str]) -> bool:
    """Whether a schema-qualified name lives in a schema the API exposes."""
    return schema_of(name) in set(exposed)


def report_at(ctx: ProjectContext, where: Where | None, message: str) -> Iterator[tuple[SqlFile, Violation]]:
    """A project finding at ``where`` (file display, line), when that file is part of the run."""
    if where is None:
        return
    doc = ctx.doc_for(where[0])
    if doc is None:
        return
    yield doc.file, Violation(message, line=where[1], col=1)


def call_name(call: ast.FuncCall) -> str:
    """'auth.uid', 'current_setting' (lower case, schema kept when written)."""
    return ".".join((getattr(p, "sval", "") or "").lower() for p in call.funcname or ())


def policy_nodes(stmt: Statement) -> ast.CreatePolicyStmt | ast.AlterPolicyStmt | None:
    node = stmt.node
    return node if isinstance(node, ast.CreatePolicyStmt | ast.AlterPolicyStmt) else None


def policy_expressions(node: ast.CreatePolicyStmt | ast.AlterPolicyStmt) -> list[tuple[str, ast.Node]]:
    """('using', expr) and ('with check', expr), those present."""
    out: list[tuple[str, ast.Node]] = []
    if node.qual is not None:
        out.append(("using", node.qual))
    if node.with_check is not None:
        out.append(("with check", node.with_check))
    return out


def policy_roles(p: PolicyInfo) -> set[str]:
    """The roles a policy applies to; 'public' (or no TO clause) stands for every role."""
    return {r or "public" for r in p.roles} or {"public"}


def applies_to(p: PolicyInfo, role: str, command: str) -> bool:
    roles = policy_roles(p)
    return (role in roles or "public" in roles) and p.command in (command, "all")


def has_to_clause(stmt: Statement) -> bool:
    """Whether a CREATE POLICY names its roles (TO ...): the AST cannot tell ``TO public`` from nothing."""
    depth = 0
    try:
        tokens = scan(stmt.text)
    except Exception:  # scanning cannot fail on text that parsed; be safe
        return True
    for tok in tokens:
        if tok.name == "ASCII_40":
            depth += 1
        elif tok.name == "ASCII_41":
            depth -= 1
        elif depth == 0 and tok.name == "TO":
            return True
    return False


def is_true_constant(node: ast.Node | None) -> bool:
    """``true``, ``'t'::boolean``, ``1 = 1`` and the like: an expression that holds for every row."""
    if node is None:
        return False
    if isinstance(node, ast.A_Const):
        val = node.val
        return isinstance(val, ast.Boolean) and bool(val.boolval)
    if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const):
        names = [getattr(n, "sval", "") for n in (node.typeName.names if node.typeName else ()) or ()]
        sval = getattr(node.arg.val, "sval", None)
        return bool(names) and names[-1] in ("bool", "boolean") and str(sval).lower() in ("t", "true", "on", "1",
                                                                                        "yes", "y")
    if isinstance(node, ast.A_Expr) and [getattr(n, "sval", "") for n in node.name or ()] == ["="]:
        left, right = node.lexpr, node.rexpr
        if isinstance(left, ast.A_Const) and isinstance(right, ast.A_Const):
            return repr(left.val) == repr(right.val)
    if isinstance(node, ast.BoolExpr):
        args = list(node.args or ())
        if node.boolop == BoolExprType.OR_EXPR:
            return any(is_true_constant(a) for a in args)
        if node.boolop == BoolExprType.AND_EXPR:
            return bool(args) and all(is_true_constant(a) for a in args)
    return False


# ------------------------------------------------------------------ auth calls not wrapped in a select

INITPLAN_CALLS = frozenset({"auth.uid", "auth.jwt", "auth.role", "auth.email", "current_setting"})


def unwrapped_calls(expr: ast.Node, names: frozenset[str] = INITPLAN_CALLS) -> list[ast.FuncCall]:
    """Calls to ``names`` not inside a FROM-less ``(select ...)``: evaluated once per row, not once per query."""
    found: list[ast.FuncCall] = []

    def walk(node: object, wrapped: bool) -> None:
        if isinstance(node, tuple | list):
            for n in node:
                walk(n, wrapped)
            return
        if not isinstance(node, ast.Node):
            return
        if isinstance(node, ast.FuncCall) and call_name(node) in names and not wrapped:
            found.append(node)
            return  # the fix wraps the whole call, arguments included
        if isinstance(node, ast.SelectStmt):
            # A select without FROM is a scalar subquery PostgreSQL runs once, as an InitPlan.
            inner = wrapped or not node.fromClause
            for attr in node:
                value = getattr(node, attr)
                walk(value, inner if attr == "targetList" else wrapped)
            return
        for attr in node:
            walk(getattr(node, attr), wrapped)

    walk(expr, False)
    return found


def call_span(text: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the call written at ``start``: the name through its closing parenthesis."""
    i = text.find("(", start)
    if i < 0:
        return None
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            close = text.find(ch, i + 1)
            while close >= 0 and close + 1 < n and text[close + 1] == ch:  # doubled quote inside
                close = text.find(ch, close + 2)
            if close < 0:
                return None
            i = close + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return start, i + 1
        i += 1
    return None


# ------------------------------------------------------------------ user metadata

_META_KEYS = {"user_metadata", "raw_user_meta_data"}


def _names_user_metadata(text: str) -> bool:
    """A JSON key or path naming user_metadata: 'user_metadata', '{user_metadata,role}', '{"user_metadata": ...}'."""
    t = text.strip()
    return t in _META_KEYS or t.startswith(("{user_metadata", "{raw_user_meta_data")) or '"user_metadata"' in t


def user_metadata_refs(expr: ast.Node) -> list[int]:
    """Locations where an expression reads user-editable metadata: a JSON key or path naming
    ``user_metadata`` (``->``, ``->>``, ``#>>``, ``@>``, ``jsonb_extract_path`` alike) or the
    ``raw_user_meta_data`` column."""
    found: list[int] = []

    class _V(visitors.Visitor):
        def visit_A_Const(self, ancestors: object, node: ast.A_Const) -> None:
            sval = getattr(node.val, "sval", None)
            if isinstance(sval, str) and _names_user_metadata(sval):
                found.append(getattr(node, "location", None) or 0)  # pglast keeps no location for constants

        def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
            last = getattr((node.fields or ())[-1], "sval", None) if node.fields else None
            if last in _META_KEYS:
                found.append(node.location or 0)

    _V()(expr)
    return found


# ------------------------------------------------------------------ sensitive columns

_SENSITIVE = re.compile(
    r"(?:^|_)(password|passwd|pwd|secret|token|api_?key|apikey|access_?key|private_?key|ssn|"
    r"social_security(?:_number)?|credit_?card|card_?number|cvv|cvc|iban|bank_account|routing_number|tax_id|"
    r"passport(?:_number)?|national_id|drivers?_licen[cs]e|otp|totp_secret|mfa_secret|pin_code)(?:_|$)"
)
_BENIGN_SUFFIX = {"count", "type", "at", "expires", "expiry", "id", "len", "length", "name", "hint", "used",
                  "enabled", "version", "kind", "prefix", "last4", "last_four", "set", "required", "changed",
                  "updated", "policy", "scope", "scopes"}


def is_sensitive_column(name: str) -> bool:
    """Whether a column name suggests a credential, a personal id or payment data."""
    low = name.lower()
    if not _SENSITIVE.search(low):
        return False
    return low.rsplit("_", 1)[-1] not in _BENIGN_SUFFIX


# ------------------------------------------------------------------ views


@dataclass(frozen=True)
class ViewColumns:
    names: tuple[str, ...]
    stars: tuple[str, ...]
    """Relations whose every column is selected (``t.*`` or ``*``), schema-qualified where known."""


def _aliases(from_clause: Iterable[ast.Node] | None) -> dict[str, str]:
    """Alias (or bare name) -> schema-qualified relation, for the relations of a FROM clause."""
    out: dict[str, str] = {}

    def walk(node: ast.Node | None) -> None:
        if isinstance(node, ast.RangeVar):
            full = rangevar_name(node)
            alias = node.alias.aliasname if node.alias is not None else None
            out[alias or node.relname or ""] = full
            out.setdefault(full, full)
        elif isinstance(node, ast.JoinExpr):
            walk(node.larg)
            walk(node.rarg)

    for n in from_clause or ():
        walk(n)
    return out


def view_columns(query: ast.Node | None) -> ViewColumns:
    """Output column names of a view's query (first branch of a UNION)."""
    while isinstance(query, ast.SelectStmt) and query.larg is not None:
        query = query.larg
    if not isinstance(query, ast.SelectStmt):
        return ViewColumns((), ())
    aliases = _aliases(query.fromClause)
    names: list[str] = []
    stars: list[str] = []
    for t in query.targetList or ():
        if not isinstance(t, ast.ResTarget):
            continue
        if t.name:
            names.append(t.name)
            continue
        val = t.val
        if isinstance(val, ast.ColumnRef) and val.fields:
            last = val.fields[-1]
            if isinstance(last, ast.A_Star):
                qual = ".".join(getattr(f, "sval", "") for f in val.fields[:-1])
                stars.extend([aliases.get(qual, qual)] if qual else sorted(set(aliases.values())))
            else:
                names.append(getattr(last, "sval", "") or "")
        elif isinstance(val, ast.FuncCall):
            names.append(call_name(val).rsplit(".", 1)[-1])
    return ViewColumns(tuple(names), tuple(stars))


def view_query(ctx: ProjectContext, where: Where | None, index: StatementIndex | None = None) -> ast.Node | None:
    """The query of the CREATE [MATERIALIZED] VIEW statement at ``where``."""
    stmt = statement_at(ctx, where, index)
    node = stmt.node if stmt is not None else None
    if isinstance(node, ast.ViewStmt | ast.CreateTableAsStmt):
        return node.query
    return None


StatementIndex = dict[Where, Statement]


def statement_index(ctx: ProjectContext) -> StatementIndex:
    """Every statement of the project by (file, line), first one of a line: one pass, then lookups."""
    index: StatementIndex = {}
    for doc in ctx.docs:
        for stmt in doc.statements:
            index.setdefault((doc.file.display, stmt.line), stmt)
    return index


def statement_at(ctx: ProjectContext, where: Where | None, index: StatementIndex | None = None) -> Statement | None:
    """The statement defined at ``where`` (file display, line)."""
    if where is None:
        return None
    if index is not None:
        return index.get(where)
    doc = ctx.doc_for(where[0])
    if doc is None:
        return None
    return next((s for s in doc.statements if s.line == where[1]), None)


def base_relations(schema: SchemaModel, names: Iterable[str], seen: set[str] | None = None) -> set[str]:
    """Relations read, looking through views to the tables beneath them."""
    seen = seen if seen is not None else set()
    out: set[str] = set()
    for n in names:
        if n in seen:
            continue
        seen.add(n)
        view = schema.views.get(n)
        if view is not None:
            out |= base_relations(schema, view.relations, seen)
        else:
            out.add(n)
    return out


def rls_tables(schema: SchemaModel, names: Iterable[str]) -> list[TableInfo]:
    return [t for n in sorted(names) if (t := schema.tables.get(n)) is not None and t.rls_enabled]
