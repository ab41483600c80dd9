"""Settings: ``[tool.pgmanager]`` in pyproject.toml, then ``PGMANAGER_*`` environment variables.

The target database comes from ``--dsn``, then a named target of ``[tool.pgmanager.targets]``,
then ``DATABASE_URL``, then libpq's own ``PG*`` variables.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, ValidationInfo, field_validator

from .errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|min|h)?\s*$")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}
PROVIDERS = ("auto", "local", "embedded", "docker", "dsn")
DEFAULT_SANDBOX_IMAGE = "postgres:15"
"""The image ``--sandbox docker`` runs (``sandbox_image``): the official one, as CI runners pull it."""
LAYOUTS = ("pgmanager", "supabase", "yoyo", "golang-migrate", "dbmate", "flyway")
"""How the migrations folder is named and ordered: ours, or another tool's (docs/layouts.md)."""

# The ranges of the settings, one home: Settings validates them, and so does the parser for the same
# keys given as file directives (``-- pgmanager: lock_retries=5``).
PG_INT_MAX = 2_147_483_647
"""PostgreSQL's integer GUCs (lock_timeout, statement_timeout) are int4 milliseconds."""
DURATION_MIN_MS = {"lock_timeout": 1, "lock_timeout_max": 1, "lock_wait": 0, "statement_timeout": 0}
"""Durations, with their least value in ms (the most is PG_INT_MAX)."""
COUNT_RANGES = {"lock_retries": (0, 1000), "pool_size": (1, 64)}
"""Integer settings, with their (least, most) value."""
_NO_ZERO = "0 means no timeout, and a migration waiting for its lock would block every query queued behind it"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
NAME_MAX = 63
"""PostgreSQL truncates longer names (NAMEDATALEN - 1 bytes)."""


def _parse_duration(value: str) -> int:
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"invalid duration {value!r} (use e.g. 500ms, 5s, 2min, 0 for off)")
    digits = m.group(1).lstrip("0") or "0"
    if len(digits) > 15:  # far beyond any limit, and int() of a huge digit string is refused
        return PG_INT_MAX + 1
    return int(digits) * _UNIT_MS[m.group(2)]


def duration_ms(value: str | int, setting: str) -> int:
    """Parse a PostgreSQL-style duration ('5s', '500ms', '0') into milliseconds."""
    if isinstance(value, int):
        return value
    try:
        return _parse_duration(value)
    except ValueError as exc:
        raise ConfigError(str(exc), where=setting) from None


def check_duration(name: str, value: str) -> int:
    """The duration setting ``name`` in ms; ValueError says why ``value`` is out of its range."""
    ms = _parse_duration(value)
    if ms > PG_INT_MAX:
        raise ValueError(f"duration {value.strip()!r} is too long: {name} is at most {PG_INT_MAX}ms "
                         "(about 24 days), PostgreSQL's limit")
    least = DURATION_MIN_MS.get(name, 0)
    if ms < least:
        raise ValueError(f"{name} must be more than 0 ({_NO_ZERO})")
    return ms


def check_count(name: str, value: int) -> int:
    """The integer setting ``name``; ValueError says why ``value`` is out of its range."""
    least, most = COUNT_RANGES[name]
    if not least <= value <= most:
        raise ValueError(f"{name} must be between {least} and {most}, got {value}")
    return value


def check_directive(key: str, value: str) -> str | None:
    """Why ``key=value`` is not a valid file directive (the same ranges as the settings), or None."""
    try:
        if key in DURATION_MIN_MS:
            check_duration(key, value)
        elif key in COUNT_RANGES:
            if not re.fullmatch(r"-?[0-9]{1,12}", value):
                return f"{key} must be a whole number, got {value!r}"
            check_count(key, int(value))
    except ValueError as exc:
        return str(exc)
    return None


