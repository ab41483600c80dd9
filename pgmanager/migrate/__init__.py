"""Versioned migrations and repeatables: a pure plan, then a safe apply."""

from .apply import Applier, LockTimeout, Timeouts, rollback_step, statement_error
from .plan import make_plan, order_repeatables, parse_all

__all__ = ["Applier", "LockTimeout", "Timeouts", "make_plan", "order_repeatables", "parse_all", "rollback_step",
           "statement_error"]
