"""Policy specs: policies/tests/*.yaml read into cases, identities, oracles and a fuzz world.

The YAML is read with PyYAML's composer so that every node keeps its line: a malformed spec is
reported as ``policies/tests/x.yaml:LINE: message``. The format is documented in
docs/commands/verify.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..config import Settings
from ..errors import InputError
from ..parse import qualify_name
from ..project import display_path, line_col
from ._identity import Identity
from ._spec_model import (
    BUILTIN_ROLES,
    COMMANDS,
    EXPECTATIONS,
    MATRIX_ROLES,
    SPEC_FOLDER,
    SQLSTATE,
    Case,
    Expect,
    Generator,
    IntendedDenial,
    Oracle,
    SpecSuite,
    World,
    WorldTable,
)


class _Reader:
    """Typed access to composed YAML nodes; every error names file:line."""

    def __init__(self, display: str) -> None:
        self.display = display
        self._construct = yaml.constructor.SafeConstructor()

    def error(self, node: Node | None, message: str) -> InputError:
        line = node.start_mark.line + 1 if node is not None else 1
        return InputError(message, where=f"{self.display}:{line}")

    def value(self, node: Node) -> Any:
        return self._construct.construct_object(node, deep=True)

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...] | None = None) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} must be a mapping")
        out: dict[str, tuple[Node, Node]] = {}
        for key, val in node.value:
            if not isinstance(key, ScalarNode):
                raise self.error(key, f"{what}: keys must be plain names")
            name = str(key.value)
            if allowed is not None and name not in allowed:
                raise self.error(key, f"{what}: unknown key {name!r} (expected one of: {', '.join(allowed)})")
            if name in out:
                raise self.error(key, f"{what}: duplicate key {name!r}")
            out[name] = (key, val)
        return out

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list")
        return list(node.value)

    def text(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null"):
            raise self.error(node, f"{what} must be a string")
        value = self.value(node)
        if isinstance(value, bool) or str(value).strip() == "":
            raise self.error(node, f"{what} must be a non-empty string")
        return str(value)

    def integer(self, node: Node, what: str, minimum: int = 0) -> int:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.error(node, f"{what} must be an integer >= {minimum}")
        return value

    def boolean(self, node: Node, what: str) -> bool:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            raise self.error(node, f"{what} must be true or false")
        return value

    def texts(self, node: Node, what: str) -> list[str]:
        if isinstance(node, ScalarNode):
            return [self.text(node, what)]
        return [self.text(n, what) for n in self.sequence(node, what)]


_TOP_KEYS = ("users", "matrix", "table", "oracle", "fixtures", "cases", "world", "intended_denials",
             "equivalent_mutants")
_CASE_KEYS = ("name", "as", "sql", "setup", "fixtures", "commit", "ordered", *EXPECTATIONS)


def load_specs(settings: Settings, folder: Path | None = None) -> SpecSuite:
    """Read every ``*.yaml`` / ``*.yml`` of the spec folder (policies/tests by default)."""
    folder = folder or settings.path(settings.policies) / SPEC_FOLDER
    suite = SpecSuite()
    if not folder.is_dir():
        return suite
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    raw: list[tuple[_Reader, Path, dict[str, tuple[Node, Node]]]] = []
    for path in paths:
        display = display_path(path, settings.root)
        reader = _Reader(display)
        text = read_text(path, display, "spec")
        try:
            root = yaml.compose(text)
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters)
            line, col, offset = _position(text, exc.position)
            char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
            raise InputError(f"malformed YAML: character {char} is not allowed (byte offset {offset})",
                             where=f"{display}:{line}:{col}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{display}:{mark.line + 1}:{mark.column + 1}" if mark is not None else display
            problem = getattr(exc, "problem", None) or str(exc)
            raise InputError(f"malformed YAML: {problem}", where=where) from None
        suite.files.append(display)
        if root is None:
            continue
        raw.append((reader, path, reader.mapping(root, "a spec file", _TOP_KEYS)))
    # identities first: cases in any file may name users declared in another
    for reader, _, top in raw:
        _read_identities(reader, top, suite)
    for reader, path, top in raw:
        _read_body(reader, path, top, suite, settings)
    return suite


def _position(text: str, index: int) -> tuple[int, int, int]:
    """1-based line and column of a character index, and its byte offset in the UTF-8 file."""
    line, col = line_col(text, index)
    return line, col, len(text[:index].encode("utf-8"))


def read_text(path: Path, display: str, what: str) -> str:
    """A spec or fixture file as text; a binary file (not UTF-8, or holding a NUL byte) is one InputError
    naming the file, line:col and byte offset."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", where=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        line, col, _ = _position(good, len(good))
        raise InputError(f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} "
                         f"(is the {what} a binary file?)", where=f"{display}:{line}:{col}") from None
    nul = text.find("\x00")
    if nul >= 0:
        line, col, offset = _position(text, nul)
        raise InputError(f"NUL byte (0x00) at byte offset {offset} (is the {what} a binary file?)",
                         where=f"{display}:{line}:{col}")
    return text


