"""What a policy spec says, once read: cases with their expectations, identities, oracles, the fuzz world and
the intended denials (policies/tests/*.yaml; the reader is pgmanager.policies._spec)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._identity import Identity

SPEC_FOLDER = "tests"  # inside the policies folder
SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
BUILTIN_ROLES = ("anon", "authenticated", "service_role")
MATRIX_ROLES = ("owner", "member", "stranger")
EXPECTATIONS = ("rows", "count", "empty", "error", "affected", "ok")
COMMANDS = ("select", "insert", "update", "delete")


@dataclass(frozen=True)
class Expect:
    """What must happen: exactly one of rows, count, empty, error (SQLSTATE), affected, ok."""

    kind: str
    value: Any = None
    ordered: bool = False


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    name: str
    identity: Identity
    sql: str
    expect: Expect
    setup: tuple[str, ...] = ()
    commit: bool = False


@dataclass(frozen=True)
class Oracle:
    """The independent visibility predicate of one table, over ``t`` (the row) and ``viewer`` (id, role)."""

    table: str
    predicate: str
    file: str
    line: int


@dataclass(frozen=True)
class Generator:
    """How the fuzzer fills one column: user, uuid, ref, choice (each optionally nullable)."""

    kind: str
    values: tuple[Any, ...] = ()
    ref: str | None = None
    nullable: bool = False


@dataclass(frozen=True)
class WorldTable:
    table: str
    columns: dict[str, Generator]
    max: int = 3
    per_user: bool = False


@dataclass(frozen=True)
class World:
    file: str
    users: int
    tables: tuple[WorldTable, ...]


@dataclass(frozen=True)
class IntendedDenial:
    """A granted command with no policy on purpose: RLS denies it silently, and the spec says why."""

    table: str
    role: str
    command: str
    reason: str


@dataclass
class SpecSuite:
    """Everything read from the spec folder."""

    files: list[str] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    matrix: dict[str, str] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)
    fixtures: dict[str, list[str]] = field(default_factory=dict)
    oracles: dict[str, Oracle] = field(default_factory=dict)
    world: World | None = None
    denials: list[IntendedDenial] = field(default_factory=list)
    equivalent: dict[str, str] = field(default_factory=dict)

    def identity(self, name: str) -> Identity:
        """The matrix identity ``name`` (anon, owner, member, stranger, service_role)."""
        if name in ("anon", "service_role"):
            return Identity(name=name, role=name)
        user = self.matrix[name]
        return Identity(name=name, role="authenticated", user_id=self.users[user])

    def matrix_identities(self) -> list[Identity]:
        names = ["anon", *[r for r in MATRIX_ROLES if r in self.matrix], "service_role"]
        return [self.identity(n) for n in names]

    def denied_on_purpose(self, table: str, role: str, command: str) -> IntendedDenial | None:
        for d in self.denials:
            if d.table == table and d.role == role and d.command == command:
                return d
        return None
