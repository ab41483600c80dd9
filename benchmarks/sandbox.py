"""How much does a fresh, fully built database cost? Measured in one run, for two projects:
this repository's own SQL and a generated 200-migration corpus.

Ways compared (median of several runs each):
1. clone of the template  (CREATE DATABASE ... TEMPLATE, both strategies: wal_log, file_copy)
2. clone from the pool    (made ahead of time in a background thread; the wait a test sees)
3. rollback isolation     (BEGIN ... ROLLBACK on a shared clone: the cost per test that commits nothing)
4. fresh apply            (everything applied into an empty database)
5. new server + apply     (a new server, apply everything: what a per-test server costs)
and the template build and a server's start, one column per provider (local, embedded, docker where
an engine runs; the container's image: PGMANAGER_SANDBOX_IMAGE, .ci/docker-image.sh builds one).

    python benchmarks/sandbox.py [--runs 5] [--corpus-size 200] [--providers local,embedded,docker]
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
from pgmanager.sandbox import Provider, Sandbox, open_sandbox, providers

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def measure(project_root: Path, box: Sandbox, runs: int) -> dict[str, float]:
    settings, project = inputs.load(project_root)  # the corpus has no seed file; the project's seed is loaded
    migrator = building.project_migrator(settings, project)
    t0 = time.perf_counter()
    template = box.template(migrator)
    out: dict[str, float] = {"template build": (time.perf_counter() - t0) * 1000}

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

    def new_server() -> None:  # what a server per test would cost
        server = box_provider(box.provider).start()
        try:
            building.build_database(settings, project, server.dsn(), seed=True)
        finally:
            server.stop()

    out["new server + apply"] = median_ms(new_server, max(2, runs // 2))
    return out


def box_provider(name: str) -> Provider:
    return providers(name)[0]


def server_start(name: str, runs: int) -> float:
    """Median ms from nothing to a server that accepts connections (a container: create, initdb, start)."""
    def start_stop() -> None:
        box_provider(name).start().stop()

    return median_ms(start_stop, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus-size", type=int, default=200)
    parser.add_argument("--providers", default="local,embedded,docker",
                        help="comma-separated; those that cannot work here are left out, saying why")
    args = parser.parse_args()
    names = []
    for name in args.providers.split(","):
        reason = box_provider(name).unavailable()
        if reason:
            print(f"{name}: left out ({reason})")
        else:
            names.append(name)
    if not names:
        raise SystemExit("no provider works here")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.corpus_size)
        projects = {"this project's SQL": ROOT, f"generated corpus ({args.corpus_size} migrations)": corpus}
        table: dict[str, dict[str, dict[str, float]]] = {label: {} for label in projects}
        starts: dict[str, float] = {}
        for name in names:
            starts[name] = server_start(name, max(2, args.runs // 2))
            with open_sandbox(name) as box:
                print(f"{name}: {box.server.detail}")
                for label, root in projects.items():
                    table[label][name] = measure(root, box, args.runs)
        print(f"\n{'server start':<36}" + "".join(f"{starts[n]:>12.1f} ms" for n in names))
        for label, results in table.items():
            print(f"\n{label:<36}" + "".join(f"{n:>15}" for n in names))
            for key in results[names[0]]:
                print(f"  {key:<34}" + "".join(f"{results[n][key]:>12.2f} ms" for n in names))
            best = {n: min(results[n]["acquire from pool"], results[n]["rollback isolation"]) for n in names}
            print("  goal: a fresh database at <= 1/20 of a fresh apply; best way is "
                  + ", ".join(f"{results[n]['fresh apply'] / best[n]:.0f}x cheaper ({n})" for n in names))


if __name__ == "__main__":
    main()
