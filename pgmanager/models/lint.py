"""Lint rules and their report."""

from __future__ import annotations

from pydantic import Field

from ._base import Finding, Model, Severity

__all__ = ["LintReport", "RuleInfo"]


class RuleInfo(Model):
    """A lint rule's metadata, for reporters (SARIF rules, docs links)."""

    name: str
    severity: Severity
    category: str
    summary: str
    help: str
    docs: str = Field(default="", description="the rule's documentation (markdown)")
    url: str | None = Field(default=None, description="the rule's documentation page (lint.docs_url)")


class LintReport(Model):
    """What `pgmanager lint` found: findings of the AST rules and of the style engine, ignores applied."""

    ok: bool = Field(description="no finding at or above fail_on")
    fail_on: Severity = Severity.WARNING
    files: int = 0
    statements: int = 0
    findings: list[Finding] = []
    rules: list[RuleInfo] = []
    fixed_files: list[str] = Field(default=[], description="files rewritten by --fix")
    fixes_applied: int = 0
    cached_files: int = Field(default=0, description="files whose rule findings came from the cache")
    styled_files: int = Field(default=0, description="files sqlfluff actually linted (not cached)")
    model_files_parsed: int = Field(default=0, description="files parsed only to rebuild the schema model "
                                    "(the rest came from a snapshot)")
    timings_ms: dict[str, float] = {}

    def count(self, severity: Severity) -> int:
        return sum(f.severity == severity for f in self.findings)
