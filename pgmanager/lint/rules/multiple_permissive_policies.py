"""More than one permissive policy for the same table, role and command."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import API_ROLES, COMMANDS, applies_to, policy_roles, report_at


class MultiplePermissivePolicies(Rule):
    """A table has several permissive policies for the same role and command.

    **Problem.** Permissive policies are OR-ed: PostgreSQL evaluates every one of them for every
    row, so two policies cost about twice one. A policy without a ``TO`` clause (``public``)
    applies to every role, and a ``FOR ALL`` policy to every command, so they stack on top of
    the specific ones.

    **Solution.** Merge the alternatives into one policy per role and command, joined with ``or``::

        create policy "read projects" on public.projects for select to authenticated
            using (user_id = (select auth.uid()) or is_public);

    Use ``as restrictive`` for a condition that must hold in addition to the others.
    """

    name = "multiple-permissive-policies"
    severity = Severity.WARNING
    category = Category.PERFORMANCE
    help = "merge the policies into one per role and command (conditions joined with OR)"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        by_table: dict[str, list] = {}
        for p in ctx.schema.policies:
            if p.permissive:
                by_table.setdefault(p.table, []).append(p)
        for table, policies in by_table.items():
            roles = set(API_ROLES)
            for p in policies:
                roles |= policy_roles(p) - {"public"}
            for role in sorted(roles):
                for command in COMMANDS:
                    hits = [p for p in policies if applies_to(p, role, command)]
                    if len(hits) < 2:
                        continue
                    last = max(hits, key=lambda p: (p.defined_in or ("", 0)))
                    others = ", ".join(repr(p.name) for p in hits if p is not last)
                    yield from report_at(ctx, last.defined_in,
                                         f"policy {last.name!r} is one of {len(hits)} permissive policies on {table} "
                                         f"for role {role} and {command} (with {others}); each is evaluated for "
                                         "every row")
