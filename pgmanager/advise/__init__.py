"""Index advice for a workload, costed with hypothetical indexes and proven with real ones.

- ``candidates``: index candidates from each statement's AST facts (no database);
- ``workload``: the statements, their tables (views expanded) and parameter values;
- ``whatif``: hypopg's hypothetical indexes, or real ones on a clone; ``cost``: EXPLAIN costs, writes charged;
- ``select``: greedy selection under a budget (with Extend), pruning, an exhaustive check for small cases;
- ``existing``: duplicate, redundant and unused indexes; ``proof``: the choice built and benchmarked;
- ``migration``: the choice as a migration; ``_advise``: all of it on one database.

``pgmanager.api.advising.advise`` wires it to the project, its sandbox and its bench data.
"""

from ._advise import Advice, advise_database, existing_findings, query_advice, recommendations, summary
from .candidates import Candidate, Condition, Key, candidates
from .cost import Evaluator
from .select import exhaustive, greedy
from .whatif import Hypo, Real, WhatIf, hypopg_status, index_name, index_sql
from .workload import Statement, from_text, workload_queries

__all__ = ["Advice", "Candidate", "Condition", "Evaluator", "Hypo", "Key", "Real", "Statement", "WhatIf",
           "advise_database", "candidates", "exhaustive", "existing_findings", "from_text", "greedy",
           "hypopg_status", "index_name", "index_sql", "query_advice", "recommendations", "summary",
           "workload_queries"]
