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

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|min|h)?\s*$")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}
PROVIDERS = ("auto", "local", "embedded", "docker", "dsn")


def duration_ms(value: str | int, setting: str) -> int:
    """Parse a PostgreSQL-style duration ('5s', '500ms', '0') into milliseconds."""
    if isinstance(value, int):
        return value
    m = _DURATION.match(value)
    if not m:
        raise ConfigError(f"invalid duration {value!r} (use e.g. 500ms, 5s, 2min, 0 for off)", where=setting)
    return int(m.group(1)) * _UNIT_MS[m.group(2)]


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
    lock_timeout: str = "5s"
    statement_timeout: str = "0"
    lock_retries: int = 3
    sandbox: str = "auto"
    sandbox_dsn: str | None = None
    pool_size: int = 2
    history_schema: str = "pgmanager"
    targets: dict[str, str] = {}
    lint: dict[str, Any] = {}

    @field_validator("sandbox")
    @classmethod
    def _known_provider(cls, v: str) -> str:
        if v not in PROVIDERS:
            raise ValueError(f"unknown sandbox provider {v!r}; choose one of {', '.join(PROVIDERS)}")
        return v

    @field_validator("lock_timeout", "statement_timeout")
    @classmethod
    def _duration(cls, v: str) -> str:
        if not _DURATION.match(str(v)):
            raise ValueError(f"invalid duration {v!r} (use e.g. 500ms, 5s, 2min, 0 for off)")
        return str(v)

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def lock_timeout_ms(self) -> int:
        return duration_ms(self.lock_timeout, "lock_timeout")

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
    """Read settings for the project at ``root`` (found upward from the cwd when None)."""
    root = find_root(root)
    data: dict[str, Any] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read settings: {exc}", where=str(pyproject)) from None
        data = dict(doc.get("tool", {}).get("pgmanager", {}))
    data.update(_env_overrides())
    data.update({k: v for k, v in overrides.items() if v is not None})
    data["root"] = root
    try:
        return Settings(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "settings"
        raise ConfigError(str(err["msg"]).removeprefix("Value error, "), where=f"tool.pgmanager.{field}") from None


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
