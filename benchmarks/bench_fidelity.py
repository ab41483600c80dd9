"""How faithful `pgmanager bench` is: the same query, parameters and clients through it and through pgbench.

    python benchmarks/bench_fidelity.py [--scale 1] [--query user-projects] [--clients 2]
                                        [--iterations 30000] [--rounds 5] [--warmup 200] [--json]

1. Data: the project is built in a throwaway local cluster and `pgmanager bench`'s data template is
   generated at --scale (scale 1: 10k users, 50k projects, 200k files, 2M usage events); the
   generation time is reported (goal at scale 1: under 60 s on this machine).
2. Parameters: 100 values of the query's `from` parameter, drawn once from the same table (a seeded
   sample), go into a table of the clone, `public.bench_fidelity`; a temporary project's copy of the
   query draws from that table, so both tools send exactly these 100 values, uniformly.
3. pgmanager: `python -m pgmanager bench -C <temp project> --dsn <clone>` as a real process (read-only
   on the clone's data); its service_role run is the one pgbench compares with (pgbench connects as
   the superuser, who bypasses RLS as service_role does).
4. pgbench: `pgbench -n -M prepared -c C -j C -t N/C -l` with 100 generated scripts, one per value
   (`\\set limit 50` for the integer parameter and the value as a literal: pgbench's `\\set` holds
   numbers, not uuids), picked at random with equal weight; latencies from its per-transaction log,
   the first --warmup transactions of each client dropped (pgmanager warms up as many). Then the same
   scripts wrapped as pgmanager's requests are (begin, identity switch, query, rollback) with
   `pgbench -r`, whose per-statement mean is the query's.
5. The tools alternate for --rounds rounds (a machine busy for a while weighs on both); medians of
   the rounds are reported.

Printed: both p50s (and p95s) and their ratio (goal: within 15%), pgmanager's client-side overhead
per query (its p50 minus pgbench's), each tool's throughput and the time per request it spends
outside the timed query, and the query's mean in the wrapped transaction.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from psycopg import sql  # noqa: E402

from pgmanager.api.benching import data_migrator  # noqa: E402
from pgmanager.api.inputs import load  # noqa: E402
from pgmanager.bench import PROFILE_NAME, Generated, load_profile, load_workload  # noqa: E402
from pgmanager.bench._stats import summarize  # noqa: E402
from pgmanager.bench._workload import PLACEHOLDER, FromColumn  # noqa: E402
from pgmanager.db import connect  # noqa: E402
from pgmanager.sandbox import find_local_bindir, open_sandbox  # noqa: E402

_BINDIR = find_local_bindir()
PGBENCH = str(_BINDIR / "pgbench") if _BINDIR is not None else "pgbench"
"""pgbench ships beside initdb (postgresql-15 / postgresql-client-15); else from PATH."""
VALUES = 100
GOAL_RATIO = 0.15
GOAL_GENERATE_S = 60.0


def fidelity_project(folder: Path, query_sql: str, param: str, defaults: dict[str, object]) -> None:
    """A project holding one copy of the query, drawing ``param`` from public.bench_fidelity."""
    (folder / "queries").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[tool.pgmanager]\nqueries = "queries"\n')
    (folder / "queries" / "fidelity.sql").write_text(
        f"-- name: fidelity\n-- params: {json.dumps(defaults)}\n"
        f"-- param: {param} from public.bench_fidelity.{param}\n{query_sql}\n")


# pgmanager's request around the query (see pgmanager/bench/_run.py): the identity switch, then a rollback
API_BEGIN = ["begin;", "set local role service_role;",
             "select set_config('request.jwt.claims', '{\"role\": \"service_role\"}', true);"]
API_END = ["rollback;"]


def pgbench_scripts(folder: Path, query_sql: str, param: str, values: list[str],
                    defaults: dict[str, object], *, as_api: bool = False) -> list[Path]:
    """One script per value; ``as_api``: inside the same transaction as pgmanager's requests."""
    folder.mkdir(parents=True, exist_ok=True)
    scripts = []
    for i, value in enumerate(values):
        lines = [f"\\set {k} {v}" for k, v in defaults.items() if isinstance(v, int) and k != param]
        if as_api:
            lines += API_BEGIN

        def render(m: re.Match[str], value: str = value) -> str:
            name = m.group("name")
            if isinstance(defaults.get(name), int):
                return ":" + name  # a pgbench variable, set above
            return sql.Literal(value if name == param else str(defaults[name])).as_string(None)

        lines.append(" ".join(PLACEHOLDER.sub(render, query_sql).split()).rstrip(";") + ";")
        if as_api:
            lines += API_END
        path = folder / f"q{i:03d}.sql"
        path.write_text("\n".join(lines) + "\n")
        scripts.append(path)
    return scripts


