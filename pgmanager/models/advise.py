"""`pgmanager advise`: recommended indexes, what they cost and save, the proof on a clone."""

from __future__ import annotations

from pydantic import Field

from ._base import Model

__all__ = ["AdviseReport", "ExistingIndexFinding", "ProofQuery", "ProofReport", "QueryAdvice", "Recommendation"]


class Recommendation(Model):
    name: str
    table: str
    definition: str = Field(description="CREATE INDEX CONCURRENTLY IF NOT EXISTS ..., ready to run")
    columns: list[str] = Field(description="key columns with their direction")
    include: list[str] = []
    where: str | None = None
    origin: str = Field(description="the rule that proposed it: eq, eq+sort, eq+range, partial, include, extend...")
    estimated_bytes: int = Field(description="hypopg's size estimate (or the real size, without hypopg)")
    real_bytes: int | None = Field(default=None, description="its size once built on the clone (the proof)")
    used_by: list[str] = Field(description="workload statements whose plans use it")
    write_cost: float = Field(description="index maintenance charged to the workload's writes, planner units")


class QueryAdvice(Model):
    name: str
    file: str
    kind: str
    params: str = Field(description="plain, sampled (values drawn from the data) or generic (a generic plan)")
    cost_before: float
    cost_after: float
    indexes_before: list[str]
    indexes_after: list[str]
    candidates: int


class ProofQuery(Model):
    name: str
    p95_before_ms: float | None = None
    p95_after_ms: float | None = None
    execution_before_ms: float | None = Field(default=None, description="EXPLAIN ANALYZE, one sampled request")
    execution_after_ms: float | None = None
    plan_before: str = ""
    plan_after: str = ""
    slower: bool = False
    skipped: str | None = Field(default=None, description="why it was not run (no parameter values)")


class ProofReport(Model):
    proved: bool
    where: str = Field(description="what was measured: a sandbox clone, a copy of the target, or nothing")
    reason: str | None = Field(default=None, description="why there is no proof")
    requests: int = 0
    build_ms: float = 0.0
    queries: list[ProofQuery] = []
    slower: list[str] = Field(default=[], description="queries whose p95 got worse by more than 20% (beyond its "
                              "bootstrap interval) and 0.1 ms, in the first measurement and each confirmation")
    unused: list[str] = Field(default=[], description="built indexes no EXPLAIN ANALYZE used")


class ExistingIndexFinding(Model):
    name: str
    table: str
    kind: str = Field(description="duplicate, redundant or unused")
    detail: str
    definition: str
    size_bytes: int


class AdviseReport(Model):
    ok: bool
    target: str
    method: str = Field(description="hypopg, or real indexes on a clone")
    notes: list[str] = []
    budget_mb: float | None = None
    scale: float | None = None
    seed: int = 1
    statements: int
    candidates: int
    candidates_covered: int = Field(description="dropped: an existing index covers them")
    explains: int = Field(description="EXPLAINs the what-if search ran")
    cost_before: float
    cost_after: float
    relative_cost: float = Field(description="cost_after / cost_before, writes' index maintenance included")
    storage_bytes: int
    recommendations: list[Recommendation]
    rounds: list[str] = []
    queries: list[QueryAdvice]
    existing: list[ExistingIndexFinding] = []
    proof: ProofReport | None = None
    migration: str | None = Field(default=None, description="the migration written (--write-migration)")
    timings_ms: dict[str, float] = {}
