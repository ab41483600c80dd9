"""How good is `pgmanager advise`? Its choice against three reference strategies, on two workloads, in one run.

    python benchmarks/advise.py [--scale 1] [--pgbench-scale 5] [--seed 1] [--samples 3] [--reps 3]
                                [--workloads ours,pgbench] [--json]

Workloads (each on a throwaway local cluster, hypopg created):
1. ours: the project's sql/queries on bench's data at --scale (scale 1: 10k users, 50k projects, 200k
   files, 2M usage events) with the secondary indexes dropped (only the constraints' indexes remain);
2. pgbench: `pgbench -i -I dtgvp` (tables, data and primary keys only) at --pgbench-scale, made to look
   used by benchmarks/advise_workload/data/setup.sql (spread balances, two history rows per account),
   and the 12 queries of benchmarks/advise_workload/ (reads, TPC-B's account update and history insert).

Strategies (benchmarks/advise_refs.py): pgmanager (advise_database, no budget), index_advisor's rule,
Dexter's rule and the DTA-style greedy, all from the same statements and parameter samples; then
pgmanager again with each reference's storage as its budget where that is smaller than pgmanager's
own (hypopg's estimate; ``--no-budgets`` skips these), for the comparison at equal storage.

Each strategy's indexes are then built for real (CREATE INDEX) on the same database, one strategy at a
time, and measured there:
- relative cost: the workload's real EXPLAIN cost (mean over the samples) with / without them, the
  writes' index maintenance charged as advise charges it (an entry per new index, per index when an
  UPDATE is no longer HOT);
- storage: the built indexes' pg_relation_size (the budgets are in advise's estimate);
- improved: statements at least 10% cheaper;
- regressed: statements whose plan (or, for a write, its table's indexes) changed and that ran slower:
  the EXPLAIN ANALYZE time (writes in a rolled-back transaction; per sample the fastest of --reps
  runs, then the mean over the samples) up by more than 20% and 0.1 ms, as advise's proof judges;
- unused: recommended indexes no statement's real plan uses; time: the strategy's own run.
Goals: pgmanager has the lowest relative cost at equal or smaller storage, zero unused, zero regressed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import psycopg  # noqa: E402
from advise_refs import REFERENCES  # noqa: E402
from psycopg import sql  # noqa: E402

from pgmanager.advise import Hypo, Real, Statement, advise_database, hypopg_status, workload_queries  # noqa: E402
from pgmanager.advise._advise import schemas_of  # noqa: E402
from pgmanager.advise.cost import Config, Evaluator  # noqa: E402
from pgmanager.advise.existing import read_indexes, write_facts  # noqa: E402
from pgmanager.advise.proof import SLOWER_MS, SLOWER_RATIO  # noqa: E402
from pgmanager.api.advising import drop_secondary  # noqa: E402
from pgmanager.api.benching import data_migrator  # noqa: E402
from pgmanager.api.inputs import load  # noqa: E402
from pgmanager.bench import PROFILE_NAME, Query, load_profile  # noqa: E402
from pgmanager.sandbox import Sandbox, find_local_bindir, open_sandbox  # noqa: E402

WORKLOAD = ROOT / "benchmarks" / "advise_workload"
IMPROVED = 0.9


@dataclass
class Row:
    strategy: str
    indexes: list[str]
    relative_cost: float
    storage_bytes: int
    improved: int
    regressed: list[str]
    unused: list[str]
    seconds: float
    write_charge: float
    per_query: dict[str, dict[str, Any]] = field(default_factory=dict)


def timed(conn: psycopg.Connection, stmt: Statement, reps: int) -> float | None:
    """EXPLAIN ANALYZE execution time (ms, in a rolled-back transaction): per sample the fastest of ``reps``
    runs (the least disturbed by other work on the machine), then the mean over the samples."""
    if stmt.mode == "generic":
        return None
    per_sample = []
    for params in (stmt.samples if stmt.mode == "sampled" else [{}]):
        runs = []
        for _ in range(reps):
            conn.execute("begin")
            try:
                row = conn.execute(sql.SQL("explain (analyze, format json) ") + sql.SQL(stmt.query.sql),
                                   params or None).fetchone()
            finally:
                conn.execute("rollback")
            assert row is not None
            doc = row[0] if not isinstance(row[0], str) else json.loads(row[0])
            runs.append(float(doc[0]["Execution Time"]))
        per_sample.append(min(runs))
    return round(statistics.mean(per_sample), 3)


def measure(conn: psycopg.Connection, stmts: list[Statement], configs: dict[str, tuple[Config, float]],
            reps: int) -> list[Row]:
    facts = write_facts(read_indexes(conn, schemas_of(stmts)))
    real = Evaluator(conn, Real(conn), stmts, facts)
    before_cost = real.objective(frozenset())
    before_ms = [timed(conn, s, reps) for s in stmts]
    rows = []
    for name, (config, seconds) in configs.items():
        real.realize(config)
        plans = real.plans(config)
        after_ms = [timed(conn, s, reps) for s in stmts]
        used = real.used(config)
        improved, regressed, charge, per = 0, [], 0.0, {}
        for stmt, base, plan, b_ms, a_ms in zip(stmts, real.baseline, plans, before_ms, after_ms, strict=True):
            write = real.write_cost(config, stmt, plan)
            charge += write
            before, after = stmt.weight * base.cost, stmt.weight * plan.cost + write
            changed = bool(plan.uses) or plan.indexes != base.indexes or (
                stmt.kind in ("insert", "update") and any(c.table == stmt.target for c in config))
            slower = (changed and b_ms is not None and a_ms is not None and a_ms > b_ms * SLOWER_RATIO
                      and a_ms - b_ms > SLOWER_MS)
            improved += after <= before * IMPROVED
            if slower:
                regressed.append(stmt.name)
            per[stmt.name] = {"cost_before": round(before, 2), "cost_after": round(after, 2), "ms_before": b_ms,
                              "ms_after": a_ms}
        rows.append(Row(strategy=name, indexes=sorted(c.describe() for c in config),
                        relative_cost=round(real.objective(config) / before_cost, 4) if before_cost else 1.0,
                        storage_bytes=real.bytes(config), improved=improved, regressed=regressed,
                        unused=sorted(c.describe() for c, names in used.items() if not names),
                        seconds=round(seconds, 2), write_charge=round(charge, 2), per_query=per))
    real.close()
    return rows


def strategies(conn: psycopg.Connection, queries: list[Query], samples: int, seed: int, budgets: bool
               ) -> tuple[list[Statement], dict[str, tuple[Config, float]]]:
    """Every strategy's choice on ``conn`` (hypopg), from the same statements as pgmanager's."""
    t0 = time.perf_counter()
    advice = advise_database(conn, queries, Hypo(conn), budget_bytes=None, samples=samples, seed=seed,
                             generic=False)
    configs = {"pgmanager": (advice.choice.config, time.perf_counter() - t0)}
    advice.evaluator.close()
    stmts = advice.statements
    existing = read_indexes(conn, schemas_of(stmts))
    forms = [f for f in (ix.as_candidate() for ix in existing) if f is not None]
    facts = write_facts(existing)
    for name, fn in REFERENCES.items():
        t0 = time.perf_counter()
        config = fn(conn, stmts, forms, facts, seed)
        configs[name] = (config, time.perf_counter() - t0)
    if budgets:  # pgmanager again, with each reference's storage (hypopg's estimate) as its budget
        sizes = {name: advice.evaluator.bytes(config) for name, (config, _) in configs.items()}
        advice.evaluator.close()
        for name in REFERENCES:
            if sizes[name] < sizes["pgmanager"]:
                t0 = time.perf_counter()
                limited = advise_database(conn, queries, Hypo(conn), budget_bytes=sizes[name], samples=samples,
                                          seed=seed, generic=False)
                limited.evaluator.close()
                configs[f"pgmanager, budget = {name}'s size"] = (limited.choice.config, time.perf_counter() - t0)
    conn.execute("select hypopg_reset()")
    return stmts, configs


def _ready(conn: psycopg.Connection) -> None:
    problem = hypopg_status(conn)
    if problem:
        raise SystemExit(f"error: {problem}")


def ours(box: Sandbox, args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    settings, project = load(ROOT)
    profile = load_profile(settings.path(settings.queries) / PROFILE_NAME, PROFILE_NAME)
    t0 = time.perf_counter()
    template = box.template(data_migrator(settings, project, profile, scale=args.scale, seed=args.seed, built=[]))
    info = {"data_seconds": round(time.perf_counter() - t0, 1), "scale": args.scale}
    db = box.clone(template)
    with psycopg.connect(box.dsn(db), autocommit=True) as conn:
        info["dropped"] = drop_secondary(conn, list(settings.exposed_schemas))
        _ready(conn)
        stmts, configs = strategies(conn, workload_queries(settings), args.samples, args.seed, not args.no_budgets)
        info["statements"] = len(stmts)
        rows = measure(conn, stmts, configs, args.reps)
    box.drop(db)
    return rows, info


def pgbench(box: Sandbox, args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    bindir = find_local_bindir()
    if bindir is None or not (bindir / "pgbench").is_file():
        raise SystemExit("error: pgbench not found beside the PostgreSQL server binaries")
    db = "pgm_advise_pgbench"
    with psycopg.connect(box.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(db)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
    t0 = time.perf_counter()
    res = subprocess.run([str(bindir / "pgbench"), "-i", "-q", "-I", "dtgvp", "-s", str(args.pgbench_scale),
                          box.dsn(db)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"error: pgbench -i failed: {res.stderr.strip().splitlines()[-1:]}")
    settings, _ = load(ROOT, queries=str(WORKLOAD))
    with psycopg.connect(box.dsn(db), autocommit=True) as conn:
        conn.execute((WORKLOAD / "data" / "setup.sql").read_text())
        conn.execute("vacuum analyze")
        info: dict[str, Any] = {"data_seconds": round(time.perf_counter() - t0, 1), "scale": args.pgbench_scale}
        _ready(conn)
        stmts, configs = strategies(conn, workload_queries(settings), args.samples, args.seed, not args.no_budgets)
        info["statements"] = len(stmts)
        rows = measure(conn, stmts, configs, args.reps)
    with psycopg.connect(box.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(db)))
    return rows, info


def table(title: str, rows: list[Row], info: dict[str, Any]) -> str:
    lines = [f"### {title} ({info['statements']} statements, scale {info['scale']:g}, data {info['data_seconds']} s)",
             "", "| strategy | relative cost | storage | indexes | improved | regressed | unused | time |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.strategy} | {r.relative_cost:.1%} | {r.storage_bytes / 1024 / 1024:.1f} MB | "
                     f"{len(r.indexes)} | {r.improved}/{info['statements']} | {len(r.regressed)} | {len(r.unused)} | "
                     f"{r.seconds:.1f} s |")
    lines.append("")
    for r in rows:
        lines.append(f"- {r.strategy}: {'; '.join(r.indexes) or 'nothing'}"
                     + (f" (regressed: {', '.join(r.regressed)})" if r.regressed else "")
                     + (f" (unused: {', '.join(r.unused)})" if r.unused else ""))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0, help="bench data scale of our workload")
    parser.add_argument("--pgbench-scale", type=int, default=5, help="pgbench -i scale (100k accounts each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=3, help="parameter sets per statement")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per parameter set")
    parser.add_argument("--workloads", default="ours,pgbench")
    parser.add_argument("--no-budgets", action="store_true",
                        help="skip pgmanager's runs with each smaller reference's storage as its budget")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    wanted = [w.strip() for w in args.workloads.split(",") if w.strip()]
    runs = {"ours": ("our workload (sql/queries, secondary indexes dropped)", ours),
            "pgbench": ("pgbench tables (primary keys only) and benchmarks/advise_workload", pgbench)}
    out: dict[str, Any] = {}
    with open_sandbox("local") as box:
        for key in wanted:
            title, fn = runs[key]
            rows, info = fn(box, args)
            out[key] = {"info": info, "rows": [asdict(r) for r in rows]}
            if not args.json:
                print(table(title, rows, info), flush=True)
                print()
    if args.json:
        print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
