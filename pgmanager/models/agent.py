"""`pgmanager agent` and `pgmanager mcp`: the Backend Agent's message shapes (shared/seed/backend-agent.md).

The field names are the protocol's (camelCase, as the TypeScript interfaces spell them); Python code reads
them by their snake_case names. ``QueryOptimizationRequest`` is ours: the seed names it without a shape.
Their JSON Schemas live in docs/schemas/ (``pgmanager agent --schemas DIR`` writes them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = ["BackendResultMessage", "BackendTaskMessage", "Deliverables", "ExplainReport", "Performance",
           "QueryOptimizationRequest", "TaskSpecifications"]

TaskType = Literal["create-api", "optimize-query", "fix-bug", "integrate-service"]
Scalar = str | int | float | bool | None


class Wire(BaseModel):
    """A protocol model: camelCase on the wire, snake_case in Python, nothing unknown accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class QueryOptimizationRequest(Wire):
    """What to optimise: one statement (``sql`` with ``params``) or a workload folder, under a budget."""

    sql: str | None = Field(default=None, description="one statement, psycopg %(name)s or $1 placeholders; "
                                                      "without it, the workload")
    params: dict[str, Scalar] = Field(default={}, description="values for the statement's placeholders; "
                                                              "without them, a generic plan")
    workload: str | None = Field(default=None, description="folder of query files, relative to the project "
                                                           "(default: the project's sql/queries)")
    budget_mb: float | None = Field(default=None, gt=0, description="storage budget for the new indexes")
    target: str = Field(default="sandbox", description="'sandbox' (the project's sandbox with bench data), a "
                                                       "named target of [tool.pgmanager.targets], or a DSN; "
                                                       "nothing is written to a live target")
    scale: float | None = Field(default=None, gt=0, description="bench data scale in the sandbox (default 0.05)")
    seed: int = Field(default=1, description="seed of the data and of the parameters drawn")
    drop_secondary: bool = Field(default=False, description="sandbox: drop the indexes that back no constraint "
                                                            "first, and advise from there")
    write_migration: bool = Field(default=True, description="write the recommended indexes as a migration")
    migration_name: str = Field(default="advise_indexes", pattern=r"^[a-z0-9_]+$")
    proof_iterations: int = Field(default=50, ge=1, description="requests per query before and after, "
                                                                "in the proof")
    bench_iterations: int = Field(default=200, ge=1, description="requests per query in the bench run after "
                                                                 "the change (its baseline guards it)")


class TaskSpecifications(Wire):
    api: dict[str, Any] | None = Field(default=None, description="ApiSpecification (not handled here)")
    query: QueryOptimizationRequest | None = None
    bug: dict[str, Any] | None = Field(default=None, description="BugReport (not handled here)")
    integration: dict[str, Any] | None = Field(default=None, description="IntegrationRequest (not handled here)")


class BackendTaskMessage(Wire):
    """An incoming task."""

    task_id: str = Field(min_length=1)
    type: TaskType
    priority: Literal["high", "medium", "low"]
    specifications: TaskSpecifications
    dependencies: list[str] | None = None


class Deliverables(Wire):
    endpoints: list[dict[str, Any]] = Field(default=[], description="ApiEndpoint[]: none for optimize-query")
    migrations: list[str] = Field(default=[], description="the migration written, relative to the project")
    tests: list[str] = Field(default=[], description="the bench baseline that guards it (and the query file "
                                                     "it runs, for a single statement)")
    documentation: list[str] = Field(default=[], description="the advise report (markdown)")


class Performance(Wire):
    """Measured by a bench run after the change, over the optimised statements, as an authenticated user."""

    average_response_time: float = Field(description="mean latency, ms")
    p95_response_time: float = Field(description="p95 latency, ms (the worst statement's)")
    throughput: float = Field(description="requests per second (the slowest statement's)")


class BackendResultMessage(Wire):
    """The outgoing result."""

    task_id: str
    status: Literal["completed", "in-progress", "blocked", "failed"]
    deliverables: Deliverables | None = None
    performance: Performance | None = None
    issues: list[str] = []


class ExplainReport(Wire):
    """`explain_query` (MCP): a statement's plan on the project's sandbox or a live target."""

    target: str
    analyzed: bool = Field(description="EXPLAIN ANALYZE (run in a transaction rolled back afterwards)")
    shape: str = Field(description="node types, relations and indexes: Limit > Index Scan on ...")
    total_cost: float
    execution_ms: float | None = None
    plan: dict[str, Any] = Field(description="the JSON plan, as PostgreSQL gives it")
