"""A policy whose USING or WITH CHECK is always true, for anything but reading."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from ...models import Severity
from ...parse import Statement, rangevar_name
from .._base import Category, FileContext, Rule, Violation
from ._security_helpers import BYPASS_ROLES, POLICY_KINDS, is_true_constant, policy_nodes


def _created_as(node: ast.AlterPolicyStmt, stmt: Statement, ctx: FileContext) -> tuple[str, set[str]]:
    """(command, roles) of the policy an ALTER POLICY changes: created earlier in this file or before it."""
    table = rangevar_name(node.table)
    pos = next((i for i, s in enumerate(ctx.doc.statements) if s is stmt), 0)
    for earlier in reversed(ctx.doc.statements[:pos]):
        n = earlier.node
        if (isinstance(n, ast.CreatePolicyStmt) and n.policy_name == node.policy_name
                and rangevar_name(n.table) == table):
            return n.cmd_name or "all", {getattr(r, "rolename", None) or "public" for r in n.roles or ()}
    known = next((p for p in ctx.schema.policies if p.table == table and p.name == node.policy_name), None)
    if known is None:
        return "all", set()
    return known.command, set(known.roles)


class RlsPolicyAlwaysTrue(Rule):
    """A policy lets every row through (``using (true)`` or ``with check (true)``) for a command that writes.

    **Problem.** A policy whose expression is always true (``true``, ``1 = 1``, ``... or true``)
    turns row level security off for its roles and commands while the table still looks
    protected. For ``insert``, ``update``, ``delete`` or ``all`` it lets any caller write any row,
    including other users' rows.

    **Decision.** ``for select ... using (true)`` is *not* reported: publishing a table's rows for
    reading (a catalog, public profiles) is a legitimate, common design, and the intent is plain
    in the SQL. Policies whose only roles bypass RLS anyway (``service_role``) are not reported.
    Everything else with an always-true expression is.

    **Solution.** Write the condition that limits the rows the role may write::

        create policy "authors edit their posts" on public.posts for update to authenticated
            using (author_id = (select auth.uid()))
            with check (author_id = (select auth.uid()));
    """

    name = "rls-policy-always-true"
    severity = Severity.WARNING
    category = Category.SECURITY
    help = "replace the always-true expression with a condition on the row (e.g. owner = (select auth.uid()))"
    kinds = POLICY_KINDS

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = policy_nodes(stmt)
        if node is None:
            return
        roles: set[str] = set()
        command = "all"
        if isinstance(node, ast.CreatePolicyStmt):
            command = node.cmd_name or "all"
        else:  # ALTER POLICY: the command and roles come from the policy as created
            command, roles = _created_as(node, stmt, ctx)
        if node.roles:
            roles = {getattr(r, "rolename", None) or "public" for r in node.roles}
        if roles and roles <= BYPASS_ROLES:
            return
        for clause, expr in (("using", node.qual), ("with check", node.with_check)):
            if not is_true_constant(expr):
                continue
            if command == "select" and clause == "using":
                continue  # publishing rows for reading is a legitimate choice (see the rule's docs)
            yield Violation(f"policy {node.policy_name!r} ({command}) has {clause} that is always true: any caller "
                            f"may {'write any row' if clause == 'with check' else 'reach every row'}",
                            stmt, offset=getattr(expr, "location", None) or stmt.start)
