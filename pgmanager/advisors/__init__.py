"""Live advisors: checks of a PostgreSQL database built from its catalogs, the equivalent of the Supabase
database linter (splinter), one module per group of checks:

- ``rls``: row level security on tables, and what the policies say (parsed back from the catalog);
- ``indexes``: foreign keys without an index, tables without a primary key, duplicate and unused indexes;
- ``api``: what the API serves (views bypassing RLS, auth.users, materialized views, foreign tables,
  sensitive columns, extensions in an exposed schema);
- ``functions``: mutable search_path, security definer functions the API roles may execute;
- ``upgrades``: extensions behind their default version, columns of reg* types pg_upgrade refuses.

Advisors only read: they run in one read-only transaction, rolled back. Where a static lint rule checks
the same thing, the advisor is its live twin and shares its name, level, fix line and documentation.
"""

from . import api, functions, indexes, rls, supabase, upgrades  # noqa: F401  -- importing registers each group
from ._base import Advisor, AdvisorContext, Hit, registry
from ._run import Outcome, locate, parse_db_schemas, run

__all__ = ["Advisor", "AdvisorContext", "Hit", "Outcome", "locate", "parse_db_schemas", "registry", "run"]
