"""Lint settings: ``[tool.pgmanager.lint]`` in pyproject.toml.

    [tool.pgmanager.lint]
    select = ["safety", "security", "ban-drop-table"]   # categories or rule names (default: all)
    exclude = ["prefer-bigint-over-int"]
    style = true                                         # run sqlfluff (the style engine)
    fail_on = "warning"                                  # info | warning | error
    severity = { prefer-text-field = "info" }            # per-rule severity overrides
    docs_url = "https://example.org/rules/{rule}.html"   # rule pages (SARIF helpUri); env PGMANAGER_DOCS_URL

:class:`RuleSettings` is every setting a rule can read; the lint cache is keyed on its fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..models import Severity
from ._base import Category, Rule, registry

if TYPE_CHECKING:
    from ..config import Settings

KEYS = {"select", "exclude", "style", "fail_on", "severity", "docs_url"}


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    style: bool = True
    fail_on: Severity = Severity.WARNING
    severity: dict[str, Severity] = field(default_factory=dict)
    docs_url: str | None = None

    @classmethod
    def from_settings(cls, data: dict[str, Any] | None) -> LintConfig:
        """Validate ``settings.lint``; a bad key or value is a ConfigError naming the setting."""
        data = dict(data or {})
        unknown = set(data) - KEYS
        if unknown:
            raise ConfigError(f"unknown lint setting {sorted(unknown)[0]!r}; known: {', '.join(sorted(KEYS))}",
                              where=f"tool.pgmanager.lint.{sorted(unknown)[0]}")
        names = set(registry()) | {c.value for c in Category} | {"unused-ignore", "style"}
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("select", "exclude"):
            value = data.get(key, [])
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ConfigError("must be a list of rule names or categories", where=f"tool.pgmanager.lint.{key}")
            for v in value:
                if v not in names and not v.startswith("style/"):
                    raise ConfigError(f"unknown rule or category {v!r}", where=f"tool.pgmanager.lint.{key}")
            lists[key] = tuple(value)
        try:
            fail_on = Severity(data.get("fail_on", "warning"))
            sev = {str(k): Severity(v) for k, v in dict(data.get("severity", {})).items()}
        except ValueError as exc:
            raise ConfigError(f"{exc}; use info, warning or error", where="tool.pgmanager.lint") from None
        style = data.get("style", True)
        if not isinstance(style, bool):
            raise ConfigError("must be true or false", where="tool.pgmanager.lint.style")
        docs_url = os.environ.get("PGMANAGER_DOCS_URL") or data.get("docs_url")
        if docs_url is not None and (not isinstance(docs_url, str) or "{rule}" not in docs_url):
            raise ConfigError("must be a URL template holding {rule}", where="tool.pgmanager.lint.docs_url")
        return cls(lists["select"], lists["exclude"], style, fail_on, sev, docs_url)

    def url(self, rule: str) -> str | None:
        return self.docs_url.replace("{rule}", rule) if self.docs_url else None

    def enabled(self, rule: type[Rule] | str) -> bool:
        """Whether a rule (class or name) runs: selected (by name or category) and not excluded."""
        name = rule if isinstance(rule, str) else rule.name
        category = "" if isinstance(rule, str) else rule.category.value
        if name.startswith("style/"):
            category = "style"
        tags = {name, category}
        if self.select and not tags & set(self.select):
            return False
        return not tags & set(self.exclude)

    def severity_of(self, rule: str, default: Severity) -> Severity:
        return self.severity.get(rule, default)


@dataclass(frozen=True)
class RuleSettings:
    """The settings the rules read (``ctx.settings``), and nothing else: cached findings are keyed on
    :meth:`fingerprint`, so a change of any of them lints again. A rule needing another setting adds
    it here."""

    exposed_schemas: tuple[str, ...]
    lint: LintConfig

    @classmethod
    def of(cls, settings: Settings, config: LintConfig) -> RuleSettings:
        return cls(tuple(settings.exposed_schemas), config)

    def fingerprint(self) -> str:
        data = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(data.encode()).hexdigest()[:16]
