"""Flyway: ``V<version>__<description>.sql`` (versioned), ``U<version>__`` (undo: our rollback) and
``R__<description>.sql`` (repeatable: re-applied when it changes), found in subfolders too.

The version is Flyway's: ``V1_2__x.sql`` is ``1.2``; versions are ordered by their numbers
(1.2 < 1.10). Repeatables are policies when they only hold policies, else views.

Placeholders are replaced as Flyway replaces them, from the project's Flyway configuration (a Spring
Boot application's ``spring.flyway.*``, ``conf/flyway.conf``, ``flyway.conf``, ``flyway.toml``, then
``FLYWAY_*``): the SQL we parse, lint and run is the SQL Flyway would run. Flyway's checksum stays that
of the file as written. The configuration's ``locations`` are the migrations folders.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..models import FileKind, SqlFile
from ..project import Project, checksum, line_col
from ..redaction import register_secret
from ._common import Collector, problem, read, repeatable_kind, sql_files

FOLDERS = ("db/migration", "migrations", "src/main/resources/db/migration")
NAME = re.compile(r"^(?P<prefix>[VUR])(?P<version>\d+(?:[._]\d+)*)?__(?P<name>.+)\.sql$")
CALLBACK = re.compile(r"^(?P<event>(?:before|after)[A-Z][A-Za-z]*|createSchema)(?:__.+)?\.sql$")
"""Flyway's SQL callbacks (``afterMigrate.sql``, ``beforeEachMigrate__x.sql``, ...), run around its commands."""
HISTORY = (None, "flyway_schema_history")


CONFIG_FILES = ("src/main/resources/application.properties", "src/main/resources/application.yml",
                "src/main/resources/application.yaml", "conf/flyway.conf", "flyway.conf", "flyway.toml")
"""Read in this order, a later one overriding an earlier one; the environment overrides them all. The
first three are a Spring Boot application's (``spring.flyway.*``), the others Flyway's own."""
BUILT_IN_OF_THE_RUN = ("user", "database", "timestamp", "workingdirectory", "environment")
"""Flyway's ``${flyway:...}`` placeholders that depend on the connection or the moment of the run."""
SECRET_NAME = re.compile(r"pass(word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|credential", re.IGNORECASE)
"""A placeholder so named holds a secret: its value is never printed, recorded in the history or imported."""
EMPTY_AFFIX = "placeholderPrefix and placeholderSuffix must not be empty (every word would be a placeholder)"
_ENV = {"FLYWAY_PLACEHOLDER_PREFIX": "placeholderPrefix", "FLYWAY_PLACEHOLDER_SUFFIX": "placeholderSuffix",
        "FLYWAY_PLACEHOLDER_REPLACEMENT": "placeholderReplacement", "FLYWAY_DEFAULT_SCHEMA": "defaultSchema",
        "FLYWAY_SCHEMAS": "schemas", "FLYWAY_TABLE": "table", "FLYWAY_LOCATIONS": "locations"}


