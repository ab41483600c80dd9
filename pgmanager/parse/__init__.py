"""Parse each SQL file once into a :class:`SqlDocument` shared by lint, analyze, plan and advise."""

from ._classify import is_transaction_control, no_transaction_reason
from ._document import DIRECTIVES, SqlDocument, Statement, parse_file
from ._refs import created_names, qualify, used_names

__all__ = ["DIRECTIVES", "SqlDocument", "Statement", "created_names", "is_transaction_control",
           "no_transaction_reason", "parse_file", "qualify", "used_names"]
