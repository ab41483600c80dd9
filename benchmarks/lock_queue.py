"""What API readers suffer while a migration waits for its lock: pgmanager migrate vs plain psql.

    python benchmarks/lock_queue.py [--hold 3] [--readers 20] [--rows 10000] [--json]
                                    [--lock-timeout DURATION] [--lock-timeout-max DURATION] [--lock-retries N]

A throwaway local cluster holds `public.accounts` (10k rows); a temp project holds one migration,
`alter table public.accounts add column note text;` (metadata only, but it needs ACCESS EXCLUSIVE).
Its pyproject.toml sets only the folders, so pgmanager's default lock settings apply; the --lock-*
flags write those settings into it, for experiments.

Each scenario, with 20 reader threads (one autocommit connection each) looping a cheap primary-key
`select count(*) ... where id = $1` and recording every query's start and latency:
  a "holder" opens a transaction, reads the table (ACCESS SHARE) and commits after --hold seconds;
  0.2 s after it starts, the ALTER is run as a real process:
    pgmanager   `python -m pgmanager migrate -C <project> --dsn <dsn>` (lock_timeout, retries with backoff)
    psql        `psql -X -v ON_ERROR_STOP=1 -c 'alter table ...'` (no lock_timeout: it waits in the queue,
                and every reader queues behind it, for the holder's whole duration)
The column is dropped between the two. A reader's added wait is its latency minus the median latency
of the same readers measured first with no holder. Reported per scenario: p50, p99 and worst added
wait, readers that waited over 100 ms, the ALTER's exit code, wall time, attempts (pgmanager prints
"... rolled back, retry N/M in Xs" on stderr) and how long after the holder let go the ALTER committed
(a watcher polls pg_attribute every 10 ms for the new column).
Goal: with the defaults, pgmanager's worst added wait under 0.6 s, and the ALTER lands once the holder
lets go.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgmanager.config import load_settings  # noqa: E402
from pgmanager.sandbox import find_local_bindir, open_sandbox  # noqa: E402

PSQL = "/usr/bin/psql"
DBNAME = "lock_queue"
ALTER = "alter table public.accounts add column note text;"
READ = "select count(*) from public.accounts where id = %s"
GOAL_WORST_S = 0.6
SLOW_MS = 100.0
WARMUP_S = 0.3  # readers run this long before the holder starts
TAIL_S = 0.3  # and this long after the ALTER finished
WATCH_S = 0.01  # how often the watcher looks for the new column
MAX_QUERIES = 100_000  # per reader and phase: a hard bound on top of the time bound
RETRY = re.compile(r"retry (\d+)/(\d+)")
GAVE_UP = re.compile(r"gave up after (\d+) attempt")


@dataclass
class Samples:
    """(start relative to the phase's origin, latency) of every reader query, in seconds."""

    rows: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Outcome:
    scenario: str
    exit_code: int | None
    wall_s: float
    attempts: int | None
    landed: bool
    landed_after_release_s: float | None
    queries: int
    reader_errors: int
    added_p50_ms: float
    added_p99_ms: float
    added_worst_ms: float
    waited_over_100ms: int
    stderr_tail: str = ""


class Readers:
    """N threads, each on its own autocommit connection, looping the cheap read until stopped."""

    def __init__(self, dsn: str, count: int, rows: int, think_s: float, deadline_s: float) -> None:
        self.dsn, self.count, self.rows, self.think_s, self.deadline_s = dsn, count, rows, think_s, deadline_s
        # Reader connections give up on a query after the phase's hard deadline, so no thread can hang.
        timeout_ms = int(deadline_s * 1000) + 5000
        self.conns = [psycopg.connect(dsn, autocommit=True, options=f"-c statement_timeout={timeout_ms}")
                      for _ in range(count)]
        for conn in self.conns:  # prepare the statement on each connection before anything is measured
            for _ in range(6):
                conn.execute(READ, (1,), prepare=True)

    def close(self) -> None:
        for conn in self.conns:
            conn.close()

    def run(self, origin: float, stop: threading.Event, samples: Samples) -> list[threading.Thread]:
        hard_stop = origin + self.deadline_s

        def loop(conn: psycopg.Connection, seed: int) -> None:
            rng = random.Random(seed)
            mine: list[tuple[float, float]] = []
            try:
                for _ in range(MAX_QUERIES):
                    if stop.is_set() or time.perf_counter() >= hard_stop:
                        break
                    t0 = time.perf_counter()
                    conn.execute(READ, (rng.randint(1, self.rows),), prepare=True).fetchone()
                    mine.append((t0 - origin, time.perf_counter() - t0))
                    if self.think_s:
                        time.sleep(self.think_s)
            except psycopg.Error as exc:
                with samples.lock:
                    samples.errors.append(str(exc).splitlines()[0])
            with samples.lock:
                samples.rows.extend(mine)

        threads = [threading.Thread(target=loop, args=(conn, i), daemon=True) for i, conn in enumerate(self.conns)]
        for t in threads:
            t.start()
        return threads


def collect(readers: Readers, seconds: float) -> Samples:
    """Readers alone for ``seconds``: the baseline."""
    samples, stop = Samples(), threading.Event()
    threads = readers.run(time.perf_counter(), stop, samples)
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=readers.deadline_s)
    return samples


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def column_exists(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("select count(*) from information_schema.columns where table_schema = 'public' "
                           "and table_name = 'accounts' and column_name = 'note'").fetchone()
        return bool(row and row[0])


def scenario(name: str, cmd: list[str], env: dict[str, str], dsn: str, readers: Readers, baseline_s: float,
             hold_s: float, delay_s: float, process_timeout_s: float) -> Outcome:
    samples, stop = Samples(), threading.Event()
    result: dict[str, object] = {}

    def alter() -> None:
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=process_timeout_s,
                                  check=False)
            result.update(code=proc.returncode, stderr=proc.stderr)
        except subprocess.TimeoutExpired as exc:
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            result.update(code=None, stderr=err + f"\n(killed after {process_timeout_s:g}s)")
        result.update(start=t0, end=time.perf_counter())

    seen: list[float] = []

    def watch() -> None:
        """When the new column becomes visible (the ALTER committed); a catalog read takes no table lock."""
        with psycopg.connect(dsn, autocommit=True) as conn:
            for _ in range(int(readers.deadline_s / WATCH_S)):
                if stop.is_set():
                    return
                row = conn.execute("select count(*) from pg_attribute where attrelid = 'public.accounts'::regclass "
                                   "and attname = 'note' and not attisdropped").fetchone()
                if row and row[0]:
                    seen.append(time.perf_counter())
                    return
                time.sleep(WATCH_S)

    origin = time.perf_counter()
    threads = readers.run(origin, stop, samples)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    time.sleep(WARMUP_S)
    with psycopg.connect(dsn) as holder:  # not autocommit: the read opens the transaction that holds the lock
        holder.execute("select count(*) from public.accounts").fetchone()
        held_at = time.perf_counter()
        time.sleep(delay_s)
        runner = threading.Thread(target=alter, daemon=True)
        runner.start()
        time.sleep(max(0.0, held_at + hold_s - time.perf_counter()))
        holder.commit()
        released_at = time.perf_counter()
    runner.join(timeout=process_timeout_s + 5)
    time.sleep(TAIL_S)
    stop.set()
    for t in [*threads, watcher]:
        t.join(timeout=readers.deadline_s)

    stderr = str(result.get("stderr", ""))
    code = result.get("code")
    exit_code = code if isinstance(code, int) else None
    start, end = result.get("start"), result.get("end")
    wall = end - start if isinstance(start, float) and isinstance(end, float) else math.nan
    attempts: int | None = 1 if name == "psql" else None
    if name != "psql":
        gave_up = GAVE_UP.search(stderr)
        retries = [int(m.group(1)) for m in RETRY.finditer(stderr)]
        if gave_up:
            attempts = int(gave_up.group(1))
        elif retries or exit_code == 0:  # each "retry N/M" line follows a failed attempt; one more ran after it
            attempts = max(retries, default=0) + 1
    landed = exit_code == 0 and column_exists(dsn)
    lag = seen[0] - released_at if landed and seen else None

    added = sorted(max(0.0, lat - baseline_s) * 1000 for _, lat in samples.rows)
    return Outcome(
        scenario=name, exit_code=exit_code, wall_s=round(wall, 3), attempts=attempts, landed=landed,
        landed_after_release_s=None if lag is None else round(lag, 3), queries=len(samples.rows),
        reader_errors=len(samples.errors), added_p50_ms=round(percentile(added, 0.50), 2),
        added_p99_ms=round(percentile(added, 0.99), 2), added_worst_ms=round(added[-1] if added else math.nan, 2),
        waited_over_100ms=sum(1 for a in added if a > SLOW_MS),
        stderr_tail="" if exit_code == 0 else "\n".join(stderr.strip().splitlines()[-3:]),
    )


