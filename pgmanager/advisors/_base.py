"""The advisors' API: an advisor, what it sees of the database, and what it reports.

An advisor is a class: subclassing :class:`Advisor` with a ``name`` (or a ``twin``) registers it.
Where a static lint rule checks the same thing, the advisor names it as its ``twin`` and takes the
rule's name, level, category, fix line and documentation page from it: the finding has one
definition, wherever it is found. An advisor without a twin declares them itself, and its docstring
is its documentation (docs/advisors.md, one anchor per advisor).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import psycopg
from pglast import ast, parse_sql
from psycopg import sql
from psycopg.rows import dict_row

from ..lint import registry as rule_registry
from ..models import Severity

DOCS_PAGE = "docs/advisors.md"

ROLE_PRIVILEGE = sql.SQL("(pg_catalog.has_table_privilege('anon', c.oid, 'select') "
                         "or pg_catalog.has_table_privilege('authenticated', c.oid, 'select'))")
"""A relation ``c`` the API roles may read (only where those roles exist)."""

OURS = sql.SQL("(n.nspname <> all(%(platform)s) and n.nspname !~ '^pg_')")
"""A schema ``n`` of the project's, not of PostgreSQL or the platform (Supabase, extensions)."""

EXPOSED = sql.SQL("(n.nspname = any(%(exposed)s))")
"""A schema ``n`` the API exposes."""

NOT_EXTENSION_MEMBER = sql.SQL("not exists (select 1 from pg_catalog.pg_depend as e "
                               "where e.objid = {oid} and e.deptype = 'e')")
"""An object no extension owns (format with ``oid``: the object's oid column)."""


@dataclass(frozen=True)
class Hit:
    """One thing an advisor found: the object (``kind`` and schema-qualified ``name``) and what is wrong."""

    kind: str
    """table, view, materialized view, foreign table, index, constraint, policy, function, extension; or
    rls: a table, placed where its row level security is enabled."""
    name: str
    message: str
    table: str | None = None
    """The table of a policy, an index or a constraint (where the object is looked up in the project)."""


@dataclass
class AdvisorContext:
    """What an advisor sees: one connection in a read-only transaction, and the facts of the target."""

    conn: psycopg.Connection
    exposed_schemas: list[str]
    platform_schemas: Sequence[str]
    api_roles: bool
    """anon and authenticated exist (Supabase, or its emulation)."""
    auth_users: bool
    """auth.users exists."""
    storage_buckets: bool
    """storage.buckets exists (Supabase storage, or its emulation)."""
    server_version: int
    statistics: bool = True
    """The target's usage statistics mean something (False on a freshly built sandbox)."""
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    """What advisors of one run share (rows, parsed policies)."""

    def rows(self, query: sql.Composable | str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a catalog query as dicts; ``platform`` and ``exposed`` are always bound."""
        args = {"platform": list(self.platform_schemas), "exposed": list(self.exposed_schemas), **(params or {})}
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(query, args).fetchall()  # type: ignore[arg-type]

    def shared(self, key: str, query: sql.Composable | str) -> list[dict[str, Any]]:
        """Rows of a query several advisors read (the policies), fetched once per run."""
        if key not in self.cache:
            self.cache[key] = self.rows(query)
        return list(self.cache[key])


class Skipped(Exception):
    """Raised by an advisor that finds, once running, that it cannot judge this target (the reason)."""


_REGISTRY: dict[str, type[Advisor]] = {}


class Advisor(ABC):
    """Base of every advisor. Subclass it with a ``twin`` (a lint rule's name) or a ``name``."""

    twin: ClassVar[str | None] = None
    name: ClassVar[str]
    severity: ClassVar[Severity]
    category: ClassVar[str]
    help: ClassVar[str]
    needs_api_roles: ClassVar[bool] = False
    """Supabase-only: runs where the anon and authenticated roles exist."""
    needs_auth_users: ClassVar[bool] = False
    """Supabase-only: runs where auth.users exists."""
    needs_storage: ClassVar[bool] = False
    """Supabase-only: runs where storage.buckets exists."""
    needs_statistics: ClassVar[bool] = False
    """Reads usage statistics: not run on a freshly built sandbox, where every counter is zero."""
    splinter: ClassVar[str] = ""
    """The Supabase database linter's lint this one matches (its name there)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        twin = cls.__dict__.get("twin")
        if twin:
            rule = rule_registry().get(twin)
            if rule is None:
                raise TypeError(f"advisor {cls.__qualname__} names an unknown lint rule {twin!r} as its twin")
            cls.name, cls.severity, cls.category, cls.help = rule.name, rule.severity, rule.category.value, rule.help
        name = cls.__dict__.get("name") or (twin if twin else None)
        if not name:
            return  # an abstract helper base
        for attr in ("severity", "category", "help"):
            if not hasattr(cls, attr):
                raise TypeError(f"advisor {name!r} lacks {attr}")
        other = _REGISTRY.get(name)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"advisor {name!r} is defined twice ({other.__module__} and {cls.__module__})")
        _REGISTRY[name] = cls

    @abstractmethod
    def check(self, ctx: AdvisorContext) -> Iterable[Hit]: ...

    @classmethod
    def runs_on(cls, ctx: AdvisorContext) -> str | None:
        """Why this advisor does not run on the target, or None when it does."""
        if cls.needs_api_roles and not ctx.api_roles:
            return "no anon and authenticated roles (not Supabase)"
        if cls.needs_auth_users and not ctx.auth_users:
            return "no auth.users (not Supabase)"
        if cls.needs_storage and not ctx.storage_buckets:
            return "no storage.buckets (not Supabase)"
        if cls.needs_statistics and not ctx.statistics:
            return "needs the usage statistics of a live database (a fresh sandbox has none)"
        return None

    @classmethod
    def docs(cls) -> str:
        """The finding's documentation: the twin rule's docstring, else this advisor's."""
        source = rule_registry()[cls.twin] if cls.twin else cls
        return inspect.cleandoc(source.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.docs().split("\n\n", 1)[0].replace("\n", " ").strip()

    @classmethod
    def docs_page(cls) -> str:
        """Where the finding is documented in this repository: the twin's page, or an anchor of docs/advisors.md."""
        return f"docs/rules/{cls.twin}.md" if cls.twin else f"{DOCS_PAGE}#{cls.name}"


def registry() -> dict[str, type[Advisor]]:
    """Every registered advisor by name (pgmanager.advisors imports the group modules, which fill it)."""
    return dict(sorted(_REGISTRY.items()))


def parse_expression(text: str | None) -> ast.Node | None:
    """The AST of an SQL expression as the catalog prints it (``pg_get_expr``), or None."""
    if not text:
        return None
    try:
        stmt = parse_sql(f"select {text}")[0].stmt
    except Exception:  # a catalog expression always parses; be safe with a newer server's syntax
        return None
    targets = getattr(stmt, "targetList", None) or ()
    return targets[0].val if targets else None
