"""auth.uid(), auth.jwt() or current_setting() in a policy, re-evaluated for every row."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Fix, Rule, Violation
from ._security_helpers import POLICY_KINDS, call_name, call_span, policy_expressions, policy_nodes, unwrapped_calls


class AuthRlsInitplan(Rule):
    """A policy calls ``auth.uid()``, ``auth.jwt()``, ``auth.role()``, ``auth.email()`` or
    ``current_setting()`` directly instead of through ``(select ...)``.

    **Problem.** These functions are ``STABLE``: their value does not change during a query, but
    PostgreSQL still calls them once for every row the policy filters. On a large table the
    policy costs more than the query. Wrapped in a scalar subquery, the call becomes an
    *InitPlan*: computed once per statement and reused for every row. A call inside a subquery
    that has a ``FROM`` is reported too: it runs once per row of that subquery.

    **Solution.** Wrap each call in ``(select ...)``; ``pgmanager lint --fix`` does it::

        create policy "own rows" on public.orders for select to authenticated
            using (user_id = (select auth.uid()));
    """

    name = "auth-rls-initplan"
    severity = Severity.WARNING
    category = Category.PERFORMANCE
    help = "wrap the call in a scalar subquery: (select auth.uid()); lint --fix does it"
    kinds = POLICY_KINDS

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = policy_nodes(stmt)
        if node is None:
            return
        text = ctx.doc.file.text
        for clause, expr in policy_expressions(node):
            for call in unwrapped_calls(expr):
                name = call_name(call)
                message = (f"{name}() in the {clause} clause of policy {node.policy_name!r} is evaluated for every "
                           "row; wrap it as (select ...) to compute it once per statement")
                span = call_span(text, call.location) if call.location is not None else None
                fix = None
                if span is not None:
                    start, end = span
                    fix = Fix.replace(f"wrap {name}() in (select ...)", start, end, f"(select {text[start:end]})")
                yield Violation(message, stmt, offset=call.location, fix=fix)
