"""`check`, the main job: everything one run did."""

from __future__ import annotations

from typing import Any

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
    skipped: dict[str, str] = {}
    """Stages that could not run here (not those turned off by an option), and why: {"pgTAP": "..."}."""
    warnings: list[str] = []
    """What the sandbox could only pretend to have, e.g. an extension built as pgmanager's stand-in."""
    bench: dict[str, Any] | None = None
    """`check --bench`: the short bench's report, as `pgmanager bench --format json` prints it."""
    timings_ms: dict[str, float] = {}
