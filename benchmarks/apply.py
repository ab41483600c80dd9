"""Apply 200 generated migrations to an empty database four ways, and time `plan` on the applied database.

    python benchmarks/apply.py [--count 200] [--repeat 1]

Peers, measured in the same run on the same server (a throwaway local cluster):
  psql -1 -f         the files concatenated, one transaction (the floor: no bookkeeping at all)
  psycopg per file   one connection, one transaction per file, statement by statement
  yoyo apply         yoyo-migrations 9 `yoyo apply --batch` (postgresql+psycopg://)
  python + psycopg   a whole process (this script with --floor) sending each file as pgmanager does, in one query
                     with its timeouts and a history row, without pgmanager: the floor of any Python tool on psycopg
  pgmanager migrate  `python -m pgmanager migrate` as a user runs it (process start included), and the
                     same in-process (api.migrating.migrate: the engine alone, without interpreter start and imports)
Then `pgmanager plan` against the database where all 200 are applied (CLI, and api.migrating.plan in-process).
Prints seconds and the ratio of each to psql.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgmanager.sandbox import find_local_bindir, open_sandbox  # noqa: E402

PSQL = "/usr/bin/psql"


def migration(i: int) -> str:
    """One ~40-line migration: a table with a FK to the previous one, indexes, a function, RLS, a view, seed rows."""
    prev = f"t{i - 1:03d}" if i else None
    t = f"t{i:03d}"
    fk = f"    parent_id bigint references public.{prev} (id) on delete cascade,\n" if prev else ""
    rows = ",\n".join(f"    ('{t}-item-{k}', {k * 10 + i % 7}, '{{\"n\": {k}}}')" for k in range(5))
    return f"""-- Migration {i}: table {t} with its index, function, policy, view and seed rows.
