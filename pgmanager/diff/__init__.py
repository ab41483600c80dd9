"""Schema drift: a live database against what the project's SQL builds.

- ``_catalog``: one database's schema as generic objects keyed by (kind, identity), and pg_depend's edges;
- ``_compare``: the differences (missing in live, extra in live, changed with before and after), and what a
  Supabase target owns;
- ``_ddl`` and ``_script``: a migration bringing the live database to the project's state, in dependency order,
  destructive statements marked and commented out unless allowed.
"""

from ._catalog import Obj, Snapshot, read
from ._compare import CHANGED, EXTRA, MISSING, Change, compare, keep_platform_objects, project_created
from ._script import Action, plan, render_script

__all__ = ["CHANGED", "EXTRA", "MISSING", "Action", "Change", "Obj", "Snapshot", "compare", "keep_platform_objects",
           "plan", "project_created", "read", "render_script"]
