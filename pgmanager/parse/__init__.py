"""Parse each SQL file once into a :class:`SqlDocument` shared by lint, analyze, plan and advise."""

from typing import TYPE_CHECKING, Any

from ._classify import is_transaction_control, no_transaction_reason
from ._document import DIRECTIVES, SqlDocument, Statement, parse_file
from ._names import dotted, qualify, qualify_name, rangevar_name
from ._nodes import parse_sql
from ._refs import Predicate, References, SortKey, created_names, references, statement_references, used_names

if TYPE_CHECKING:
    from .volatility import Volatility as Volatility
    from .volatility import default_verdict as default_verdict

__all__ = ["DIRECTIVES", "SqlDocument", "Statement", "created_names", "is_transaction_control",
           "no_transaction_reason", "parse_file", "used_names"]
__all__ += ["dotted", "parse_sql", "qualify", "qualify_name", "rangevar_name"]
__all__ += ["Predicate", "References", "SortKey", "references", "statement_references"]
# volatility() stays in .volatility: it would shadow the module. The module loads on first use: it pulls in
# pglast's visitors and printers, which migrate and plan never need.
_VOLATILITY = ["Volatility", "default_verdict"]
__all__ += _VOLATILITY


def __getattr__(name: str) -> Any:
    if name in _VOLATILITY:
        from . import volatility

        return getattr(volatility, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
