"""A security definer function in a schema the API exposes."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import is_exposed, report_at


class SecurityDefinerFunctionInExposedSchema(Rule):
    """A ``security definer`` function lives in a schema the API exposes.

    **Problem.** Every function in an exposed schema can be called over the API as
    ``/rpc/<name>`` by any role with ``EXECUTE``, which Supabase grants to ``anon`` and
    ``authenticated`` by default. A ``security definer`` function runs as its owner and skips
    row level security: callers reach whatever it reads or writes, with arguments of their
    choosing.

    **Solution.** Put such helpers in a schema the API does not expose (``private``), revoke
    ``EXECUTE`` from ``public`` and grant it to the roles that need it; or make the function
    ``security invoker``::

        create schema private;
        create function private.is_member(p_project uuid) returns boolean
        language sql stable security definer set search_path = '' as $$ ... $$;
        revoke execute on function private.is_member(uuid) from public;
    """

    name = "security-definer-function-in-exposed-schema"
    severity = Severity.WARNING
    category = Category.SECURITY
    help = "move the function to a schema the API does not expose, or make it security invoker"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for fn in ctx.schema.functions.values():
            if fn.security_definer and is_exposed(fn.name, ctx.exposed_schemas):
                yield from report_at(ctx, fn.defined_in,
                                     f"security definer function {fn.name} is in an exposed schema: any API caller "
                                     "with execute runs it with its owner's rights")
