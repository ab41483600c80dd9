"""The schema model: tables, columns, indexes, foreign keys, views, functions, policies and extensions as
the project's SQL leaves them, replayed from the parsed files in apply order without a database.

Lint's project-aware rules read it, analyze builds its dependency graph on it. It sits below both and
above ``pgmanager.parse`` and ``pgmanager.project``: it never imports a feature, psycopg or the database.
"""

from ._model import SchemaModel, build_model
from ._objects import (
    ColumnInfo,
    ForeignKeyInfo,
    FunctionInfo,
    IndexInfo,
    PolicyInfo,
    TableInfo,
    ViewInfo,
    Where,
    deparse,
    parse_expression,
    type_name,
)
from ._order import applied_files, apply_order, select_files
from ._replay import Replay, Snapshots
from ._types import retype_without_rewrite

__all__ = [
    "ColumnInfo",
    "ForeignKeyInfo",
    "FunctionInfo",
    "IndexInfo",
    "PolicyInfo",
    "Replay",
    "SchemaModel",
    "Snapshots",
    "TableInfo",
    "ViewInfo",
    "Where",
    "applied_files",
    "apply_order",
    "build_model",
    "deparse",
    "parse_expression",
    "retype_without_rewrite",
    "select_files",
    "type_name",
]
