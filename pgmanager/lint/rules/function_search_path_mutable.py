"""A function without a fixed search_path."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import report_at

_COMPILED = {"c", "internal"}


class FunctionSearchPathMutable(Rule):
    """A function does not set its ``search_path``.

    **Problem.** Unqualified names in a function body are looked up through the caller's
    ``search_path``. A caller who can create objects in a schema on that path (or who sets the
    path) can put their own table, operator or function in front of the one meant, and run code
    as the function's owner when it is ``security definer``. Even for ordinary functions the
    result then depends on who calls.

    **Solution.** Pin the path, preferably to empty, and qualify every name in the body::

        create function public.touch() returns trigger language plpgsql
        set search_path = ''
        as $$ begin new.updated_at := pg_catalog.now(); return new; end; $$;

    ``alter function ... set search_path = ''`` in a later migration counts too.
    """

    name = "function-search-path-mutable"
    severity = Severity.WARNING
    category = Category.SECURITY
    help = "add set search_path = '' to the function (and schema-qualify the names in its body)"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for fn in ctx.schema.functions.values():
            if fn.search_path_set or fn.language.lower() in _COMPILED:
                continue
            kind = "security definer function" if fn.security_definer else "function"
            yield from report_at(ctx, fn.defined_in,
                                 f"{kind} {fn.name} has no fixed search_path: its names resolve through the "
                                 "caller's search_path")
