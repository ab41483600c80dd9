"""Object names read from the pglast AST, spelled one way everywhere: schema-qualified, ``public`` when bare.

Each helper returns ``""`` when there is no name (no node, no parts); callers that mean "no object"
by ``None`` write ``name or None``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast


def qualify(schema: str | None, name: str | None, default_schema: str = "public") -> str:
    """``schema.name``, with ``default_schema`` when no schema is given."""
    return f"{schema or default_schema}.{name}"


def qualify_name(name: str, default_schema: str = "public") -> str:
    """A name as written in text (``users``, ``app.users``), schema-qualified (``public.users``)."""
    return name if "." in name else qualify(None, name, default_schema)


def dotted(parts: Iterable[ast.Node] | None) -> str:
    """The name in a list of String nodes (``funcname``, ``objname``, a DROP's object): its last two parts,
    schema-qualified; ``""`` for no parts."""
    names = [getattr(p, "sval", "") or "" for p in parts or ()]
    return qualify(names[-2] if len(names) > 1 else None, names[-1]) if names else ""


def rangevar_name(rv: ast.RangeVar | None) -> str:
    """The schema-qualified name of a RangeVar (a table, view or sequence); ``""`` for none."""
    return qualify(rv.schemaname, rv.relname) if rv is not None and rv.relname else ""
