"""Live advisors' report."""

from __future__ import annotations

from pydantic import Field

from ._base import Finding, Model, Severity
from .lint import RuleInfo

__all__ = ["AdvisorsReport"]


class AdvisorsReport(Model):
    """What `pgmanager advisors` found on a live database or the project's sandbox build."""

    ok: bool = Field(description="no finding at or above fail_on")
    fail_on: Severity = Severity.WARNING
    target: str = Field(description="host:port/dbname, or 'sandbox <provider>'")
    exposed_schemas: list[str] = []
    exposed_from: str = Field(default="settings", description="settings (exposed_schemas) or pgrst.db_schemas")
    supabase: bool = Field(default=False, description="the anon and authenticated roles exist (Supabase checks ran)")
    advisors: int = Field(default=0, description="advisors that ran")
    skipped: dict[str, str] = Field(default={}, description="advisor -> why it did not run on this target")
    findings: list[Finding] = []
    rules: list[RuleInfo] = []
    timings_ms: dict[str, float] = {}

    def count(self, severity: Severity) -> int:
        return sum(f.severity == severity for f in self.findings)
