"""A policy without a TO clause applies to every role."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import RoleSpecType

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._security_helpers import POLICY_KINDS, has_to_clause


class PolicyWithoutRole(Rule):
    """``create policy`` without a ``TO`` clause applies to ``public``: every role, ``anon`` included.

    **Problem.** Leaving out ``TO`` grants the policy to every role. Often the author thought of
    signed-in users only, and ``anon`` (anyone with the public API key) gets the same access.
    It also costs: the policy is evaluated for roles that never need it, stacking on their own
    policies.

    **Solution.** Name the roles the policy is for. Write ``to public`` explicitly when every role
    is really meant (this rule then stays quiet)::

        create policy "members read" on public.projects for select to authenticated
            using (private.is_member(id));
    """

    name = "policy-without-role"
    severity = Severity.WARNING
    category = Category.SECURITY
    help = "add TO <roles> (e.g. to authenticated); write TO public if every role is meant"
    kinds = POLICY_KINDS

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if not isinstance(node, ast.CreatePolicyStmt):
            return
        roles = node.roles or ()
        only_public = len(roles) == 1 and getattr(roles[0], "roletype", None) == RoleSpecType.ROLESPEC_PUBLIC
        if only_public and not has_to_clause(stmt):  # the AST says public either way: read the text
            yield Violation(f"policy {node.policy_name!r} has no TO clause: it applies to every role, anon included",
                            stmt)
