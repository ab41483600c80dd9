"""What stands in the way of upgrades: extensions behind their default version, columns of reg* types."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from ..models import Severity
from ._base import NOT_EXTENSION_MEMBER, OURS, Advisor, AdvisorContext, Hit

_OUTDATED = """
select e.extname as name, e.extversion as installed, a.default_version as available
from pg_catalog.pg_extension as e
join pg_catalog.pg_available_extensions as a on a.name = e.extname
where a.default_version is not null and e.extversion <> a.default_version
  and exists (select 1 from pg_catalog.pg_available_extension_versions as v
              where v.name = e.extname and v.version = e.extversion)
order by 1
"""

# The reg* types whose values are OIDs pg_upgrade cannot carry over (regclass, regrole and regtype it can).
_REG_TYPES = ("regcollation", "regconfig", "regdictionary", "regnamespace", "regoper", "regoperator", "regproc",
              "regprocedure")

_REG_COLUMNS = sql.SQL("""
select n.nspname || '.' || c.relname as table, a.attname as column, t.typname as type
from pg_catalog.pg_attribute as a
join pg_catalog.pg_class as c on c.oid = a.attrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join pg_catalog.pg_type as t on t.oid = a.atttypid
join pg_catalog.pg_namespace as tn on tn.oid = t.typnamespace
where c.relkind in ('r', 'p', 'm') and a.attnum > 0 and not a.attisdropped
  and tn.nspname = 'pg_catalog' and t.typname = any(%(types)s) and {ours} and {owned}
order by 1, 2
""").format(ours=OURS, owned=NOT_EXTENSION_MEMBER.format(oid=sql.SQL("c.oid")))


class ExtensionVersionsOutdated(Advisor):
    """An extension is installed at an older version than the one the server offers by default.

    **Problem.** Extension updates carry bug and security fixes; an extension left behind (often
    after a server upgrade, which updates the binaries but not the installed SQL objects) runs old
    SQL definitions against new code.

    **Solution.** Update it, after reading its release notes, in a migration::

        alter extension pg_trgm update;
    """

    name = "extension-versions-outdated"
    severity = Severity.WARNING
    category = "security"
    help = "alter extension ... update (to the default version), after reading its release notes"
    splinter = "extension_versions_outdated"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_OUTDATED):
            yield Hit("extension", r["name"], f"extension {r['name']} is at version {r['installed']}, and the server "
                                              f"offers {r['available']}")


class UnsupportedRegTypes(Advisor):
    """A column stores a ``reg*`` type (``regproc``, ``regprocedure``, ``regoper``, ``regoperator``,
    ``regconfig``, ``regdictionary``, ``regnamespace``, ``regcollation``).

    **Problem.** Such values are OIDs of catalog objects, which differ from one cluster to the next:
    ``pg_upgrade`` refuses a database holding them in user tables, so the server cannot be upgraded
    in place (``regclass``, ``regrole`` and ``regtype`` are allowed).

    **Solution.** Store the object's name instead, and cast it when you need the OID::

        alter table public.jobs alter column handler type text using handler::text;
    """

    name = "unsupported-reg-types"
    severity = Severity.WARNING
    category = "correctness"
    help = "store the object's name (text) instead, and cast it where the OID is needed"
    splinter = "unsupported_reg_types"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_REG_COLUMNS, {"types": list(_REG_TYPES)}):
            yield Hit("table", r["table"], f"column {r['column']} of {r['table']} is of type {r['type']}: pg_upgrade "
                                           "cannot upgrade a database holding it")
