"""The lint engine's public API: rules, violations, fixes and the contexts rules read.

A rule is a class: subclassing :class:`Rule` with a ``name`` registers it (once, by name). Its
docstring is its documentation page. Rules look at one statement (``check_statement``), a whole
file (``check_file``) or the whole project (``check_project``); they never touch a database.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from ..models import FileKind, Severity, SqlFile
from ..parse import SqlDocument, Statement, created_names

if TYPE_CHECKING:
    from ..schema import SchemaModel
    from ._config import RuleSettings


class Category(StrEnum):
    SAFETY = "safety"
    SECURITY = "security"
    PERFORMANCE = "performance"
    CORRECTNESS = "correctness"
    STYLE = "style"


@dataclass(frozen=True)
class TextEdit:
    """Replace ``text[start:end]`` of the file with ``replacement`` (an insertion when start == end)."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A mechanical fix: text edits on the file's original text (non-overlapping)."""

    description: str
    edits: tuple[TextEdit, ...]

    @classmethod
    def insert(cls, description: str, offset: int, text: str) -> Fix:
        return cls(description, (TextEdit(offset, offset, text),))

    @classmethod
    def replace(cls, description: str, start: int, end: int, text: str) -> Fix:
        return cls(description, (TextEdit(start, end, text),))


@dataclass(frozen=True)
class Violation:
    """What a rule reports. The position comes from ``stmt`` unless ``line`` (and ``col``) are given."""

    message: str
    stmt: Statement | None = None
    line: int | None = None
    col: int | None = None
    fix: Fix | None = None
    offset: int | None = None
    """A character offset in the file, an alternative to line/col (e.g. a node's ``location``)."""


_REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    """Base of every lint rule. Subclass it with a ``name`` to register a rule."""

    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    category: ClassVar[Category]
    help: ClassVar[str]
    kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.MIGRATION})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not name:
            return  # an abstract helper base
        other = _REGISTRY.get(name)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"lint rule {name!r} is defined twice ({other.__module__} and {cls.__module__})")
        for attr in ("category", "help"):
            if not hasattr(cls, attr):
                raise TypeError(f"lint rule {name!r} lacks {attr}")
        _REGISTRY[name] = cls

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        return ()

    def check_file(self, ctx: FileContext) -> Iterable[Violation]:
        for stmt in ctx.doc.statements:
            ctx.current = stmt
            yield from self.check_statement(stmt, ctx)
        ctx.current = None

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        return ()

    @classmethod
    def is_project_rule(cls) -> bool:
        return cls.check_project is not Rule.check_project

    @classmethod
    def docs(cls) -> str:
        """The rule's documentation: its docstring, dedented."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.docs().split("\n\n", 1)[0].replace("\n", " ").strip()


def registry() -> dict[str, type[Rule]]:
    """Every registered rule by name (pgmanager.lint imports pgmanager.lint.rules, which fills it)."""
    return dict(sorted(_REGISTRY.items()))


@dataclass
class FileContext:
    """What a rule sees of one file: its document, the schema before it, how it will run."""

    doc: SqlDocument
    schema: SchemaModel
    """The project's schema model BEFORE this file is applied."""
    settings: RuleSettings | None = None
    """The settings rules may read (the cache is keyed on them)."""
    current: Statement | None = field(default=None, repr=False)
    """The statement being checked (set by the default ``check_file``)."""

    @property
    def file(self) -> SqlFile:
        return self.doc.file

    def in_transaction(self, stmt: Statement | None = None) -> bool:
        """Whether statements of this file run inside a transaction, as migrate will run them:
        False when any statement of the file cannot run in one (the whole file then runs without)."""
        return self._transactional

    @cached_property
    def _transactional(self) -> bool:
        return self.doc.transactional

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {id(s): i for i, s in enumerate(self.doc.statements)}

    @cached_property
    def _created(self) -> list[set[str]]:
        seen: set[str] = set()
        before: list[set[str]] = []
        for stmt in self.doc.statements:
            before.append(set(seen))
            seen |= created_names(stmt.node)
        before.append(seen)
        return before

    def created_before(self, stmt: Statement) -> set[str]:
        """Relations and functions created by earlier statements of this file (schema-qualified)."""
        return self._created[self._positions.get(id(stmt), len(self.doc.statements))]

    @property
    def created_in_file(self) -> set[str]:
        """Tables created earlier in this file than the current statement (all of the file when none)."""
        return self.created_before(self.current) if self.current is not None else self._created[-1]


@dataclass
class ProjectContext:
    """What a project rule sees: every document in apply order and the final schema model."""

    docs: list[SqlDocument]
    schema: SchemaModel
    exposed_schemas: list[str]
    settings: RuleSettings | None = None

    def doc_for(self, display: str) -> SqlDocument | None:
        """The document of one file (parsing only that file when the documents are read lazily)."""
        find = getattr(self.docs, "find", None)
        if find is not None:
            return find(display)
        return next((d for d in self.docs if d.file.display == display), None)
