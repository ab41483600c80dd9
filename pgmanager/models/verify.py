"""Verifying RLS policies: matrix cells, spec cases, pgTAP points, fuzz results, mutants."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ._base import Finding, Model, SandboxInfo

__all__ = ["CaseResult", "CellOutcome", "FuzzResult", "MatrixCell", "MutantResult", "SynthesisedWorld", "TapResult",
           "VerifyReport"]


class CellOutcome(StrEnum):
    """What one identity's statement did on one table."""

    ALLOWED = "allowed"
    FILTERED = "filtered"  # allowed, but RLS left 0 rows to reach
    DENIED = "denied"  # 42501
    ERROR = "error"
    SKIPPED = "skipped"


class MatrixCell(Model):
    """What one identity could do with one command on one table, measured by a real statement."""

    table: str
    identity: str
    command: str = Field(description="SELECT | INSERT | UPDATE | DELETE")
    outcome: CellOutcome
    rows: int | None = Field(default=None, description="rows visible (SELECT) or affected (UPDATE, DELETE, INSERT)")
    sqlstate: str | None = None
    message: str = ""
    passed: bool = True


class CaseResult(Model):
    """One spec case (policies/tests/*.yaml) run as its identity."""

    file: str
    line: int
    name: str
    identity: str
    passed: bool
    message: str = ""
    sqlstate: str | None = None
    duration_ms: float = 0.0


class TapResult(Model):
    """One test point of a pgTAP file (supabase/tests/*.sql), parsed from its TAP output."""

    file: str
    number: int
    description: str
    passed: bool
    directive: str | None = Field(default=None, description="SKIP or TODO")
    diagnostics: str = ""


class FuzzResult(Model):
    """Leak fuzzing of one table: RLS-visible rows against the spec's visibility oracle."""

    table: str
    file: str
    examples: int
    passed: bool
    message: str = ""
    reproduction: str | None = Field(default=None, description="SQL that rebuilds the minimal failing world")


class MutantResult(Model):
    """A weakened copy of one policy and whether the specs or the fuzzer noticed."""

    id: str = Field(description="file: policy name: mutation")
    file: str
    line: int
    table: str
    policy: str
    mutation: str
    sql: str
    killed: bool
    killed_by: str | None = None
    equivalent: str | None = Field(default=None, description="justification from a spec, when declared equivalent")

    @property
    def survived(self) -> bool:
        return not self.killed and self.equivalent is None


class SynthesisedWorld(Model):
    """The world verify made from the schema when no spec declares users: who, and rows per table."""

    users: list[str] = Field(description="auth.users ids; the matrix's owner is the first, stranger the second")
    rows: dict[str, int] = Field(description="rows per table once filled (a trigger's included), parents first")
    skipped: dict[str, str] = Field(default={}, description="table -> why it got no (or not every) row")


class VerifyReport(Model):
    """What `pgmanager verify` measured: matrix, specs, pgTAP, fuzzing and mutants."""

    ok: bool
    sandbox: SandboxInfo | None = None
    matrix: list[MatrixCell] = []
    problems: list[Finding] = Field(default=[], description="matrix rules: RLS off, missing policy, stranger leak")
    notes: list[Finding] = Field(default=[], description="information, not failures: deny-all tables, default "
                                                         "grants, tables outside the exposed schemas")
    world: SynthesisedWorld | None = Field(default=None, description="set when verify synthesised the data")
    cases: list[CaseResult] = []
    tap: list[TapResult] = []
    tap_skipped: str | None = None
    fuzz: list[FuzzResult] = []
    mutants: list[MutantResult] = []
    timings_ms: dict[str, float] = {}

    @property
    def failures(self) -> int:
        """Matrix rules broken, cells, spec cases, pgTAP points and fuzzed tables failed, mutants survived."""
        return (len(self.problems) + sum(not c.passed for c in self.matrix) + sum(not c.passed for c in self.cases)
                + sum(not t.passed and t.directive != "TODO" for t in self.tap) + sum(not f.passed for f in self.fuzz)
                + sum(m.survived for m in self.mutants))
