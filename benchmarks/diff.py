"""`pgmanager diff` against migra (the engine the Supabase CLI's `db diff` uses by default), same run, same server.

    python benchmarks/diff.py [--count 200] [--repeat 3]

The 200-migration corpus (benchmarks/corpus.py) is built once as a template on a throwaway local cluster;
two clones are compared, one of them changed by hand (a column added, a policy dropped, a view changed, a
grant added, an index dropped). Measured:
  engine      both catalogs read and compared, and the migration written: pgmanager in-process
              (api.diffing.diff_databases) vs migra in-process (Migration(...).inspect(); add_all_changes(); sql)
  cli         `python -m pgmanager diff --sql` (process start; the project's template, already built on the
              server, is cloned and read)
              vs the `migra` command (process start included; it compares two existing databases)
Prints seconds and the ratio pgmanager / migra (below 1: pgmanager is faster).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import write_corpus  # noqa: E402

from pgmanager.api import diffing, inputs  # noqa: E402
from pgmanager.api.building import project_migrator  # noqa: E402
from pgmanager.sandbox import open_sandbox  # noqa: E402

CHANGES = [
    "alter table public.t10 add column extra text",
    "drop policy t20_select on public.t20",
    "create or replace view public.t30_recent with (security_invoker = true) as "
    "select t.id, t.name, t.created_at from public.t30 as t where t.score > 11",
    "revoke select on public.t40 from anon",
    "drop index public.t50_parent_idx",
]


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        from migra import Migration  # type: ignore[import-untyped]
        from sqlbag import S  # type: ignore[import-untyped]
    except ImportError as exc:
        sys.exit(f"migra does not import here ({exc}); pip install migra")
    work = Path(tempfile.mkdtemp(prefix="pgm-diff-bench-"))
    project_dir = write_corpus(work / "corpus", args.count)
    settings, project = inputs.load(project_dir)
    with open_sandbox("local") as box:
        t0 = time.perf_counter()
        template = box.template(project_migrator(settings, project, seed=False))
        print(f"corpus: {args.count} migrations, built in {time.perf_counter() - t0:.2f} s")
        live, built = box.dsn(box.clone(template)), box.dsn(box.clone(template))
        with psycopg.connect(live, autocommit=True) as conn:
            for statement in CHANGES:
                conn.execute(statement)
        excluded = [settings.history_schema]
        report = diffing.diff_databases(live, built, excluded)
        print(f"pgmanager: {len(report.differences)} differences")

        def migra_engine() -> str:
            with S(sqlalchemy_url(live)) as a, S(sqlalchemy_url(built)) as b:
                m = Migration(a, b)
                m.set_safety(False)
                m.add_all_changes(privileges=True)
                return str(m.sql)

        print(f"migra: {sum(1 for line in migra_engine().splitlines() if line.strip())} statement lines")
        ours = best(lambda: diffing.diff_databases(live, built, excluded), args.repeat)
        theirs = best(migra_engine, args.repeat)
        print(f"engine   pgmanager {ours:.3f} s   migra {theirs:.3f} s   ratio {ours / theirs:.2f}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
        cli = best(lambda: subprocess.run(
            [sys.executable, "-m", "pgmanager", "diff", "-C", str(project_dir), "--dsn", live, "--sql",
             "--sandbox", "dsn", "--sandbox-dsn", box.dsn()], env=env, capture_output=True, check=False), 1)
        migra_cli = best(lambda: subprocess.run(
            ["migra", "--unsafe", "--with-privileges", sqlalchemy_url(live), sqlalchemy_url(built)],
            env=env, capture_output=True, check=False), 1)
        print(f"cli      pgmanager diff {cli:.3f} s (template reused from the server)   migra {migra_cli:.3f} s   "
              f"ratio {cli / migra_cli:.2f}")


if __name__ == "__main__":
    main()
