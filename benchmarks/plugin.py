"""pgmanager's pytest plugin against pytest-postgresql, measured in one run: suites whose tests each
write a row and commit, 20 and 100 tests, on an empty schema and on 200 migrations (corpus.py).

Each suite is a fresh `python -m pytest` process (wall time, start-up included), with only the plugin
under test loaded (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 -p ...). Both keep their data in RAM:
pytest-postgresql with --basetemp in /dev/shm, pgmanager's clusters live there by default.

- pytest-postgresql: `postgresql_proc(load=[every SQL file])` (its template, loaded once per session)
  and the `postgresql` fixture (a database cloned from it per test);
- pgmanager, new server: `pgm_conn`, the default local provider: a cluster started and the template
  built in every session;
- pgmanager, kept template: `pgm_conn` with `--pgm-sandbox up` on the server `pgmanager sandbox up`
  left running: the template is kept between sessions, so an unchanged project builds nothing, and the
  clones a session takes were made ready by the previous session's refill (pgmanager.testing._ready).
  The suite runs once unmeasured first (the steady state: the same suite run again), and every run
  waits for the detached refill to finish before the next measurement, so that it slows no other
  cell; its time ("refill", under the table) is server work after pytest has exited.

    pip install pytest-postgresql   # the peer, for this benchmark only
    python benchmarks/plugin.py [--sizes 20,100] [--migrations 0,200] [--repeat 2]

Each cell is the best of --repeat runs (a loaded machine slows single runs); compare the ratios, which
are measured side by side, rather than absolute times. Per test: the suite's time divided by its
tests; "marginal" (under the table): the cost of one more test, from the difference between sizes.

As root, postgres refuses to run: pytest-postgresql then gets a pg_ctl wrapper that runs it as the
`postgres` user (pgmanager does the same on its own).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import write_corpus

from pgmanager.sandbox import find_local_bindir
from pgmanager.testing import _ready

ROOT = Path(__file__).resolve().parent.parent

BODY = {
    0: ("create table if not exists public.w (x int)", "insert into public.w values (1)", "public.w"),
    200: ("select 1", "insert into public.t5 (owner_id, name) values (gen_random_uuid(), 'x')", "public.t5"),
}

SUITE = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_write({fixture}, i):
    conn = {fixture}
    conn.execute("{ddl}")
    conn.execute("{insert}")
    conn.commit()
    assert conn.execute("select count(*) from {table}").fetchone()[0] == {expected}
"""

PEER_CONFTEST = """
from pathlib import Path

from pytest_postgresql import factories

postgresql_proc = factories.postgresql_proc(executable={pg_ctl!r}, load=[Path(p) for p in {load!r}])
postgresql = factories.postgresql("postgresql_proc")
"""

PG_CTL_AS_POSTGRES = """#!/bin/sh
# pg_ctl as the postgres user (postgres refuses root): give it the data folder first
for a in "$@"; do
    case "$prev" in -D|--pgdata)
        mkdir -p "$a"; chown -R postgres: "$(dirname "$a")"
        d="$(dirname "$a")"; while [ "$d" != / ]; do chmod o+x "$d"; d="$(dirname "$d")"; done;;  # pytest's 0700
    esac; prev="$a"
done
exec setpriv --reuid=postgres --regid=postgres --init-groups {pg_ctl} "$@"
"""


def run_suite(folder: Path, args: list[str]) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "PGMANAGER_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=folder,
                          env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode != 0:
        raise SystemExit(f"suite failed in {folder}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed, last


def write_suite(folder: Path, n: int, migrations: int, fixture: str) -> Path:
    ddl, insert, table = BODY[migrations]
    expected = 1 if migrations == 0 else 21
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_suite.py").write_text(SUITE.format(n=n, fixture=fixture, ddl=ddl, insert=insert, table=table,
                                                        expected=expected))
    return folder


def peer(work: Path, project: Path, n: int, migrations: int, pg_ctl: Path) -> float:
    folder = write_suite(work / f"peer-{migrations}-{n}", n, migrations, "postgresql")
    migrations_sql = sorted(str(p) for p in (project / "migrations").glob("*.sql"))
    files = [str(project / "sql" / "supabase_auth.sql"), *migrations_sql]
    (folder / "conftest.py").write_text(PEER_CONFTEST.format(pg_ctl=str(pg_ctl), load=files))
    basetemp = Path(tempfile.mkdtemp(prefix="pgm-bench-peer-", dir="/dev/shm"))
    os.chmod(basetemp, 0o755)
    try:
        return run_suite(folder, ["-p", "pytest_postgresql.plugin", f"--basetemp={basetemp / 'b'}"])[0]
    finally:
        shutil.rmtree(basetemp, ignore_errors=True)


