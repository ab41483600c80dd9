"""Identifiers longer than 63 bytes are silently truncated."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pglast.parser import scan

from ...models import FileKind, Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation

NAMEDATALEN = 63
_LONG_ASCII = re.compile(r'[A-Za-z0-9_$]{64,}|"[^"]{64,}"')


def long_names(sql: str) -> Iterator[tuple[str, int, int]]:
    """Identifiers over 63 bytes in ``sql``: (name, byte length, character offset).

    Read from the scanner's tokens: the parser has already truncated them in the AST."""
    if sql.isascii() and not _LONG_ASCII.search(sql):
        return  # the common case, without scanning: no run of 64 identifier characters at all
    raw = sql.encode("utf-8")
    seen: set[str] = set()
    for tok in scan(sql):
        if tok.name != "IDENT":
            continue
        text = raw[tok.start : tok.end + 1].decode("utf-8", errors="replace")
        name = text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()
        size = len(name.encode("utf-8"))
        if size > NAMEDATALEN and name not in seen:
            seen.add(name)
            yield name, size, len(raw[: tok.start].decode("utf-8", errors="replace"))


class IdentifierTooLong(Rule):
    """Identifiers longer than 63 bytes are silently truncated.

    **Problem.** PostgreSQL cuts every identifier to 63 bytes (``NAMEDATALEN - 1``) with only a
    notice. Two long names sharing their first 63 bytes then collide, and a later migration or a
    ``drop ... if exists`` naming the full name does not find the object it means.

    **Solution.** Keep names of tables, columns, indexes, constraints, policies and functions to 63
    bytes or less (mind multi-byte characters)::

        create index items_owner_created_idx on items (owner_id, created_at);
    """

    name = "identifier-too-long"
    severity = Severity.ERROR
    category = Category.CORRECTNESS
    help = "shorten the name to 63 bytes or less: PostgreSQL truncates longer identifiers"
    kinds = frozenset({FileKind.MIGRATION, FileKind.POLICY, FileKind.VIEW})

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        for name, size, offset in long_names(stmt.text):
            yield Violation(f"identifier {name[:40]!r}... is {size} bytes: PostgreSQL truncates it to 63",
                            stmt, offset=stmt.start + offset)
