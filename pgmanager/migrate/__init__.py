"""Versioned migrations and repeatables: a pure plan, then a safe apply."""

from .apply import Applier, Timeouts, rollback_step
from .failures import LockTimeout, statement_error
from .plan import changed_names, make_plan, order_repeatables, parse_all
from .render import render_sql
from .status import invalid_index_models, status_entries

__all__ = ["Applier", "LockTimeout", "Timeouts", "changed_names", "invalid_index_models", "make_plan",
           "order_repeatables", "parse_all", "render_sql", "rollback_step", "statement_error", "status_entries"]
