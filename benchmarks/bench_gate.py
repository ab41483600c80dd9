"""How often `pgmanager bench --baseline` raises a false alarm, and whether it catches a 2x slowdown.

    python benchmarks/bench_gate.py [--pairs 20] [--scale 0.02] [--duration 1 | --iterations N] [--clients 2]
                                    [--confirm 2] [--min-delta-ms 0.1] [--rounds 5] [--json]

All runs go through ``pgmanager.api.benching.bench`` on one throwaway local cluster, on the data
template of this repository's project (generated once, then cloned for every run).

1. A/A: ``--pairs`` times, the whole workload twice with the same code and data (A, then A'), and A'
   compared with A as ``--baseline`` would. A is saved as a baseline is meant to be: ``--rounds`` (5)
   rounds of the workload, each query and identity keeping its fastest round. A pair is a false alarm
   when any query and identity fails.
   Goal: under 5% of pairs.
2. 2x slowdown, latency only: a copy of the project whose ``public.usage_analytics`` takes twice its
   time (the original, renamed, then a busy loop as long as it took: each request's server time doubles,
   as either identity): the plan
   the gate fingerprints is the same ``Function Scan``, so only the latency interval can catch it.
   Each pair's A is its baseline. Goal: every pair fails, as both identities.
3. 2x slowdown, a dropped index: the project plus a migration dropping idx_usage_metrics_user_date;
   user-usage-by-day is compared with A (the plan-shape route).

Each comparison is the gate as shipped: ``bench(..., baseline=A, confirm=--confirm)``, where a query
slower than A is measured again and fails only if slower every time; the queries slower at first
(before confirmation) are counted too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgmanager.api.benching import DEFAULT_CONFIRM, bench  # noqa: E402
from pgmanager.api.inputs import load  # noqa: E402
from pgmanager.bench import BenchReport, Comparison  # noqa: E402
from pgmanager.bench._compare import MIN_DELTA_MS  # noqa: E402
from pgmanager.sandbox import open_sandbox  # noqa: E402

GOAL_FALSE_ALARMS = 0.05
SLOW_QUERY = "usage-analytics"
INDEX_QUERY = "user-usage-by-day"
_FUNCTION = "public.usage_analytics("
_TWICE = """
-- bench_gate.py: the same function, then as long again busy (CPU, as more work would be): twice the time
create or replace function public.usage_analytics(
    p_start timestamptz,
    p_end timestamptz,
    p_group_by text default 'day'
)
returns table (bucket timestamptz, event_type text, event_count bigint, user_count bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    t0 timestamptz := pg_catalog.clock_timestamp();
    done timestamptz;
begin
    return query select * from public.usage_analytics_once(p_start, p_end, p_group_by);
    done := pg_catalog.clock_timestamp() + (pg_catalog.clock_timestamp() - t0);
    while pg_catalog.clock_timestamp() < done loop
    end loop;
end;
$$;

revoke execute on function public.usage_analytics(timestamptz, timestamptz, text) from public, anon;

grant execute on function public.usage_analytics(timestamptz, timestamptz, text) to authenticated, service_role;
"""


def project_copy(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for folder in ("migrations", "policies", "views", "sql", "supabase"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, dest / folder)
    for name in ("pyproject.toml", ".sqlfluff"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, dest / name)
    return dest


def doubled_function(dest: Path) -> Path:
    """The project with usage_analytics taking twice its time: the original function renamed
    usage_analytics_once, and usage_analytics calling it (as the caller, through RLS), then spinning as long
    as that call took. Each request's server time doubles, whoever sends it, and its plan (a Function
    Scan) stays. (Calling the original twice does not double it: the second call finds warm caches; nor
    does pg_sleep, which sleeps whole milliseconds.)"""
    folder = project_copy(dest)
    view = folder / "views" / "usage_analytics.sql"
    text = view.read_text()
    if _FUNCTION not in text:
        raise SystemExit(f"{view}: expected {_FUNCTION}...) to slow down")
    view.write_text(text.replace(_FUNCTION, "public.usage_analytics_once(") + _TWICE)
    return folder


def dropped_index(dest: Path) -> Path:
    folder = project_copy(dest)
    (folder / "migrations" / "29991231000000_drop_usage_index.sql").write_text(
        "drop index public.idx_usage_metrics_user_date;\n")
    return folder


def failed(comparison: Comparison, query: str | None = None) -> list[str]:
    return [f"{v.query} as {v.identity}: {v.verdict} ({v.detail})" for v in comparison.regressions
            if query is None or v.query == query]


def verdicts(comparison: Comparison, query: str) -> list[dict[str, Any]]:
    return [{"identity": v.identity, "verdict": v.verdict, "ratio": v.ratio, "ci_low": v.ci_low,
             "baseline_p95": v.baseline_p95, "p95": v.p95, "machine": v.machine}
            for v in comparison.verdicts if v.query == query]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--iterations", type=int, default=None, help="requests per query and identity (instead of "
                    "--duration)")
    ap.add_argument("--duration", type=float, default=1.0, help="seconds per query and identity: a run spans the "
                    "machine's changes of pace, as a CI run would (a few hundred requests of a sub-ms query span "
                    "a few ms)")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.2)
    ap.add_argument("--min-delta-ms", type=float, default=MIN_DELTA_MS, help="as bench --min-delta-ms")
    ap.add_argument("--confirm", type=int, default=DEFAULT_CONFIRM, help="as bench --confirm")
    ap.add_argument("--rounds", type=int, default=5, help="as bench --rounds, for each pair's baseline A")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    settings, project = load(ROOT)
    results: dict[str, Any] = {"pairs": args.pairs, "scale": args.scale, "iterations": args.iterations,
                               "duration_s": None if args.iterations else args.duration,
                               "clients": args.clients, "threshold": args.threshold, "confirm": args.confirm,
                               "min_delta_ms": args.min_delta_ms, "baseline_rounds": args.rounds}
    t_start = time.perf_counter()
    with open_sandbox("local") as box, tempfile.TemporaryDirectory() as tmp:
        slow_settings, slow_project = load(doubled_function(Path(tmp) / "doubled"))
        index_settings, index_project = load(dropped_index(Path(tmp) / "dropped"))
        saved = Path(tmp) / "a.json"

        def run(which: tuple[Any, Any], queries: tuple[str, ...] = (), baseline: Path | None = None,
                rounds: int = 1) -> BenchReport:
            return bench(which[0], which[1], scale=args.scale, iterations=args.iterations, clients=args.clients,
                         duration_s=None if args.iterations else args.duration,
                         queries=queries, threshold=args.threshold, box=box, baseline=baseline, confirm=args.confirm,
                         min_delta_ms=args.min_delta_ms, rounds=rounds)

        for which in ((settings, project), (slow_settings, slow_project), (index_settings, index_project)):
            run(which, (SLOW_QUERY,))  # the data templates, built once before anything is timed
        aa: list[dict[str, Any]] = []
        slow: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        for i in range(args.pairs):
            saved.write_text(run((settings, project), rounds=args.rounds).model_dump_json())
            again = run((settings, project), baseline=saved)
            doubled = run((slow_settings, slow_project), (SLOW_QUERY,), baseline=saved)
            no_index = run((index_settings, index_project), (INDEX_QUERY,), baseline=saved)
            assert again.comparison and doubled.comparison and no_index.comparison
            aa.append({"alarms": failed(again.comparison), "comparisons": len(again.comparison.verdicts),
                       "suspects": [n for n in again.comparison.notes if "(confirmation 1 of" in n],
                       "machine": [v.machine for v in again.comparison.verdicts if v.machine is not None]})
            slow.append({"caught": failed(doubled.comparison, SLOW_QUERY),
                         "verdicts": verdicts(doubled.comparison, SLOW_QUERY)})
            index.append({"caught": failed(no_index.comparison, INDEX_QUERY),
                          "verdicts": verdicts(no_index.comparison, INDEX_QUERY)})
            print(f"pair {i + 1}/{args.pairs}: A/A {len(aa[-1]['suspects'])} query(ies) slower at first, "
                  f"{len(aa[-1]['alarms'])} alarm(s) after confirmation; 2x function caught as "
                  f"{len(slow[-1]['caught'])} identity(ies); dropped index caught as {len(index[-1]['caught'])}",
                  file=sys.stderr, flush=True)
    results["seconds"] = round(time.perf_counter() - t_start, 1)

    def ratios(identity: str) -> list[float]:
        return [v["ratio"] for p in slow for v in p["verdicts"] if v["identity"] == identity]

    def caught(pairs: list[dict[str, Any]], identity: str) -> int:
        return sum(any(line.split(":")[0].endswith(f" as {identity}") for line in p["caught"]) for p in pairs)

    comparisons = sum(p["comparisons"] for p in aa)
    results.update({
        "aa_pairs_with_an_alarm": sum(bool(p["alarms"]) for p in aa),
        "aa_false_alarm_rate": round(sum(bool(p["alarms"]) for p in aa) / args.pairs, 3),
        "aa_comparisons": comparisons,
        "aa_comparisons_failed": sum(len(p["alarms"]) for p in aa),
        "aa_pairs_slower_at_first": sum(bool(p["suspects"]) for p in aa),
        "aa_queries_slower_at_first": sum(len(p["suspects"]) for p in aa),
        "aa_alarms": [line for p in aa for line in p["alarms"]],
        "aa_machine_drift_max": max((m for p in aa for m in p["machine"]), default=None),
        "slowdown_2x_function": {
            identity: {"caught": caught(slow, identity),
                       "p95_ratio_min": min(ratios(identity), default=None),
                       "p95_ratio_max": max(ratios(identity), default=None),
                       "baseline_p95_ms_max": max((v["baseline_p95"] for p in slow for v in p["verdicts"]
                                                   if v["identity"] == identity), default=None)}
            for identity in ("authenticated", "service_role")},
        "dropped_index": {identity: caught(index, identity) for identity in ("authenticated", "service_role")},
        "slowdown_2x_verdicts": [p["verdicts"] for p in slow],
    })
    if args.json:
        print(json.dumps(results, indent=2))
        return
    n = args.pairs
    rate = results["aa_false_alarm_rate"]
    amount = f"{args.iterations} requests" if args.iterations else f"{args.duration:g} s"
    print(f"scale {args.scale:g}, {amount} per query and identity, {args.clients} client(s), "
          f"threshold {args.threshold:.0%}, --confirm {args.confirm}, baselines of {args.rounds} round(s), {n} pairs, "
          f"{results['seconds']} s")
    print(f"A/A: {results['aa_pairs_with_an_alarm']}/{n} pairs raised an alarm ({rate:.0%}; goal under "
          f"{GOAL_FALSE_ALARMS:.0%}: {'met' if rate < GOAL_FALSE_ALARMS else 'NOT met'}); "
          f"{results['aa_comparisons_failed']} of {comparisons} query-identity comparisons")
    print(f"     before confirmation: {results['aa_pairs_slower_at_first']}/{n} pairs had a query slower at first "
          f"({results['aa_queries_slower_at_first']} queries)")
    for line in results["aa_alarms"]:
        print(f"     alarm: {line}")
    for identity, r in results["slowdown_2x_function"].items():
        print(f"2x {SLOW_QUERY} (same plan) as {identity}: caught {r['caught']}/{n}; p95 ratio "
              f"{r['p95_ratio_min']}..{r['p95_ratio_max']}, baseline p95 up to {r['baseline_p95_ms_max']} ms")
    for identity, count in results["dropped_index"].items():
        print(f"dropped index, {INDEX_QUERY} as {identity}: caught {count}/{n}")


if __name__ == "__main__":
    main()