create table public.{t} (
    id bigint generated always as identity primary key,
{fk}    name text not null,
    amount integer not null default 0 check (amount >= 0),
    attrs jsonb not null default '{{}}'::jsonb,
    owner_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.{t} is 'generated table {i}';

create index {t}_name_idx on public.{t} (name);
create index {t}_created_idx on public.{t} (created_at desc);

create function public.{t}_total(min_amount integer)
returns bigint
language sql
stable
as $$
    select coalesce(sum(amount), 0) from public.{t} where amount >= min_amount
$$;

create function public.{t}_touch() returns trigger language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end
$$;

create trigger {t}_touch before update on public.{t} for each row execute function public.{t}_touch();

alter table public.{t} enable row level security;
create policy {t}_read on public.{t} for select using (amount >= 0);

create view public.{t}_summary as
    select name, count(*) as n, sum(amount) as total from public.{t} group by name;

insert into public.{t} (name, amount, attrs) values
{rows};
"""


def write_corpus(folder: Path, count: int) -> list[Path]:
    mig = folder / "migrations"
    mig.mkdir(parents=True)
    paths = []
    for i in range(count):
        p = mig / f"2024{(i // 1440) + 1:02d}01{(i // 60) % 24:02d}{i % 60:02d}00_step_{i:03d}.sql"
        p.write_text(migration(i))
        paths.append(p)
    (folder / "pyproject.toml").write_text(
        '[tool.pgmanager]\nmigrations = "migrations"\npolicies = "none"\nviews = "none"\n'
        "auth_emulation = \"\"\nseed = \"\"\n")
    return paths


def fresh_db(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def timed(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[:400]}")


def floor(dsn: str, folder: Path) -> None:
    """What pgmanager's engine sends, without pgmanager: each file in one query with its timeouts and a row."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table floor_history (key text primary key, checksum text not null)")
        for p in sorted(folder.glob("*.sql")):
            text = p.read_text()
            row = sql.SQL("insert into floor_history values ({}, {})").format(
                sql.Literal(p.stem), sql.Literal(hashlib.sha256(text.encode()).hexdigest())).as_string(conn)
            conn.execute(("select set_config('lock_timeout', '200ms', true);\n" + text + "\n;\n" + row).encode(),
                         prepare=False)


def main() -> None:
    if sys.argv[1:2] == ["--floor"]:
        floor(sys.argv[2], Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the best of each peer is kept")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pgm-bench-"))
    paths = write_corpus(work, args.count)
    concat = work / "all.sql"
    concat.write_text("\n".join(p.read_text() for p in paths))
    lines = sum(p.read_text().count("\n") for p in paths)
    print(f"corpus: {len(paths)} migrations, {lines} lines ({lines / len(paths):.0f} per file)")
    bindir = find_local_bindir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
    with open_sandbox("local" if bindir else "auto") as box:
        admin = box.dsn()

        times: dict[str, list[float]] = {}

        def measure(label: str, prepare: Callable[[], None], fn: Callable[[], None]) -> None:
            prepare()
            times.setdefault(label, []).append(timed(fn))

        def psql() -> None:
            run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(concat), box.dsn("b_psql")], env)

        def per_file() -> None:
            with psycopg.connect(box.dsn("b_psycopg"), autocommit=True) as conn:
                for p in paths:
                    import pglast

                    with conn.transaction():
                        for stmt in pglast.split(p.read_text()):
                            conn.execute(stmt.encode(), prepare=False)

        yoyo_dir = work / "yoyo"
        yoyo_dir.mkdir()
        for p in paths:
            shutil.copy(p, yoyo_dir / p.name)
        yoyo_url = box.dsn("b_yoyo").replace("postgresql://", "postgresql+psycopg://", 1)

        def yoyo() -> None:
            run([sys.executable, "-m", "yoyo.scripts.main", "apply", "--batch", "--no-config-file",
                 "--database", yoyo_url, str(yoyo_dir)], env)

        has_yoyo = importlib.util.find_spec("yoyo") is not None
        if not has_yoyo:
            print("  yoyo-migrations is not installed (pip install yoyo-migrations): its peer is skipped")

        def python_floor() -> None:
            run([sys.executable, __file__, "--floor", box.dsn("b_floor"), str(work / "migrations")], env)

        def pgmanager() -> None:
            run([sys.executable, "-m", "pgmanager", "migrate", "-C", str(work), "--dsn", box.dsn("b_pgm")], env)

        def plan() -> None:
            run([sys.executable, "-m", "pgmanager", "plan", "-C", str(work), "--dsn", box.dsn("b_pgm")], env)

        def migrate_in_process() -> None:
            from pgmanager.api import inputs, migrating

            settings, project = inputs.load(work)
            migrating.migrate(settings, project, box.dsn("b_pgm_inproc"))

        def plan_in_process() -> None:
            from pgmanager.api import inputs, migrating

            settings, project = inputs.load(work)
            migrating.plan(settings, project, box.dsn("b_pgm"))

        # Rounds interleave the peers so that a busy machine slows them alike; the best of each is kept.
        for r in range(args.repeat):
            measure("psql -1 -f", lambda: fresh_db(admin, "b_psql"), psql)
            measure("psycopg, tx per file", lambda: fresh_db(admin, "b_psycopg"), per_file)
            if has_yoyo:
                measure("yoyo apply --batch", lambda: fresh_db(admin, "b_yoyo"), yoyo)
            measure("python + psycopg, whole process", lambda: fresh_db(admin, "b_floor"), python_floor)
            measure("pgmanager migrate", lambda: fresh_db(admin, "b_pgm"), pgmanager)
            measure("  of which in-process migrate", lambda: fresh_db(admin, "b_pgm_inproc"), migrate_in_process)
            measure("pgmanager plan (all applied)", lambda: None, plan)
            measure("  of which in-process plan", lambda: None, plan_in_process)
            print(f"  round {r + 1}: " + ", ".join(f"{k.strip()} {v[-1]:.2f}" for k, v in times.items()), flush=True)
        results = {k: min(v) for k, v in times.items()}
        with psycopg.connect(box.dsn("b_pgm")) as conn:
            n = conn.execute("select count(*) from pgmanager.schema_history").fetchone()
            assert n and n[0] == len(paths), f"pgmanager recorded {n} of {len(paths)}"
    shutil.rmtree(work, ignore_errors=True)
    base = results["psql -1 -f"]
    psql_runs = times["psql -1 -f"]
    # best of each against the best psql, and the median over rounds of each round's ratio (steadier on a busy machine)
    print(f"{'peer':34} {'best s':>8} {'x psql':>8} {'median s':>9} {'median of rounds':>17}")
    for label, secs in results.items():
        per_round = statistics.median(a / b for a, b in zip(times[label], psql_runs, strict=True))
        print(f"{label:34} {secs:8.2f} {secs / base:8.2f} {statistics.median(times[label]):9.2f} {per_round:17.2f}")


if __name__ == "__main__":
    main()