def _read_identities(r: _Reader, top: dict[str, tuple[Node, Node]], suite: SpecSuite) -> None:
    if "users" in top:
        for name, (key, val) in r.mapping(top["users"][1], "users").items():
            if name in BUILTIN_ROLES or name in MATRIX_ROLES:
                raise r.error(key, f"user name {name!r} is reserved for a role")
            uid = r.text(val, f"users.{name}")
            if not re.fullmatch(r"[0-9a-fA-F-]{36}", uid):
                raise r.error(val, f"users.{name}: {uid!r} is not a uuid")
            if suite.users.get(name, uid) != uid:
                raise r.error(key, f"user {name!r} is declared twice with different ids")
            suite.users[name] = uid
    if "matrix" in top:
        for name, (_, val) in r.mapping(top["matrix"][1], "matrix", MATRIX_ROLES).items():
            suite.matrix[name] = r.text(val, f"matrix.{name}")


def _read_body(r: _Reader, path: Path, top: dict[str, tuple[Node, Node]], suite: SpecSuite,
               settings: Settings) -> None:
    if "matrix" in top:
        for name, (_, val) in r.mapping(top["matrix"][1], "matrix").items():
            if suite.matrix[name] not in suite.users:
                raise r.error(val, f"matrix.{name}: unknown user {suite.matrix[name]!r} (declare it under users:)")
    fixtures = _fixtures(r, path, top["fixtures"][1], settings) if "fixtures" in top else []
    suite.fixtures[r.display] = fixtures
    table = qualify_name(r.text(top["table"][1], "table")) if "table" in top else None
    if "oracle" in top:
        if table is None:
            raise r.error(top["oracle"][0], "an oracle needs the table it describes (table: schema.name)")
        if table in suite.oracles:
            raise r.error(top["oracle"][0], f"table {table} already has an oracle in {suite.oracles[table].file}")
        suite.oracles[table] = Oracle(table, r.text(top["oracle"][1], "oracle"), r.display,
                                      top["oracle"][0].start_mark.line + 1)
    if "cases" in top:
        for node in r.sequence(top["cases"][1], "cases"):
            suite.cases.append(_case(r, path, node, suite, fixtures, settings))
    if "world" in top:
        if suite.world is not None:
            raise r.error(top["world"][0], f"a fuzz world is already declared in {suite.world.file}")
        suite.world = _world(r, top["world"][1])
    if "intended_denials" in top:
        for node in r.sequence(top["intended_denials"][1], "intended_denials"):
            m = r.mapping(node, "an intended denial", ("table", "roles", "commands", "reason"))
            for req in ("table", "roles", "commands", "reason"):
                if req not in m:
                    raise r.error(node, f"an intended denial needs {req}:")
            reason = r.text(m["reason"][1], "reason")
            for role in r.texts(m["roles"][1], "roles"):
                for cmd in r.texts(m["commands"][1], "commands"):
                    if cmd.lower() not in COMMANDS:
                        raise r.error(m["commands"][1], f"unknown command {cmd!r} (select, insert, update, delete)")
                    suite.denials.append(IntendedDenial(qualify_name(r.text(m["table"][1], "table")), role,
                                                        cmd.upper(), reason))
    if "equivalent_mutants" in top:
        for node in r.sequence(top["equivalent_mutants"][1], "equivalent_mutants"):
            m = r.mapping(node, "an equivalent mutant", ("mutant", "reason"))
            if "mutant" not in m or "reason" not in m:
                raise r.error(node, "an equivalent mutant needs mutant: (its id) and reason:")
            suite.equivalent[r.text(m["mutant"][1], "mutant")] = r.text(m["reason"][1], "reason")


def _fixtures(r: _Reader, spec: Path, node: Node, settings: Settings) -> list[str]:
    """The text of each fixture SQL file, found relative to the spec file, then to the project root."""
    nodes = [node] if isinstance(node, ScalarNode) else r.sequence(node, "fixtures")
    out = []
    for n in nodes:
        name = r.text(n, "fixtures")
        path = (spec.parent / name).resolve()
        if not path.is_file():
            path = settings.path(name)
        if not path.is_file():
            raise r.error(n, f"fixture {name!r} not found (relative to the spec file or the project root)")
        out.append(read_text(path, display_path(path, settings.root), "fixture").removeprefix("\ufeff"))
    return out


def _identity(r: _Reader, node: Node, suite: SpecSuite) -> Identity:
    if isinstance(node, ScalarNode):
        name = r.text(node, "as")
        if name in BUILTIN_ROLES:
            return Identity(name=name, role=name)
        if name in MATRIX_ROLES and name in suite.matrix:
            return Identity(name=name, role="authenticated", user_id=suite.users[suite.matrix[name]])
        if name in suite.users:
            return Identity(name=name, role="authenticated", user_id=suite.users[name])
        known = ", ".join([*BUILTIN_ROLES, *sorted(suite.users)])
        raise r.error(node, f"unknown role or user {name!r} (known: {known})")
    m = r.mapping(node, "as", ("role", "user", "claims"))
    role = r.text(m["role"][1], "as.role") if "role" in m else "authenticated"
    user_id = None
    label = role
    if "user" in m:
        user = r.text(m["user"][1], "as.user")
        if user not in suite.users:
            raise r.error(m["user"][1], f"unknown user {user!r} (known: {', '.join(sorted(suite.users))})")
        user_id = suite.users[user]
        label = f"{user} as {role}"
    claims: dict[str, Any] = {}
    if "claims" in m:
        value = r.value(m["claims"][1])
        if not isinstance(value, dict):
            raise r.error(m["claims"][1], "as.claims must be a mapping of JWT claims")
        claims = value
        label += " +claims"
    return Identity(name=label, role=role, user_id=user_id, claims=claims)