def pgmanager_round(project: Path, dsn: str, clients: int, iterations: int, warmup: int) -> dict:
    """`pgmanager bench` as a real process; its service_role run (pgbench's superuser bypasses RLS too)."""
    cmd = [sys.executable, "-m", "pgmanager", "bench", "-C", str(project), "--dsn", dsn, "--clients", str(clients),
           "--iterations", str(iterations), "--warmup", str(warmup), "--format", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"pgmanager bench failed ({proc.returncode}): {proc.stderr.strip()}")
    runs = {r["identity"]: r for r in json.loads(proc.stdout)["queries"][0]["runs"]}
    return dict(runs["service_role"], authenticated_p50_ms=runs["authenticated"]["latency"]["p50"])


def pgbench_statement_mean(folder: Path, dsn: str, scripts: list[Path], clients: int, iterations: int) -> float:
    """The query's mean latency (ms) with pgbench -r, in scripts that wrap it as pgmanager's requests do."""
    per_client = (iterations + clients - 1) // clients
    args = [PGBENCH, "-n", "-M", "prepared", "-r", "-c", str(clients), "-j", str(clients), "-t", str(per_client)]
    for s in scripts:
        args += ["-f", f"{s}@1"]
    proc = subprocess.run([*args, dsn], capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"pgbench failed: {proc.stderr.strip()}")
    total = weight = 0.0
    transactions = 0
    for line in proc.stdout.splitlines():
        words = line.split()
        if line.startswith(" - ") and len(words) > 2 and words[2] == "transactions":
            transactions = int(words[1])
        elif len(words) > 2 and words[2].lower() == "select" and "set_config" not in line:
            total += float(words[0]) * transactions
            weight += transactions
    return total / weight if weight else math.nan