class Settings(BaseModel):
    """The project's settings; every field can be set in pyproject.toml or PGMANAGER_<NAME>."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Path = Path(".")
    migrations: str = "migrations"
    policies: str = "policies"
    views: str = "views"
    auth_emulation: str | None = "sql/supabase_auth.sql"
    seed: str | None = "sql/seed.sql"
    queries: str = "sql/queries"
    exposed_schemas: list[str] = ["public"]
    lock_timeout: str = "200ms"
    lock_timeout_max: str = "400ms"
    lock_wait: str = "5min"
    statement_timeout: str = "0"
    lock_retries: int = 20
    sandbox: str = "auto"
    sandbox_dsn: str | None = None
    sandbox_image: str = DEFAULT_SANDBOX_IMAGE
    pool_size: int = 2
    history_schema: str = "pgmanager"
    layout: str | None = None
    """None: guessed from the files (pgmanager.layouts.guess)."""
    supabase: bool = False
    """Treat every target as Supabase (``--supabase``); else detected (pgmanager.migrate.supabase.detect)."""
    targets: dict[str, str] = {}
    lint: dict[str, Any] = {}
    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("sandbox")
    @classmethod
    def _known_provider(cls, v: str) -> str:
        if v not in PROVIDERS:
            raise ValueError(f"unknown sandbox provider {v!r}; choose one of {', '.join(PROVIDERS)}")
        return v

    @field_validator("sandbox_image")
    @classmethod
    def _image_name(cls, v: str) -> str:
        if not v.strip() or v != v.strip() or any(ch.isspace() for ch in v):
            raise ValueError(f"{v!r} is not a container image name (e.g. postgres:15)")
        return v

    @field_validator("layout")
    @classmethod
    def _known_layout(cls, v: str | None) -> str | None:
        if v is not None and v not in LAYOUTS:
            raise ValueError(f"unknown layout {v!r}; choose one of {', '.join(LAYOUTS)} (or leave it unset to guess)")
        return v

    @field_validator("lock_timeout", "lock_timeout_max", "lock_wait", "statement_timeout", mode="before")
    @classmethod
    def _duration_ms_int(cls, v: Any) -> Any:
        # a bare TOML integer is milliseconds, as in PostgreSQL (statement_timeout = 0)
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("lock_timeout", "lock_timeout_max", "lock_wait", "statement_timeout")
    @classmethod
    def _duration(cls, v: str, info: ValidationInfo) -> str:
        check_duration(str(info.field_name), v)
        return v

    @field_validator("lock_retries", "pool_size", mode="before")
    @classmethod
    def _not_bool(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"{info.field_name} must be a whole number, got {v}")
        return v

    @field_validator("lock_retries", "pool_size")
    @classmethod
    def _count(cls, v: int, info: ValidationInfo) -> int:
        return check_count(str(info.field_name), v)

    @field_validator("migrations", "policies", "views", "queries")
    @classmethod
    def _folder(cls, v: str, info: ValidationInfo) -> str:
        if not v.strip():
            raise ValueError(f"{info.field_name} must name a folder (relative to the project root)")
        return v

    @field_validator("auth_emulation", "seed")
    @classmethod
    def _file(cls, v: str | None, info: ValidationInfo) -> str | None:
        # runs only when the setting was given (pyproject, environment): the default file may be absent
        if not v:
            return v
        path = Path(info.data.get("root", Path("."))) / v
        if not path.exists():
            raise ValueError(f"file {v!r} does not exist (looked for {path.resolve()}; "
                             f"set {info.field_name} = \"\" to turn it off)")
        if not path.is_file():
            raise ValueError(f"{v!r} is not a file ({path.resolve()})")
        return v

    @field_validator("history_schema")
    @classmethod
    def _schema_name(cls, v: str) -> str:
        if not _IDENTIFIER.match(v) or len(v) > NAME_MAX or v.startswith("pg_"):
            raise ValueError(f"{v!r} is not a usable schema name: use a lowercase SQL identifier (letters, "
                             f"digits, _; not starting with a digit or pg_; at most {NAME_MAX} characters)")
        return v

    @field_validator("exposed_schemas")
    @classmethod
    def _schema_names(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one schema (the schemas the API exposes, e.g. [\"public\"])")
        for name in v:
            if not name.strip() or name != name.strip():
                raise ValueError(f"{name!r} is not a schema name (empty or with surrounding spaces)")
            if len(name.encode()) > NAME_MAX:
                raise ValueError(f"schema name {name!r} is longer than {NAME_MAX} bytes")
        return v

    def source(self, name: str) -> str:
        """Where ``name`` was given, for errors: PGMANAGER_<NAME>, --<name>, else tool.pgmanager.<name>."""
        return self._sources.get(name, f"tool.pgmanager.{name}")

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def lock_timeout_ms(self) -> int:
        return duration_ms(self.lock_timeout, "lock_timeout")

    @property
    def lock_timeout_max_ms(self) -> int:
        return duration_ms(self.lock_timeout_max, "lock_timeout_max")

    @property
    def lock_wait_ms(self) -> int:
        return duration_ms(self.lock_wait, "lock_wait")

    @property
    def statement_timeout_ms(self) -> int:
        return duration_ms(self.statement_timeout, "statement_timeout")


def find_root(start: Path | None = None) -> Path:
    """The nearest folder upward holding a pyproject.toml with [tool.pgmanager], else ``start``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "[tool.pgmanager" in candidate.read_text(errors="replace"):
            return folder
    return here


