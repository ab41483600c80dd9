"""`check`, the main job: everything one run did."""

from __future__ import annotations

from ._base import Finding, Model, SandboxInfo
from .lint import LintReport
from .migrate import MigrateResult
from .verify import VerifyReport

__all__ = ["CheckReport"]


class CheckReport(Model):
    """What `pgmanager check` did: files parsed, where it built, what it applied."""

    ok: bool
    sandbox: SandboxInfo | None = None
    files: int = 0
    statements: int = 0
    findings: list[Finding] = []
    migrate: MigrateResult | None = None
    lint: LintReport | None = None
    verify: VerifyReport | None = None
    timings_ms: dict[str, float] = {}