def _case(r: _Reader, path: Path, node: Node, suite: SpecSuite, fixtures: list[str], settings: Settings) -> Case:
    m = r.mapping(node, "a case", _CASE_KEYS)
    line = node.start_mark.line + 1
    for req in ("name", "as", "sql"):
        if req not in m:
            raise r.error(node, f"a case needs {req}:")
    name = r.text(m["name"][1], "name")
    given = [k for k in EXPECTATIONS if k in m]
    if len(given) != 1:
        raise r.error(node, f"case {name!r}: say exactly one of {', '.join(EXPECTATIONS)} (what must happen)")
    kind = given[0]
    vnode = m[kind][1]
    value: Any
    if kind == "rows":
        value = [_row(r, n) for n in r.sequence(vnode, "rows")]
    elif kind in ("count", "affected"):
        value = r.integer(vnode, kind)
    elif kind == "error":
        value = str(r.value(vnode)) if isinstance(vnode, ScalarNode) else ""
        if not SQLSTATE.match(value):
            raise r.error(vnode, f"error: {value!r} is not a SQLSTATE (five characters, e.g. '42501')")
    else:
        if not r.boolean(vnode, kind):
            raise r.error(vnode, f"{kind}: false says nothing; use another expectation")
        value = True
    ordered = r.boolean(m["ordered"][1], "ordered") if "ordered" in m else False
    setup = list(fixtures)
    if "fixtures" in m:
        setup += _fixtures(r, path, m["fixtures"][1], settings)
    if "setup" in m:
        setup.append(r.text(m["setup"][1], "setup"))
    commit = r.boolean(m["commit"][1], "commit") if "commit" in m else False
    return Case(r.display, line, name, _identity(r, m["as"][1], suite), r.text(m["sql"][1], "sql"),
                Expect(kind, value, ordered), tuple(setup), commit)


def _row(r: _Reader, node: Node) -> tuple[Any, ...]:
    value = r.value(node)
    if isinstance(value, dict):
        raise r.error(node, "a row is a list of column values (or one value for a one-column result)")
    return tuple(value) if isinstance(value, list) else (value,)


_GENERATORS = ("user", "uuid", "ref", "choice")


def _world(r: _Reader, node: Node) -> World:
    m = r.mapping(node, "world", ("users", "tables"))
    users = r.integer(m["users"][1], "world.users", 1) if "users" in m else 3
    if "tables" not in m:
        raise r.error(node, "world needs tables: (in insert order)")
    tables = []
    for tnode in r.sequence(m["tables"][1], "world.tables"):
        t = r.mapping(tnode, "a world table", ("table", "max", "per_user", "columns"))
        if "table" not in t or "columns" not in t:
            raise r.error(tnode, "a world table needs table: and columns:")
        cols = {name: _generator(r, val, name) for name, (_, val) in r.mapping(t["columns"][1], "columns").items()}
        tables.append(WorldTable(
            qualify_name(r.text(t["table"][1], "table")), cols,
            r.integer(t["max"][1], "max", 0) if "max" in t else 3,
            r.boolean(t["per_user"][1], "per_user") if "per_user" in t else False))
    return World(r.display, users, tuple(tables))


def _generator(r: _Reader, node: Node, column: str) -> Generator:
    if isinstance(node, ScalarNode):
        kind = r.text(node, column)
        if kind not in ("user", "uuid"):
            raise r.error(node, f"column {column}: unknown generator {kind!r} (user, uuid, {{ref: ...}}, "
                                "{choice: [...]})")
        return Generator(kind)
    m = r.mapping(node, f"column {column}", (*_GENERATORS, "nullable"))
    kinds = [k for k in _GENERATORS if k in m]
    if len(kinds) != 1:
        raise r.error(node, f"column {column}: give exactly one of {', '.join(_GENERATORS)}")
    nullable = r.boolean(m["nullable"][1], "nullable") if "nullable" in m else False
    kind = kinds[0]
    if kind == "ref":
        ref = r.text(m["ref"][1], "ref")
        if ref.count(".") != 2:
            raise r.error(m["ref"][1], f"ref {ref!r} must be schema.table.column")
        return Generator("ref", ref=ref, nullable=nullable)
    if kind == "choice":
        values = r.value(m["choice"][1])
        if not isinstance(values, list) or not values:
            raise r.error(m["choice"][1], "choice must be a non-empty list of values")
        return Generator("choice", tuple(values), nullable=nullable)
    return Generator(kind, nullable=nullable)