def _env_overrides() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = os.environ.get(f"PGMANAGER_{name.upper()}")
        if raw is None or name in ("root", "targets", "lint"):
            continue
        if field.annotation in (list[str],):
            out[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            out[name] = raw
    return out


def load_settings(root: Path | None = None, **overrides: Any) -> Settings:
    """Read settings for the project at ``root`` (found upward from the cwd when None).

    An invalid value is a ConfigError naming where it was given: ``tool.pgmanager.<name>``,
    ``PGMANAGER_<NAME>`` or, for an override (a command-line option), ``--<name>``.
    """
    root = find_root(root)
    data: dict[str, Any] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read settings: {exc}", where=str(pyproject)) from None
        data = dict(doc.get("tool", {}).get("pgmanager", {}))
    sources: dict[str, str] = {}
    env = _env_overrides()
    data.update(env)
    sources.update({name: f"PGMANAGER_{name.upper()}" for name in env})
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    sources.update({name: f"--{name.replace('_', '-')}" for name in given})
    data["root"] = root
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        in_file = "tool.pgmanager." + (".".join(loc) or "settings")
        where = sources[loc[0]] if loc and loc[0] in sources else in_file
        raise ConfigError(str(err["msg"]).removeprefix("Value error, "), where=where) from None
    settings._sources.update(sources)
    return settings


def resolve_dsn(settings: Settings, dsn: str | None = None, target: str | None = None) -> str:
    """The target DSN: --dsn, a named target, DATABASE_URL, then libpq's PG* variables ('')."""
    if dsn:
        return dsn
    if target:
        if target not in settings.targets:
            known = ", ".join(sorted(settings.targets)) or "none configured"
            raise ConfigError(f"unknown target {target!r} (known: {known})", where="--target")
        value = settings.targets[target]
        if value.startswith("env:"):
            var = value[4:]
            if var not in os.environ:
                raise ConfigError(f"target {target!r} reads ${var}, which is not set", where=f"targets.{target}")
            return os.environ[var]
        return value
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if any(os.environ.get(v) for v in ("PGHOST", "PGDATABASE", "PGSERVICE", "PGPORT", "PGUSER")):
        return ""
    raise ConfigError(
        "no target database: pass --dsn, --target NAME, or set DATABASE_URL or PGHOST/PGDATABASE",
        where="--dsn",
    )