def pgbench_latencies(folder: Path, dsn: str, scripts: list[Path], clients: int, iterations: int,
                      warmup: int) -> tuple[list[float], float]:
    folder.mkdir(parents=True, exist_ok=True)
    per_client = (iterations + clients - 1) // clients + warmup
    args = [PGBENCH, "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients), "-t", str(per_client), "-l",
            "--log-prefix", str(folder / "log")]
    for s in scripts:
        args += ["-f", f"{s}@1"]
    proc = subprocess.run([*args, dsn], capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"pgbench failed: {proc.stderr.strip()}")
    tps = next(float(line.split("=")[1].split()[0]) for line in proc.stdout.splitlines() if line.startswith("tps"))
    latencies = []
    for log in folder.glob("log*"):
        seen: dict[str, int] = {}
        for line in log.read_text().splitlines():
            client, _, latency_us = line.split()[:3]
            seen[client] = seen.get(client, 0) + 1
            if seen[client] > warmup:
                latencies.append(int(latency_us) / 1e6)
    return latencies, tps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--query", default="user-projects")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=30_000, help="requests per tool, over all rounds")
    ap.add_argument("--rounds", type=int, default=5, help="alternated rounds of each tool")
    ap.add_argument("--warmup", type=int, default=200, help="untimed requests per round")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    settings, project = load(ROOT)
    query = next(q for q in load_workload(settings, (args.query,)).queries)
    param, source = next((n, s) for n, s in query.sources.items() if isinstance(s, FromColumn))
    defaults = {k: v for k, v in query.defaults.items() if k in query.parameters and k != param}
    profile = load_profile(settings.path(settings.queries) / PROFILE_NAME, PROFILE_NAME)
    results: dict[str, Any] = {"query": args.query, "scale": args.scale, "clients": args.clients,
                               "iterations": args.iterations, "rounds": args.rounds}
    with open_sandbox("local") as box, tempfile.TemporaryDirectory() as tmp:
        built: list[Generated] = []
        t0 = time.perf_counter()
        template = box.template(data_migrator(settings, project, profile, scale=args.scale, seed=args.seed,
                                              built=built))
        results["template_build_s"] = round(time.perf_counter() - t0, 2)
        results["generate_s"] = round(built[0].seconds, 2)
        results["generate_by_table_s"] = built[0].seconds_by_table
        results["rows"] = built[0].rows
        dsn = box.dsn(box.clone(template))
        with connect(dsn) as conn:
            conn.execute(sql.SQL("create table public.bench_fidelity as select {} as {} from {} where {} is not null "
                                 "order by md5(ctid::text || {}) limit {}").format(
                sql.Identifier(source.column), sql.Identifier(param), sql.Identifier(source.schema, source.table),
                sql.Identifier(source.column), sql.Literal(str(args.seed)), sql.Literal(VALUES)))
            conn.execute("analyze public.bench_fidelity")
            values = [str(r[0]) for r in conn.execute(sql.SQL("select {} from public.bench_fidelity").format(
                sql.Identifier(param)))]
        folder = Path(tmp)
        fidelity_project(folder / "project", query.sql, param, defaults)
        scripts = pgbench_scripts(folder / "plain", query.sql, param, values, defaults)
        api_scripts = pgbench_scripts(folder / "api", query.sql, param, values, defaults, as_api=True)
        per_round = max(1, args.iterations // args.rounds)
        warmup = max(1, args.warmup // max(1, args.clients))
        rounds: list[dict[str, float]] = []
        for i in range(args.rounds):  # alternated, so that a machine busy for a while weighs on both
            ours = pgmanager_round(folder / "project", dsn, args.clients, per_round, warmup)
            theirs, tps = pgbench_latencies(folder / f"round{i}", dsn, scripts, args.clients, per_round, warmup)
            peer = summarize(theirs)
            api_mean = pgbench_statement_mean(folder / f"api{i}", dsn, api_scripts, args.clients, per_round)
            rounds.append({"pgbench_as_api_mean_ms": api_mean,
                           "pgmanager_p50_ms": ours["latency"]["p50"], "pgbench_p50_ms": peer.p50 * 1000,
                           "pgmanager_p95_ms": ours["latency"]["p95"], "pgbench_p95_ms": peer.p95 * 1000,
                           "pgmanager_mean_ms": ours["latency"]["mean"], "pgbench_mean_ms": peer.mean * 1000,
                           "pgmanager_rps": ours["throughput_rps"], "pgbench_tps": tps,
                           "authenticated_p50_ms": ours["authenticated_p50_ms"],
                           "ratio": ours["latency"]["p50"] / (peer.p50 * 1000)})

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 4)

    ratio = median("ratio")
    ours_p50, theirs_p50 = median("pgmanager_p50_ms"), median("pgbench_p50_ms")
    results.update({
        "per_round": rounds,
        "pgmanager": {"p50_ms": ours_p50, "p95_ms": median("pgmanager_p95_ms"), "rps": median("pgmanager_rps"),
                      "outside_query_ms": round(args.clients / median("pgmanager_rps") * 1000
                                                - median("pgmanager_mean_ms"), 4),
                      "authenticated_p50_ms": median("authenticated_p50_ms")},
        "pgbench": {"p50_ms": theirs_p50, "p95_ms": median("pgbench_p95_ms"), "tps": median("pgbench_tps"),
                    "outside_query_ms": round(args.clients / median("pgbench_tps") * 1000
                                              - median("pgbench_mean_ms"), 4)},
        "p50_ratio": ratio,
        "mean_ratio_in_the_same_transaction": round(median("pgmanager_mean_ms") / median("pgbench_as_api_mean_ms"),
                                                    3),
        "pgbench_as_api_mean_ms": median("pgbench_as_api_mean_ms"),
        "client_overhead_us_per_query": round((ours_p50 - theirs_p50) * 1000, 1),
    })
    if args.json:
        print(json.dumps(results, indent=2))
        return
    ours_r, peer_r = results["pgmanager"], results["pgbench"]
    print(f"data at scale {args.scale:g}: generated in {results['generate_s']} s (goal at scale 1: under "
          f"{GOAL_GENERATE_S:.0f} s); the template with the project built in {results['template_build_s']} s")
    print("  " + ", ".join(f"{t} {n:,} rows in {results['generate_by_table_s'][t]:.1f} s" for t, n in
                           results["rows"].items()))
    print(f"{args.query}, {args.clients} client(s), {args.iterations} requests per tool in {args.rounds} alternated "
          f"rounds, the same {VALUES} parameter values (medians of the rounds):")
    print(f"  pgmanager bench (service_role)  p50 {ours_r['p50_ms']:.3f} ms  p95 {ours_r['p95_ms']:.3f} ms  "
          f"{ours_r['rps']:,.0f} req/s  outside the timed query {ours_r['outside_query_ms']:.3f} ms/request")
    print(f"  pgbench -M prepared (superuser) p50 {peer_r['p50_ms']:.3f} ms  p95 {peer_r['p95_ms']:.3f} ms  "
          f"{peer_r['tps']:,.0f} tps    outside the timed query {peer_r['outside_query_ms']:.3f} ms/request")
    per_round = ", ".join(f"{r['ratio']:.2f}" for r in rounds)
    print(f"  p50 ratio pgmanager / pgbench: {ratio:.3f} (per round: {per_round}; goal within {GOAL_RATIO:.0%}: "
          f"{'met' if abs(ratio - 1) <= GOAL_RATIO else 'NOT met'})")
    print(f"  pgmanager's client-side overhead per query: {results['client_overhead_us_per_query']} µs at p50")
    print(f"  wrapped as pgmanager's requests are (begin, identity switch, query, rollback), pgbench -r gives the "
          f"query a mean of {results['pgbench_as_api_mean_ms']:.3f} ms; pgmanager's mean "
          f"{median('pgmanager_mean_ms'):.3f} ms (ratio {results['mean_ratio_in_the_same_transaction']:.3f})")
    print(f"  the same requests through RLS, as each value's owner: p50 {ours_r['authenticated_p50_ms']:.3f} ms")


if __name__ == "__main__":
    main()
