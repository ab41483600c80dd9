"""The data profile (``<queries>/bench.toml``): rows per table at scale 1 and per-column overrides (skewed foreign
keys, weighted value lists, null fractions, SQL expressions), read and validated with file:line errors."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ..errors import ConfigError

PROFILE_NAME = "bench.toml"
"""The data profile, beside the workload's query files."""



class ColumnRule(BaseModel):
    """How one column is filled instead of the generic way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql: str | None = None
    """A SQL expression: ``{n}`` the row number, ``{r}`` a uniform random in [0, 1) of this column,
    ``{other}`` the value of another column of the row; double any literal brace (``'{{}}'``)."""
    values: list[str] | None = None
    weights: list[float] | None = None
    skew: float | None = None
    """Foreign keys: pick the referenced row at ``count * random() ^ skew`` (1 is uniform)."""
    null_fraction: float = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> ColumnRule:
        if self.sql is not None and self.values is not None:
            raise ValueError("give sql or values, not both")
        if self.values is not None and not self.values:
            raise ValueError("values must not be empty")
        if self.weights is not None:
            if self.values is None or len(self.weights) != len(self.values):
                raise ValueError("weights needs values, one weight per value")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all 0")
        if self.skew is not None and self.skew <= 0:
            raise ValueError("skew must be more than 0 (1 is uniform)")
        if not 0 <= self.null_fraction <= 1:
            raise ValueError("null_fraction must be between 0 and 1")
        return self


class TableRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int | None = None
    """Rows at scale 1 (a table whose primary key references another gets one row per referenced row)."""
    columns: dict[str, ColumnRule] = {}

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {k: {"sql": r} if isinstance(r, str) else r for k, r in v.items()} if isinstance(v, dict) else v

    @field_validator("rows")
    @classmethod
    def _rows(cls, v: int | None) -> int | None:
        if v is not None and v < 0:
            raise ValueError("rows must be >= 0")
        return v


class DataProfile(BaseModel):
    """Rows per table and column overrides; the defaults fill any schema generically."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_rows: int = 10_000
    """Rows at scale 1 of a table the profile does not name."""
    window: tuple[date, date] = (date(2024, 1, 1), date(2024, 4, 1))
    """Timestamps fall in [start, end)."""
    tables: dict[str, TableRule] = {}
    source: str | None = None
    checksum: str = ""

    @model_validator(mode="after")
    def _window(self) -> DataProfile:
        if self.window[1] <= self.window[0]:
            raise ValueError("window must be [start, end) with start before end")
        if self.default_rows < 0:
            raise ValueError("default_rows must be >= 0")
        return self


def load_profile(path: Path, display: str) -> DataProfile:
    """The profile in ``path``, or the generic defaults when there is no such file."""
    if not path.is_file():
        return DataProfile()
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the data profile: {exc}", where=display) from None
    try:
        profile = DataProfile(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(str(first["msg"]).removeprefix("Value error, "), where=f"{display}: {loc}") from None
    return profile.model_copy(update={"source": display, "checksum": hashlib.sha256(raw).hexdigest()})
