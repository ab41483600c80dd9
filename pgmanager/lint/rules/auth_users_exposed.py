"""A view in an exposed schema reads auth.users."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import base_relations, is_exposed, report_at

AUTH_USERS = "auth.users"


class AuthUsersExposed(Rule):
    """A view (or materialized view) in an exposed schema reads ``auth.users``.

    **Problem.** ``auth.users`` holds every user's email, phone, metadata and sign-in data, and is
    out of the API's reach on purpose. A view in an exposed schema that selects from it runs with
    its owner's rights (which can read ``auth.users``), so the API serves those rows to anyone
    allowed to select from the view, ``anon`` included by Supabase's default grants. Views over
    such views count too.

    A view with ``security_invoker = true`` is not reported: the caller then needs privileges on
    ``auth.users`` itself, which the API roles do not have.

    **Solution.** Keep a profile table of your own in ``public`` with only the columns the app may
    show, protected by RLS and filled by a trigger on ``auth.users``; or put the view in a schema
    the API does not expose.
    """

    name = "auth-users-exposed"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "do not expose auth.users: use a public profile table with RLS, or a view outside the exposed schemas"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for view in ctx.schema.views.values():
            if not is_exposed(view.name, ctx.exposed_schemas):
                continue
            if view.security_invoker and not view.materialized:
                continue
            if AUTH_USERS in base_relations(ctx.schema, view.relations):
                kind = "materialized view" if view.materialized else "view"
                yield from report_at(ctx, view.defined_in,
                                     f"{kind} {view.name} exposes {AUTH_USERS} through the API with its owner's "
                                     "rights")
