"""Time `verify --mutate` on the project's own policies, part by part, and the isolation it relies on.

    python benchmarks/verify.py [--repeat 3] [--examples 25] [--isolation 200]

Prints, for the full verify (best of --repeat runs, each with its own sandbox):
  matrix cells/s, spec cases/s, fuzz worlds/s (each world is checked against every table's oracle,
  as anon and each of its users), mutants/s, and the total time.
Then the peer comparison the design rests on, measured in the same run on the same server:
  a case isolated by a rolled-back transaction (begin, set local role + claims, query, rollback)
  against the same case in a fresh clone (CREATE DATABASE ... TEMPLATE, connect, query, drop).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgmanager.api import building, inputs, verifying  # noqa: E402
from pgmanager.models import VerifyReport  # noqa: E402
from pgmanager.policies import Identity, act_as  # noqa: E402
from pgmanager.sandbox import open_sandbox  # noqa: E402

ALICE = Identity("alice", "authenticated", "00000000-0000-0000-0000-00000000000a")
QUERY = "select count(*) from public.projects"


def full_verify(examples: int) -> VerifyReport:
    settings, project = inputs.load(ROOT)
    return verifying.verify(settings, project, mutate=True, examples=examples)


def rate(count: int, ms: float) -> str:
    return f"{count / (ms / 1000):10.1f}/s  ({count} in {ms / 1000:.3f} s)" if ms else "n/a"


def isolation(n: int) -> tuple[list[float], list[float], list[float]]:
    settings, project = inputs.load(ROOT)
    with open_sandbox(settings.sandbox) as box:
        template = box.template(building.project_migrator(settings, project, seed=True))
        shared = box.clone(template)
        rolled: list[float] = []
        bare: list[float] = []
        with psycopg.connect(box.dsn(shared), autocommit=True) as conn:
            for _ in range(n):  # the floor: the query alone, as the superuser, no isolation at all
                t0 = time.perf_counter()
                conn.execute(QUERY).fetchone()
                bare.append(time.perf_counter() - t0)
            for _ in range(n):
                t0 = time.perf_counter()
                with act_as(conn, ALICE):
                    conn.execute(QUERY).fetchone()
                rolled.append(time.perf_counter() - t0)
        fresh: list[float] = []
        for _ in range(max(5, n // 20)):
            t0 = time.perf_counter()
            name = box.clone(template)
            with psycopg.connect(box.dsn(name), autocommit=True) as conn, act_as(conn, ALICE):
                conn.execute(QUERY).fetchone()
            box.drop(name)
            fresh.append(time.perf_counter() - t0)
    return bare, rolled, fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--isolation", type=int, default=200, help="cases for the rolled-back transaction peer")
    args = parser.parse_args()

    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        report = full_verify(args.examples)
        runs.append((time.perf_counter() - t0, report))
        if not report.ok:
            print(f"warning: verify failed ({report.failures} failure(s)); numbers still printed")
    wall, report = min(runs, key=lambda r: r[0])
    t = report.timings_ms
    worlds = report.fuzz[0].examples if report.fuzz else 0
    print(f"pgmanager verify --mutate of this project (best of {args.repeat}, examples={args.examples})")
    print(f"  matrix cells   {rate(len(report.matrix), t.get('matrix', 0))}")
    print(f"  spec cases     {rate(len(report.cases), t.get('specs', 0))}")
    print(f"  pgTAP points   {rate(len(report.tap), t.get('pgtap', 0))}  (one clone for all files)")
    print(f"  fuzz worlds    {rate(worlds, t.get('fuzz', 0))}  x {len(report.fuzz)} tables")
    print(f"  mutants        {rate(len(report.mutants), t.get('mutate', 0))}  "
          f"(survived {sum(m.survived for m in report.mutants)})")
    print(f"  sandbox start {t.get('sandbox_start', 0) / 1000:.2f} s, template build {t.get('build', 0) / 1000:.2f} s")
    print(f"  total verify  {t.get('total', 0) / 1000:.2f} s (wall {wall:.2f} s; all runs: "
          + ", ".join(f"{w:.2f}" for w, _ in runs) + " s)")

    bare, rolled, fresh = isolation(args.isolation)
    b_ms, r_ms, f_ms = (statistics.median(x) * 1000 for x in (bare, rolled, fresh))
    print("one case (median), the same query each time")
    print(f"  bare query, no isolation            {b_ms:8.3f} ms  ({len(bare)} cases)")
    print(f"  rolled-back transaction + identity  {r_ms:8.3f} ms  (isolation cost {r_ms - b_ms:.3f} ms)")
    print(f"  fresh clone + identity              {f_ms:8.3f} ms  (isolation cost {f_ms - b_ms:.3f} ms)")
    print(f"  ratio of isolation costs, fresh clone / rolled back: {(f_ms - b_ms) / max(r_ms - b_ms, 1e-6):.0f}x")


if __name__ == "__main__":
    main()