def ours(work: Path, project: Path, n: int, migrations: int, kept: bool) -> tuple[float, str]:
    folder = write_suite(work / f"ours-{migrations}-{n}-{kept}", n, migrations, "pgm_conn")
    args = ["-p", "pgmanager.testing.plugin", f"--pgm-project={project}", "-rN"]
    return run_suite(folder, [*args, "--pgm-sandbox", "up" if kept else "local"])


def pgmanager_cli(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "pgmanager", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def settle(admin_dsn: str) -> float:
    """Wait for the detached refill after a kept-template session; its duration."""
    t0 = time.perf_counter()
    if not _ready.wait_idle(admin_dsn, timeout=600):
        raise SystemExit("the ready-clone refill did not finish")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20,100")
    ap.add_argument("--migrations", default="0,200")
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell, the best one kept")
    opts = ap.parse_args()
    bindir = find_local_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries here (PGMANAGER_PG_BINDIR)")
    try:
        import pytest_postgresql  # noqa: F401
    except ImportError:
        raise SystemExit("pip install pytest-postgresql first (the peer measured here)") from None
    sizes = [int(s) for s in opts.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="pgm-bench-plugin-"))
    os.chmod(work, 0o755)
    pg_ctl = bindir / "pg_ctl"
    if os.geteuid() == 0:
        wrapper = work / "pg_ctl"
        wrapper.write_text(PG_CTL_AS_POSTGRES.format(pg_ctl=pg_ctl))
        wrapper.chmod(0o755)
        pg_ctl = wrapper
    rows = []
    refills: list[tuple[int, int, float]] = []
    try:
        for migrations in (int(m) for m in opts.migrations.split(",")):
            project = write_corpus(work / f"project-{migrations}", migrations)
            os.chmod(project, 0o755)
            for path in project.rglob("*"):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            up = pgmanager_cli("sandbox", "up", "-C", str(project))
            admin = up.rsplit("/", 1)[0] + "/postgres"
            try:
                for n in sizes:
                    ours(work, project, n, migrations, kept=True)  # the steady state: this suite ran before
                    settle(admin)
                    fresh = kept = theirs = float("inf")
                    for _ in range(max(1, opts.repeat)):
                        fresh = min(fresh, ours(work, project, n, migrations, kept=False)[0])
                        kept = min(kept, ours(work, project, n, migrations, kept=True)[0])
                        refills.append((migrations, n, settle(admin)))
                        theirs = min(theirs, peer(work, project, n, migrations, pg_ctl))
                    rows.append((migrations, n, theirs, fresh, kept))
                    print(f"  {migrations} migrations, {n} tests: pytest-postgresql {theirs:.1f} s, pgmanager "
                          f"{fresh:.1f} s (new server), {kept:.1f} s (kept template); ratios "
                          f"{theirs / fresh:.1f}x, {theirs / kept:.1f}x", file=sys.stderr)
            finally:
                pgmanager_cli("sandbox", "down", "-C", str(project))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("| schema | tests | pytest-postgresql (RAM) | pgmanager, new server | ratio | pgmanager, kept template "
          "| ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for migrations, n, theirs, fresh, kept in rows:
        print(f"| {_schema(migrations)} | {n} | {_cell(theirs, n)} | {_cell(fresh, n)} | {theirs / fresh:.1f}x "
              f"| {_cell(kept, n)} | {theirs / kept:.1f}x |")
    by_schema: dict[int, list[tuple[int, float, float, float]]] = {}
    for migrations, n, theirs, fresh, kept in rows:
        by_schema.setdefault(migrations, []).append((n, theirs, fresh, kept))
    for migrations, cells in by_schema.items():
        if len(cells) < 2:
            continue
        (n0, *low), (n1, *high) = min(cells), max(cells)
        marginal = [(b - a) / (n1 - n0) * 1000 for a, b in zip(low, high, strict=True)]
        print(f"marginal per test, {_schema(migrations)}: pytest-postgresql {marginal[0]:.0f} ms, pgmanager "
              f"{marginal[1]:.0f} ms (new server), {marginal[2]:.0f} ms (kept template)")
    for migrations, n in dict.fromkeys((m, n) for m, n, _ in refills):
        spent = [t for m, k, t in refills if (m, k) == (migrations, n)]
        print(f"refill after a kept-template session, {_schema(migrations)}, {n} tests: {min(spent):.1f} s "
              "(detached, after pytest exited)")


def _schema(migrations: int) -> str:
    return "empty" if migrations == 0 else f"{migrations} migrations"


def _cell(seconds: float, tests: int) -> str:
    return f"{seconds:.1f} s ({seconds / tests * 1000:.0f} ms/test)"

if __name__ == "__main__":
    main()
