"""Supabase's own objects: public storage buckets whose objects anyone may list, foreign keys to auth's unique keys."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from psycopg import sql

from ..lint.policy_facts import is_true_constant, policy_roles
from ..models import Severity
from ._base import OURS, Advisor, AdvisorContext, Hit, Skipped
from .rls import STORAGE_POLICIES, as_policies

_READABLE = """
select pg_catalog.has_table_privilege(c.oid, 'select') and (r.rolsuper or r.rolbypassrls or c.relowner = r.oid
                                                             or not c.relrowsecurity)
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join pg_catalog.pg_roles as r on r.rolname = current_user
where n.nspname = 'storage' and c.relname = 'buckets'
"""

_PUBLIC_BUCKETS = "select id::text as id, name::text as name from storage.buckets where public order by id"

_FKEYS_TO_AUTH_UNIQUE = sql.SQL("""
select n.nspname || '.' || c.relname as table, k.conname as name, rn.nspname || '.' || r.relname as ref
from pg_catalog.pg_constraint as k
join pg_catalog.pg_class as c on c.oid = k.conrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join pg_catalog.pg_class as r on r.oid = k.confrelid
join pg_catalog.pg_namespace as rn on rn.oid = r.relnamespace
join pg_catalog.pg_index as i on i.indexrelid = k.conindid
where k.contype = 'f' and rn.nspname = 'auth' and {ours} and i.indisunique and not i.indisprimary
order by 1, 2
""").format(ours=OURS)


def _bucket_only(node: ast.Node | None) -> str | None:
    """The bucket id of a condition that is only ``bucket_id = '<id>'`` (a cast allowed), else None."""
    if not (isinstance(node, ast.A_Expr) and [getattr(n, "sval", "") for n in node.name or ()] == ["="]):
        return None
    sides = [node.lexpr, node.rexpr]
    column = next((s for s in sides if isinstance(s, ast.ColumnRef)), None)
    if column is None or getattr((column.fields or ())[-1], "sval", None) != "bucket_id":
        return None
    other = sides[1] if sides[0] is column else sides[0]
    if isinstance(other, ast.TypeCast):
        other = other.arg
    value = getattr(getattr(other, "val", None), "sval", None) if isinstance(other, ast.A_Const) else None
    return value if isinstance(value, str) else None


class PublicBucketAllowsListing(Advisor):
    """A public storage bucket has a ``select`` policy on ``storage.objects`` that lets anyone list its files.

    **Problem.** A public bucket serves each file by its URL without any policy. A ``select`` policy
    for ``anon``, ``authenticated`` or ``public`` that admits every object of the bucket (``using
    (bucket_id = 'avatars')``, or ``using (true)``) adds something else: anyone may *list* the
    bucket, and so find every file, including those whose URLs were never shared.

    **Decision.** Read from ``storage.buckets`` (a table, not the catalog): with a role that cannot
    read it whole (no ``select`` grant, or row level security in the way), the advisor is skipped
    and the report says why.

    **Solution.** Drop the policy if nobody needs to list the bucket (public URLs keep working), or
    narrow it to the objects a user owns::

        drop policy "avatars are listed" on storage.objects;
    """

    name = "public-bucket-allows-listing"
    severity = Severity.WARNING
    category = "security"
    help = "drop the select policy (public URLs work without it) or narrow it to the user's own objects"
    needs_storage = True
    splinter = "public_bucket_allows_listing"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        readable = ctx.rows(_READABLE)
        if not (readable and next(iter(readable[0].values()))):
            raise Skipped("cannot read every row of storage.buckets as this role")
        buckets = ctx.rows(_PUBLIC_BUCKETS)
        if not buckets:
            return
        listing = [p for p in as_policies(ctx.rows(STORAGE_POLICIES))
                   if p.permissive and p.command in ("select", "all")
                   and policy_roles(p) & {"public", "anon", "authenticated"}]
        for b in buckets:
            names = sorted(p.name for p in listing if p.using_node is None or is_true_constant(p.using_node)
                           or _bucket_only(p.using_node) == b["id"])
            if names:
                yield Hit("policy", names[-1], f"public bucket {b['name']} can be listed by anyone: policy "
                          f"{', '.join(repr(n) for n in names)} on storage.objects admits all its objects",
                          table="storage.objects")


class FkeyToAuthUnique(Advisor):
    """A foreign key references a unique constraint of the ``auth`` schema (not its primary key).

    **Problem.** Supabase owns the ``auth`` schema and may change its unique constraints in an
    update (emails and phone numbers are not unique across every kind of identity); a foreign key
    to one blocks that migration or breaks when the constraint changes.

    **Solution.** Reference ``auth.users (id)``, the primary key, and look the other column up::

        alter table public.profiles drop constraint profiles_email_fkey;
        alter table public.profiles add column user_id uuid references auth.users (id);
    """

    name = "fkey-to-auth-unique"
    severity = Severity.ERROR
    category = "security"
    help = "reference the primary key of the auth table (auth.users (id)) instead"
    splinter = "fkey_to_auth_unique"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_FKEYS_TO_AUTH_UNIQUE):
            yield Hit("constraint", r["name"], f"foreign key {r['name']} on {r['table']} references a unique "
                                               f"constraint of {r['ref']}, not its primary key", table=r["table"])
