"""The library: one plain function per command. Returns models, raises PgmError, never prints.

The CLI, the JSON task protocol and the MCP server all call these functions. Each area keeps its
functions in its own private module here; this package re-exports them.
"""

from ._analyze import analyze
from ._core import build_database, check, findings, load, project_migrator, require_clean, sandbox_down, sandbox_up
from ._lint import lint, lint_rules
from ._migrate import history, is_supabase, migrate, plan, repair, rollback, status
from ._verify import verify

__all__ = [
    "analyze",
    "build_database",
    "check",
    "findings",
    "history",
    "is_supabase",
    "lint",
    "lint_rules",
    "load",
    "migrate",
    "plan",
    "project_migrator",
    "repair",
    "require_clean",
    "rollback",
    "sandbox_down",
    "sandbox_up",
    "status",
    "verify",
]