@dataclass
class Config:
    """What pgmanager takes from a Flyway configuration: the placeholders (values by lowercased name) and
    how they are written, the default schema and history table their built-ins name, and the locations."""

    values: dict[str, str] = field(default_factory=dict)
    prefix: str = "${"
    suffix: str = "}"
    replace: bool = True
    schema: str | None = None
    """The configured default schema (``defaultSchema``, else the first of ``schemas``), where Flyway keeps its
    history table; None: the connection's current schema."""
    table: str = "flyway_schema_history"
    locations: list[str] = field(default_factory=list)

    def setting(self, key: str, value: str) -> None:
        """One Flyway setting (``placeholders.<name>``, ``placeholderPrefix``, ...), the ``flyway.`` dropped;
        Spring's kebab-case names (``placeholder-prefix``) are the same settings."""
        if key.startswith("placeholders."):
            name = key.removeprefix("placeholders.").lower()
            self.values[name] = value
            if SECRET_NAME.search(name):
                register_secret(value)
            return
        key = re.sub(r"-([a-z])", lambda m: m[1].upper(), key)
        if key == "placeholderPrefix":
            self.prefix = value
        elif key == "placeholderSuffix":
            self.suffix = value
        elif key == "placeholderReplacement":
            self.replace = value.strip().lower() != "false"
        elif key == "defaultSchema":
            self.schema = value.strip() or None
        elif key == "schemas" and value.strip() and self.schema is None:
            self.schema = value.split(",")[0].strip()
        elif key == "table":
            self.table = value
        elif key == "locations":
            self.locations = [v.strip() for v in value.split(",") if v.strip()]

    def history(self) -> tuple[str | None, str]:
        """Where Flyway keeps its history table for this configuration."""
        return self.schema, self.table

    def folders(self) -> list[str]:
        """The locations as folders of the project: ``filesystem:`` paths as they are, ``classpath:`` ones
        under src/main/resources (where a Maven or Gradle build takes them from)."""
        out = []
        for loc in self.locations:
            if loc.startswith("classpath:"):
                out.append("src/main/resources/" + loc.removeprefix("classpath:").lstrip("/"))
            else:
                out.append(loc.removeprefix("filesystem:"))
        return out

    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.prefix) + r"([A-Za-z0-9_.:\-]+)" + re.escape(self.suffix))

    def secret(self, text: str) -> tuple[int, str] | None:
        """The offset and name of the first placeholder of ``text`` that holds a secret, if any."""
        return next(((m.start(), self.prefix + m[1] + self.suffix) for m in self.pattern().finditer(text)
                     if SECRET_NAME.search(m[1])), None)

    def substitute(self, text: str, filename: str) -> tuple[str, tuple[int, str] | None]:
        """``text`` with every placeholder replaced; else the offset and message of the first one without
        a value."""
        builtin = {"flyway:defaultschema": self.schema or "public", "flyway:table": self.table,
                   "flyway:filename": filename}
        out: list[str] = []
        last = 0
        for m in self.pattern().finditer(text):
            name = m[1].lower()
            value = builtin.get(name, self.values.get(name))
            if value is None:
                shown = self.prefix + m[1] + self.suffix
                if name.removeprefix("flyway:") in BUILT_IN_OF_THE_RUN and name.startswith("flyway:"):
                    return text, (m.start(), f"placeholder {shown} depends on the connection or the run, which "
                                             "pgmanager does not know when it reads the project: set a "
                                             "placeholder of your own in flyway.conf instead")
                return text, (m.start(), f"placeholder {shown} has no value: set flyway.placeholders.{m[1]} in "
                                         f"flyway.conf (or FLYWAY_PLACEHOLDERS_{m[1].upper()})")
            out += [text[last:m.start()], value]
            last = m.end()
        return "".join(out) + text[last:], None


def _properties(text: str) -> list[tuple[str, str]]:
    """Java properties lines ``key=value`` (or ``key: value``), with comments and continuations."""
    out: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + lines[i].strip()
        i += 1
        if not line or line[0] in "#!":
            continue
        m = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)$", line)
        if m:
            out.append((m[1], m[2]))
    return out


def _flat(doc: object, prefix: str = "") -> list[tuple[str, str]]:
    """A TOML or YAML document's scalars as dotted keys (lists joined with commas, booleans lowercased)."""
    if isinstance(doc, dict):
        return [kv for k, v in doc.items() for kv in _flat(v, f"{prefix}{k}.")]
    if isinstance(doc, list):
        return [(prefix[:-1], ",".join(str(v) for v in doc))]
    return [(prefix[:-1], str(doc).lower() if isinstance(doc, bool) else str(doc))] if prefix else []


def _settings(rel: str, text: str) -> list[tuple[str, str]]:
    """A configuration file's Flyway settings, ``flyway.`` (or Spring's ``spring.flyway.``) dropped."""
    if rel.endswith(".toml"):
        pairs = _flat(tomllib.loads(text))
    elif rel.endswith((".yml", ".yaml")):
        import yaml  # only a Spring Boot project has one: kept out of every command's start-up

        try:
            pairs = _flat(yaml.safe_load(text) or {})
        except yaml.YAMLError as exc:
            raise ValueError(f"not valid YAML ({str(exc).splitlines()[0]})") from None
    else:
        pairs = _properties(text)
    head = "spring.flyway." if rel.startswith("src/main/resources/application") else "flyway."
    return [(k.removeprefix(head), v) for k, v in pairs if k.startswith(head)]


def read_config(root: Path) -> tuple[Config, tuple[str, str] | None]:
    """The project's Flyway configuration, and the first problem reading it (file, message) or None; read
    once per process while its files (their size and time) and the FLYWAY_* variables stay the same."""
    stamps: list[tuple[int, int] | None] = []
    for rel in CONFIG_FILES:
        try:
            st = (root / rel).stat()
            stamps.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append(None)
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("FLYWAY_")))
    return _read_config(root, tuple(stamps), env)


