"""pglast's parser with its node building made cheap: the one place pgmanager turns SQL text into AST nodes.

pglast builds each node in compiled code from libpg_query's C structs, already in final form (tuples,
enums, bools, one-character strings), and then passes every attribute through ``Node.__setattr__``,
which re-validates and re-converts it in Python: about 80% of the time of ``pglast.parse_sql``. Here
that pass is switched off while the compiled code builds the nodes, except for the one class whose
value it still converts (``Boolean``, given a C int by ``A_Const``), so the nodes are identical
(tests/core/test_parse.py compares both trees attribute by attribute, types included); pglast's own
pass is back for every other use of pglast.

While a parse runs, a node built in another thread from raw Python values (a list where pglast wants a
tuple, an enum's name) would not be converted; pgmanager builds no nodes in threads.
"""

from __future__ import annotations

import threading

import pglast
from pglast import ast

__all__ = ["parse_sql"]

SHORT = 256
"""Texts shorter than this (characters) are parsed by pglast as it is."""
_LOCK = threading.Lock()
_CHECKED = ast.Node.__setattr__
# The one value the compiled builder leaves for the check to convert: A_Const's Boolean gets a C int.
# Boolean keeps the check as its own, so switching Node's off below leaves it on.
ast.Boolean.__setattr__ = _CHECKED  # type: ignore[method-assign]


def parse_sql(text: str) -> tuple[ast.RawStmt, ...]:
    """``pglast.parse_sql(text)``, the same nodes about four times faster on a file; raises pglast's ParseError.

    Switching the check costs about 100 us (Python drops the attribute caches of every node class), more
    than checking a short text's few nodes saves: short texts take pglast's own path."""
    if len(text) < SHORT:
        return tuple(pglast.parse_sql(text))
    with _LOCK:
        ast.Node.__setattr__ = object.__setattr__  # type: ignore[assignment]
        try:
            return tuple(pglast.parse_sql(text))
        finally:
            ast.Node.__setattr__ = _CHECKED  # type: ignore[method-assign]
