"""How much does a fresh, fully built database cost? Measured in one run, for two projects:
this repository's own SQL and a generated 200-migration corpus.

Ways compared (median of several runs each):
1. clone of the template  (CREATE DATABASE ... TEMPLATE, both strategies: wal_log, file_copy)
2. clone from the pool    (made ahead of time in a background thread; the wait a test sees)
3. rollback isolation     (BEGIN ... ROLLBACK on a shared clone: the cost per test that commits nothing)
4. fresh apply            (everything applied into an empty database)
5. new cluster + apply    (initdb, start, apply everything: what a per-test server costs)

    python benchmarks/sandbox.py [--runs 5] [--corpus-size 200]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from corpus import write_corpus
from psycopg import sql

from pgmanager.api import building, inputs
from pgmanager.sandbox import LocalCluster, LocalProvider, Sandbox, find_local_bindir, open_sandbox

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def measure(label: str, project_root: Path, box: Sandbox, runs: int) -> dict[str, float]:
    settings, project = inputs.load(project_root)  # the corpus has no seed file; the project's seed is loaded
    migrator = building.project_migrator(settings, project)
    template = box.template(migrator)
    out: dict[str, float] = {}

    made: list[str] = []
    for strategy in ("wal_log", "file_copy"):
        box.templates.strategy = strategy
        out[f"clone ({strategy})"] = median_ms(lambda: made.append(box.clone(template)), runs)
    for name in made:
        box.drop(name)
    box.templates.strategy = None

    acquired: list[str] = []
    box.acquire(template, pool_size=2)  # start the pool
    samples = []
    for _ in range(runs):
        time.sleep(max(out["clone (wal_log)"], out["clone (file_copy)"]) / 1000 * 1.5)  # a test body runs
        t0 = time.perf_counter()
        acquired.append(box.acquire(template))
        samples.append((time.perf_counter() - t0) * 1000)
    out["acquire from pool"] = statistics.median(samples)

    with psycopg.connect(box.dsn(acquired[0])) as conn:
        conn.execute("select 1")
        conn.commit()

        def rolled_back() -> None:
            conn.execute("select count(*) from pg_class")
            conn.rollback()

        out["rollback isolation"] = median_ms(rolled_back, runs * 20)
    for name in acquired:
        box.drop(name)

    def fresh_apply() -> None:
        name = "bench_" + secrets.token_hex(4)
        with psycopg.connect(box.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        building.build_database(settings, project, box.dsn(name), seed=True)
        box.drop(name)

    out["fresh apply"] = median_ms(fresh_apply, max(2, runs // 2))

    bindir = find_local_bindir()
    if bindir is not None:
        def new_cluster() -> None:
            cluster = LocalCluster.create(bindir)
            try:
                building.build_database(settings, project, cluster.dsn(), seed=True)
            finally:
                cluster.destroy()

        out["new cluster + apply"] = median_ms(new_cluster, max(2, runs // 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus-size", type=int, default=200)
    args = parser.parse_args()
    if LocalProvider().unavailable():
        raise SystemExit("needs local PostgreSQL binaries")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.corpus_size)
        with open_sandbox("local") as box:
            print(f"server: {box.server.detail}")
            for label, root in (("project", ROOT), ("corpus", corpus)):
                results = measure(label, root, box, args.runs)
                corpus_name = f"generated corpus ({args.corpus_size} migrations)"
                print("\nthis project's SQL" if label == "project" else f"\n{corpus_name}")
                base = results["fresh apply"]
                for key, ms in results.items():
                    print(f"  {key:<22} {ms:9.2f} ms   fresh apply / this = {base / ms:8.1f}x")
                best = min(results["acquire from pool"], results["rollback isolation"])
                print(f"  goal: a fresh database at <= 1/20 of a fresh apply -> best way is "
                      f"{base / best:.0f}x cheaper")


if __name__ == "__main__":
    main()