@functools.lru_cache(maxsize=8)
def _read_config(root: Path, stamps: tuple[tuple[int, int] | None, ...], env: tuple[tuple[str, str], ...]
                 ) -> tuple[Config, tuple[str, str] | None]:
    found = Config()
    for rel, stamp in zip(CONFIG_FILES, stamps, strict=True):
        path = root / rel
        if stamp is None or not path.is_file():
            continue
        try:
            pairs = _settings(rel, path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            return found, (rel, f"cannot read it: {getattr(exc, 'strerror', None) or exc}")
        except tomllib.TOMLDecodeError as exc:
            return found, (rel, f"not valid TOML ({exc})")
        except ValueError as exc:  # the YAML's
            return found, (rel, str(exc))
        for key, value in pairs:
            found.setting(key, value)
        if not found.prefix or not found.suffix:
            return found, (rel, EMPTY_AFFIX)
    variables = dict(env)
    for var, key in _ENV.items():
        if var in variables:
            found.setting(key, variables[var])
            if not found.prefix or not found.suffix:
                return found, (var, EMPTY_AFFIX)
    for var, value in env:
        if var.startswith("FLYWAY_PLACEHOLDERS_") and len(var) > len("FLYWAY_PLACEHOLDERS_"):
            found.setting("placeholders." + var.removeprefix("FLYWAY_PLACEHOLDERS_"), value)
    return found, None


def configured_folders(root: Path) -> list[str]:
    """The folders the project's Flyway configuration names as its locations (none when it names none)."""
    return read_config(root)[0].folders()


def _script_replaces(path: Path) -> bool:
    """False when the script's own ``<file>.conf`` says ``placeholderReplacement=false``."""
    conf = path.with_name(path.name + ".conf")
    if not conf.is_file():
        return True
    try:
        settings = dict(_properties(conf.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return True
    return settings.get("placeholderReplacement", "true").strip().lower() != "false"


def _replaced(project: Project, path: Path, sql: SqlFile | None, found: Config) -> SqlFile | None:
    """``sql`` with its placeholders replaced (its checksum recomputed), or None after a problem."""
    if sql is None or not found.replace or found.prefix not in sql.text or not _script_replaces(path):
        return sql
    text, missing = found.substitute(sql.text, path.name)
    if missing is not None:
        offset, message = missing
        line, col = line_col(sql.text, offset)
        problem(project, path, message, "placeholder", line=line, col=col)
        return None
    return sql.model_copy(update={"text": text, "checksum": checksum(text), "written": sql.text})


def _files(project: Project, folder: Path, config: Config) -> list[Path]:
    """The SQL files of ``folder`` and of the configuration's other locations (unless the ``migrations``
    setting names the one folder), each folder once."""
    folders = [folder]
    if "migrations" not in project.settings.model_fields_set:
        folders += [project.root / f for f in config.folders()]
    seen: set[Path] = set()
    out: list[Path] = []
    for d in folders:
        real = d.resolve()
        if d.is_dir() and real not in seen and not any(real.is_relative_to(s) for s in seen):
            seen.add(real)
            out += sql_files(project, d, recursive=True)
    return out


def read_folder(project: Project, folder: Path) -> None:
    found = Collector(project)
    replacing, trouble = read_config(project.root)
    if trouble is not None:
        problem(project, project.root / trouble[0], trouble[1], "placeholder")
        return
    for path in _files(project, folder, replacing):
        m = NAME.match(path.name)
        callback = CALLBACK.match(path.name)
        if callback:
            problem(project, path, f"Flyway callback ({callback['event']}): pgmanager runs no callbacks, so what "
                                   "it does must become a migration, a repeatable R__ file (re-applied when it "
                                   "changes) or go")
            continue
        if not m or (m["prefix"] == "R") != (m["version"] is None):
            problem(project, path, "Flyway file name must be V<version>__<description>.sql, "
                                   "U<version>__<description>.sql or R__<description>.sql")
            continue
        if m["prefix"] == "R":
            sql = _replaced(project, path, read(project, path, FileKind.VIEW, None, m["name"]), replacing)
            if sql is not None:
                project.repeatables.append(sql.model_copy(update={"kind": repeatable_kind(sql.text)}))
            continue
        version = m["version"].replace("_", ".")
        kind = FileKind.ROLLBACK if m["prefix"] == "U" else FileKind.MIGRATION
        sql = _replaced(project, path, read(project, path, kind, version, m["name"]), replacing)
        if m["prefix"] == "U":
            found.rollback(sql)
        else:
            found.migration(sql, path)
    found.finish()


def crc32(raw: bytes) -> int:
    """Flyway's checksum of a file: CRC32 over its lines' UTF-8 bytes without line ends (a BOM dropped),
    as a signed 32-bit integer."""
    text = raw.decode("utf-8").removeprefix("\ufeff")
    crc = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - 2**32 if crc >= 2**31 else crc


def description(name: str) -> str:
    """Flyway's description column: the file's description with underscores as spaces."""
    return name.replace("_", " ")
