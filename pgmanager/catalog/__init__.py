"""A live database's tables as its catalog describes them, and how to fill their columns.

- ``_tables``: columns, keys, foreign keys and CHECK constraints read once (``read_catalog``), the
  foreign-key closure and the chain from a table to its owner in ``auth.users``;
- ``_checks``: what a CHECK constraint says about single columns (values, bounds);
- ``_values``: a deterministic SQL value per column from its type and checks, and the fill order.

Shared by bench's data generator and verify's synthesised world; it sits below both.
"""

from ._checks import Facts, column_facts
from ._tables import PLATFORM_SCHEMAS, USERS_TABLE, Column, ForeignKey, Table, closure, owner_path, read_catalog
from ._values import ROW, ColumnValues, Expr, fill_order, install_random, required, salt

__all__ = [
    "PLATFORM_SCHEMAS",
    "ROW",
    "USERS_TABLE",
    "Column",
    "ColumnValues",
    "Expr",
    "Facts",
    "ForeignKey",
    "Table",
    "closure",
    "column_facts",
    "fill_order",
    "install_random",
    "owner_path",
    "read_catalog",
    "required",
    "salt",
]
