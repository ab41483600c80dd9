"""How often `pgmanager bench --baseline` raises a false alarm, and whether it catches a 2x slowdown.

    python benchmarks/bench_gate.py [--pairs 20] [--scale 0.02] [--iterations 200] [--clients 2] [--confirm 2]
                                    [--json]

All runs go through ``pgmanager.api.benching.bench`` on one throwaway local cluster, on the data
template of this repository's project (generated once, then cloned for every run).

1. A/A: ``--pairs`` times, the whole workload twice with the same code and data (A, then A'), and A'
   compared with A as ``--baseline`` would. A pair is a false alarm when any query and identity fails.
   Goal: under 5% of pairs.
2. 2x slowdown, latency only: a copy of the project whose ``public.usage_analytics`` does its work twice
   (a ``perform`` of the same aggregate before ``return query``): the plan the gate fingerprints is the
   same ``Function Scan``, so only the latency interval can catch it. Each pair's A is its baseline.
   Goal: every pair fails where the query's p95 is above the gate's ``--min-delta-ms`` floor.
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
from pgmanager.sandbox import open_sandbox  # noqa: E402

GOAL_FALSE_ALARMS = 0.05
SLOW_QUERY = "usage-analytics"
INDEX_QUERY = "user-usage-by-day"
_RETURN = "    return query\n"
_DOUBLE_WORK = """    perform count(*), count(distinct um.user_id)
        from public.usage_metrics as um
        where um.created_at >= p_start and um.created_at < p_end
        group by date_trunc(p_group_by, um.created_at, 'UTC'), um.event_type;

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
    """The project with usage_analytics doing its aggregate twice: same plan, about twice the time."""
    folder = project_copy(dest)
    view = folder / "views" / "usage_analytics.sql"
    text = view.read_text()
    if text.count(_RETURN) != 1:
        raise SystemExit(f"{view}: expected one `return query` to slow down")
    view.write_text(text.replace(_RETURN, _DOUBLE_WORK + _RETURN))
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
             "baseline_p95": v.baseline_p95, "p95": v.p95} for v in comparison.verdicts if v.query == query]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--iterations", type=int, default=200, help="requests per query and identity")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.2)
    ap.add_argument("--confirm", type=int, default=DEFAULT_CONFIRM, help="as bench --confirm")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    settings, project = load(ROOT)
    results: dict[str, Any] = {"pairs": args.pairs, "scale": args.scale, "iterations": args.iterations,
                               "clients": args.clients, "threshold": args.threshold, "confirm": args.confirm}
    t_start = time.perf_counter()
    with open_sandbox("local") as box, tempfile.TemporaryDirectory() as tmp:
        slow_settings, slow_project = load(doubled_function(Path(tmp) / "doubled"))
        index_settings, index_project = load(dropped_index(Path(tmp) / "dropped"))
        saved = Path(tmp) / "a.json"

        def run(which: tuple[Any, Any], queries: tuple[str, ...] = (), baseline: Path | None = None) -> BenchReport:
            return bench(which[0], which[1], scale=args.scale, iterations=args.iterations, clients=args.clients,
                         queries=queries, threshold=args.threshold, box=box, baseline=baseline, confirm=args.confirm)

        for which in ((settings, project), (slow_settings, slow_project), (index_settings, index_project)):
            run(which, (SLOW_QUERY,))  # the data templates, built once before anything is timed
        aa: list[dict[str, Any]] = []
        slow: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        for i in range(args.pairs):
            saved.write_text(run((settings, project)).model_dump_json())
            again = run((settings, project), baseline=saved)
            doubled = run((slow_settings, slow_project), (SLOW_QUERY,), baseline=saved)
            no_index = run((index_settings, index_project), (INDEX_QUERY,), baseline=saved)
            assert again.comparison and doubled.comparison and no_index.comparison
            aa.append({"alarms": failed(again.comparison), "comparisons": len(again.comparison.verdicts),
                       "suspects": [n for n in again.comparison.notes if "(confirmation 1 of" in n]})
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
        "slowdown_2x_function": {
            identity: {"caught": caught(slow, identity),
                       "p95_ratio_min": min(ratios(identity), default=None),
                       "p95_ratio_max": max(ratios(identity), default=None),
                       "baseline_p95_ms_max": max((v["baseline_p95"] for p in slow for v in p["verdicts"]
                                                   if v["identity"] == identity), default=None)}
            for identity in ("authenticated", "service_role")},
        "dropped_index": {identity: caught(index, identity) for identity in ("authenticated", "service_role")},
    })
    if args.json:
        print(json.dumps(results, indent=2))
        return
    n = args.pairs
    rate = results["aa_false_alarm_rate"]
    print(f"scale {args.scale:g}, {args.iterations} requests per query and identity, {args.clients} client(s), "
          f"threshold {args.threshold:.0%}, --confirm {args.confirm}, {n} pairs, {results['seconds']} s")
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
