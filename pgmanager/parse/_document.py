"""SqlDocument: a file parsed once by pglast, statements with their positions."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import accumulate

import pglast
from pglast import ast

from ..config import check_directive
from ..models import Finding, Severity, SqlFile
from ._classify import no_transaction_reason_json
from ._nodes import parse_sql

_DIRECTIVE = re.compile(r"^\s*--\s*pgmanager:\s*(?P<body>.*)$", re.MULTILINE)
DIRECTIVES = {"lock_timeout", "lock_timeout_max", "statement_timeout", "lock_retries"}


@dataclass(frozen=True)
class Statement:
    """One statement of a file: its text, where it stands, and its AST node (built on first use)."""

    index: int
    text: str
    start: int
    end: int
    line: int
    col: int
    end_line: int
    leading: str = field(repr=False, default="")
    """The text between the previous statement and this one: its comments."""
    kind: str = ""
    """The node type, e.g. CreateStmt."""
    no_transaction: str | None = None
    """Why it cannot run inside a transaction block, or None."""
    _nodes: Callable[[], tuple[ast.Node, ...]] = field(repr=False, compare=False, default=tuple)

    @cached_property
    def node(self) -> ast.Node:
        """The pglast node; the whole file's nodes are built once, the first time any is asked for."""
        return self._nodes()[self.index]


@dataclass(frozen=True)
class SqlDocument:
    """A parsed file. ``error`` is set (and ``statements`` empty) when the file does not parse."""

    file: SqlFile
    statements: tuple[Statement, ...]
    error: Finding | None = None
    directives: dict[str, str] = field(default_factory=dict)
    problems: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    @property
    def transactional(self) -> bool:
        """False when any statement must run outside a transaction block."""
        return not any(s.no_transaction for s in self.statements)

    @cached_property
    def _lines(self) -> _Lines:
        return _Lines(self.file.text)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset in the file."""
        return self._lines.position(offset)


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0, *accumulate(len(line) + 1 for line in text.split("\n")[:-1])]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset."""
        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _error(file: SqlFile, rule: str, message: str, line: int = 1, col: int = 1) -> Finding:
    return Finding(rule=rule, severity=Severity.ERROR, message=message, file=file.display, line=line, col=col)


def _directives(file: SqlFile, lines: _Lines) -> tuple[dict[str, str], list[Finding]]:
    """``-- pgmanager: key=value ...`` lines; a value out of its setting's range is a bad-directive finding."""
    found: dict[str, str] = {}
    problems: list[Finding] = []
    for m in _DIRECTIVE.finditer(file.text):
        for pm in re.finditer(r"\S+", m.group("body")):
            part = pm.group()
            line, col = lines.position(m.start("body") + pm.start())
            key, sep, value = part.partition("=")
            if not sep or key not in DIRECTIVES or not value:
                problems.append(
                    _error(file, "bad-directive",
                           f"unknown directive {part!r}; use key=value with key one of {', '.join(sorted(DIRECTIVES))}",
                           line, col)
                )
                continue
            reason = check_directive(key, value)
            if reason is not None:
                problems.append(_error(file, "bad-directive", f"directive {part}: {reason}", line, col))
            else:
                found[key] = value
    return found, problems


def _byte_to_char(text: str) -> Callable[[int], int]:
    """libpg_query counts bytes of UTF-8; Python strings count characters."""
    if text.isascii():
        return lambda offset: offset
    data = text.encode("utf-8")
    return lambda offset: len(data[:offset].decode("utf-8", errors="ignore"))


class Documents:
    """The parse-once store: each file's document, keyed by (path, checksum), the least recently used
    dropped past ``maxsize`` so that a long-running process does not grow without bound."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._docs: OrderedDict[tuple[str, str], SqlDocument] = OrderedDict()

    def get(self, file: SqlFile) -> SqlDocument:
        key = (file.display, file.checksum)
        doc = self._docs.get(key)
        if doc is not None and doc.file.text == file.text:
            self._docs.move_to_end(key)
            return doc
        doc = self._docs[key] = _parse(file)
        if len(self._docs) > self.maxsize:
            self._docs.popitem(last=False)
        return doc

    def __len__(self) -> int:
        return len(self._docs)


DOCUMENTS = Documents()


def parse_file(file: SqlFile) -> SqlDocument:
    """A file's document, parsed with pglast once per (path, checksum) (:data:`DOCUMENTS`)."""
    return DOCUMENTS.get(file)


def _parse(file: SqlFile) -> SqlDocument:
    text = file.text
    lines = _Lines(text)
    directives, problems = _directives(file, lines)
    if not text.strip():
        return SqlDocument(file, (), _error(file, "empty-file", "file holds no SQL statement"), directives)
    try:
        # libpg_query's own JSON is ~10x cheaper than pglast's Python nodes; those are built lazily
        raw = json.loads(pglast.parser.parse_sql_json(text)).get("stmts", [])
    except pglast.parser.ParseError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        line, col = lines.position(min(offset, len(text)))
        return SqlDocument(file, (), _error(file, "syntax-error", message, line, col), directives)
    to_char = _byte_to_char(text)

    @cache
    def nodes() -> tuple[ast.Node, ...]:
        # one node per raw statement, in the same order as libpg_query's JSON list
        return tuple(rs.stmt for rs in parse_sql(text))  # type: ignore[misc]

    statements: list[Statement] = []
    prev_end = 0
    for i, rs in enumerate(raw):
        ((kind, body),) = rs["stmt"].items()
        location = rs.get("stmt_location", 0)  # omitted when 0, like every zero in this JSON
        start = to_char(location)
        end = to_char(location + rs["stmt_len"]) if rs.get("stmt_len") else len(text)
        stripped = text[start:end].strip()
        if not stripped:
            continue
        line, col = lines.position(start)
        end_line, _ = lines.position(max(start, start + len(text[start:end].rstrip()) - 1))
        statements.append(Statement(i, stripped, start, end, line, col, end_line, text[prev_end:start], kind,
                                    no_transaction_reason_json(kind, body), nodes))
        prev_end = end + 1
        if kind == "TransactionStmt":
            problems.append(
                _error(file, "transaction-control",
                       "transaction control in a file: pgmanager runs each migration in its own transaction "
                       "(or outside one when a statement requires it); remove BEGIN/COMMIT",
                       line, col)
            )
    if not statements:
        return SqlDocument(file, (), _error(file, "empty-file", "file holds no SQL statement"), directives)
    return SqlDocument(file, tuple(statements), None, directives, tuple(problems))
