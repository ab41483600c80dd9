"""A policy trusts user_metadata, which users can edit themselves."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._security_helpers import POLICY_KINDS, policy_expressions, policy_nodes, user_metadata_refs


class RlsReferencesUserMetadata(Rule):
    """A policy reads ``user_metadata`` (``auth.jwt() -> 'user_metadata'`` or ``raw_user_meta_data``).

    **Problem.** On Supabase, a signed-in user can change their own ``user_metadata`` through
    ``supabase.auth.updateUser()``: its content ends up in their JWT and in
    ``auth.users.raw_user_meta_data``. A policy that grants access from it (a role, a tenant, a
    plan) lets any user grant themselves that access.

    **Solution.** Keep authorization data where users cannot write it: ``app_metadata``
    (``auth.jwt() -> 'app_metadata'``, set only with the service key) or a table of your own
    protected by RLS::

        create policy "admins read all" on public.reports for select to authenticated
            using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');
    """

    name = "rls-references-user-metadata"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "authorize from app_metadata or a protected table, never from user-editable user_metadata"
    kinds = POLICY_KINDS

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = policy_nodes(stmt)
        if node is None:
            return
        for clause, expr in policy_expressions(node):
            for location in user_metadata_refs(expr):
                yield Violation(f"the {clause} clause of policy {node.policy_name!r} reads user_metadata, which "
                                "every user can set on their own account", stmt, offset=location or stmt.start)
