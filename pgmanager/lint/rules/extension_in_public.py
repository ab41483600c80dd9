"""An extension installed in an exposed schema."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import is_exposed

_BUILTIN = {"plpgsql"}


class ExtensionInPublic(Rule):
    """An extension is installed in an exposed schema (``public`` by default).

    **Problem.** ``create extension`` without ``schema`` installs into the first schema of the
    search path, usually ``public``. The extension's functions, types and tables then appear in
    the API, some callable by ``anon``, and its many objects crowd the schema where unqualified
    names are resolved, where they can shadow or be shadowed by your own.

    **Solution.** Install extensions into a schema of their own, which the API does not expose::

        create schema if not exists extensions;
        create extension if not exists pg_trgm with schema extensions;

    Or move an installed one: ``alter extension pg_trgm set schema extensions;``.
    """

    name = "extension-in-public"
    severity = Severity.WARNING
    category = Category.SECURITY
    help = "create extension ... with schema extensions (a schema the API does not expose)"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for ext, schema in ctx.schema.extensions.items():
            if ext in _BUILTIN or not is_exposed(f"{schema}.{ext}", ctx.exposed_schemas):
                continue
            # report where the extension last got into that schema: its create, or a later set schema
            last = None
            for doc in ctx.docs:
                for stmt in doc.statements:
                    node = stmt.node
                    if (isinstance(node, ast.CreateExtensionStmt) and node.extname == ext) or (
                            isinstance(node, ast.AlterObjectSchemaStmt)
                            and node.objectType == ObjectType.OBJECT_EXTENSION
                            and getattr(node.object, "sval", None) == ext):
                        last = (doc, stmt)
            if last is not None:
                doc, stmt = last
                yield doc.file, Violation(f"extension {ext} is installed in schema {schema}, which the API exposes",
                                          stmt)
