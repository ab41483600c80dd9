"""The library: one plain function per command. Returns models, raises PgmError, never prints.

The CLI calls these functions, and so does any other front end. Each area keeps its
functions in its own private module here; this package re-exports them, loading each on first use.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._analyze import analyze
    from ._core import build_database, check, findings, load, project_migrator, require_clean, sandbox_down, sandbox_up
    from ._lint import lint, lint_rules
    from ._migrate import history, is_supabase, migrate, plan, repair, rollback, status
    from ._verify import verify

__getattr__, __all__ = lazy_exports(__name__, {
    "._analyze": ("analyze",),
    "._core": ("build_database", "check", "findings", "load", "project_migrator", "require_clean", "sandbox_down",
               "sandbox_up"),
    "._lint": ("lint", "lint_rules"),
    "._migrate": ("history", "is_supabase", "migrate", "plan", "repair", "rollback", "status"),
    "._verify": ("verify",),
})