def write_project(folder: Path, args: argparse.Namespace) -> None:
    (folder / "migrations").mkdir(parents=True)
    (folder / "migrations" / "20240101000000_add_note.sql").write_text(ALTER + "\n")
    lines = ["[tool.pgmanager]", 'migrations = "migrations"', 'auth_emulation = ""', 'seed = ""']
    if args.lock_timeout is not None:
        lines.append(f'lock_timeout = "{args.lock_timeout}"')
    if args.lock_timeout_max is not None:
        lines.append(f'lock_timeout_max = "{args.lock_timeout_max}"')
    if args.lock_retries is not None:
        lines.append(f"lock_retries = {args.lock_retries}")
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n")


def lock_settings(folder: Path) -> str:
    """The lock settings pgmanager will use for this project, as its own config code reads them."""
    s = load_settings(folder)
    names = ("lock_timeout", "lock_timeout_max", "lock_retries", "lock_wait")
    return ", ".join(f"{n} {getattr(s, n)}" for n in names if hasattr(s, n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hold", type=float, default=3.0, help="seconds the holder keeps its transaction open")
    ap.add_argument("--delay", type=float, default=0.2, help="seconds after the holder starts that the ALTER runs")
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--think", type=float, default=0.005, help="pause between a reader's queries, seconds")
    ap.add_argument("--baseline", type=float, default=1.0, help="seconds of readers alone, for the baseline")
    ap.add_argument("--lock-timeout", default=None, help="write lock_timeout into the project (default: unset)")
    ap.add_argument("--lock-timeout-max", default=None, help="write lock_timeout_max into the project")
    ap.add_argument("--lock-retries", type=int, default=None, help="write lock_retries into the project")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args()
    if not 0 <= args.delay < args.hold <= 20 or not 1 <= args.readers <= 80:
        raise SystemExit("need 0 <= --delay < --hold <= 20 and 1 <= --readers <= 80")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    process_timeout = args.hold + 30.0
    deadline = WARMUP_S + process_timeout + TAIL_S + 5.0

    def say(msg: str) -> None:  # progress: on stdout with the table, on stderr beside --json
        print(msg, file=sys.stderr if args.json else sys.stdout, flush=True)


    with tempfile.TemporaryDirectory(prefix="pgm-lockq-") as tmp, \
            open_sandbox("local" if find_local_bindir() else "auto") as box:
        project = Path(tmp) / "project"
        write_project(project, args)
        settings_text = lock_settings(project)
        with psycopg.connect(box.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(DBNAME)))
        dsn = box.dsn(DBNAME)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table public.accounts (id bigint primary key, email text not null, "
                         "balance numeric not null default 0)")
            conn.execute("insert into public.accounts (id, email) select i, 'user' || i || '@example.com' "
                         "from generate_series(1, %s) i", (args.rows,))
            conn.execute("vacuum analyze public.accounts")
        say(f"server: {box.server.detail}; pgmanager settings: {settings_text}")

        readers = Readers(dsn, args.readers, args.rows, args.think, deadline)
        try:
            base = collect(readers, args.baseline)
            if not base.rows or base.errors:
                raise SystemExit(f"baseline failed: {base.errors[:1]}")
            baseline_s = statistics.median(lat for _, lat in base.rows)
            say(f"baseline: {len(base.rows)} reader queries, median {baseline_s * 1000:.3f} ms")
            peers = {
                "pgmanager": [sys.executable, "-m", "pgmanager", "migrate", "-C", str(project), "--dsn", dsn],
                "psql": [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", ALTER],
            }
            outcomes: list[Outcome] = []
            for name, cmd in peers.items():
                with psycopg.connect(dsn, autocommit=True) as conn:  # reset the table between scenarios
                    conn.execute("alter table public.accounts drop column if exists note")
                outcomes.append(scenario(name, cmd, env, dsn, readers, baseline_s, args.hold, args.delay,
                                         process_timeout))
                say(f"  {name}: done")
        finally:
            readers.close()

    pgm, peer = outcomes
    ratio = pgm.added_worst_ms / peer.added_worst_ms if peer.added_worst_ms else math.nan
    goal_met = pgm.landed and pgm.added_worst_ms < GOAL_WORST_S * 1000
    if args.json:
        print(json.dumps({
            "settings": settings_text, "hold_s": args.hold, "readers": args.readers, "rows": args.rows,
            "baseline_median_ms": round(baseline_s * 1000, 3), "baseline_queries": len(base.rows),
            "scenarios": {o.scenario: asdict(o) for o in outcomes},
            "ratio_worst_pgmanager_to_psql": round(ratio, 4), "goal_worst_s": GOAL_WORST_S, "goal_met": goal_met,
        }, indent=2))
        return

    head = (f"{'scenario':10} {'exit':>4} {'wall s':>7} {'tries':>5} {'landed':>6} {'lag s':>6} {'queries':>7} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'worst ms':>9} {'>100ms':>6}")
    print(f"\nholder keeps ACCESS SHARE for {args.hold:g} s; {args.readers} readers; added wait = latency - "
          f"{baseline_s * 1000:.3f} ms baseline median")
    print(head)
    for o in outcomes:
        lag = f"{o.landed_after_release_s:6.2f}" if o.landed_after_release_s is not None else f"{'-':>6}"
        tries = str(o.attempts) if o.attempts is not None else "?"
        print(f"{o.scenario:10} {o.exit_code if o.exit_code is not None else '-':>4} {o.wall_s:7.2f} {tries:>5} "
              f"{'yes' if o.landed else 'NO':>6} {lag} {o.queries:7d} {o.added_p50_ms:8.2f} {o.added_p99_ms:8.2f} "
              f"{o.added_worst_ms:9.1f} {o.waited_over_100ms:6d}")
        if o.reader_errors:
            print(f"  {o.scenario}: {o.reader_errors} reader queries failed")
        if o.stderr_tail:
            print(f"  {o.scenario} stderr: {o.stderr_tail}")
    print("(tries: attempts at the ALTER; lag: seconds from the holder's commit to the ALTER's commit; "
          "p50/p99/worst: readers' added wait; >100ms: reader queries that waited over 100 ms)")
    print(f"goal: pgmanager's worst reader waits < {GOAL_WORST_S:g} s more than baseline, and the ALTER lands "
          f"once the holder lets go -> worst {pgm.added_worst_ms / 1000:.3f} s, "
          f"{'landed' if pgm.landed else 'did NOT land'}: {'met' if goal_met else 'NOT met'}")
    print(f"ratio worst added wait pgmanager / psql = {ratio:.3f}")


if __name__ == "__main__":
    main()
