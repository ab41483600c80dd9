"""Benchmark `pgmanager lint` against sqlfluff and squawk on a generated corpus.

    python benchmarks/lint.py [--files 200] [--big-lines 5000] [--skip-sqlfluff-serial]
                              [--parser auto|python|rust|both]

Generates 200 migrations of about 40 lines each plus one migration of about 5,000 lines, then
times whole processes (what a user or a pre-commit hook waits for), in one run:
pgmanager lint cold and warm (one file changed: the newest, a middle one, a middle one's schema),
the AST rules alone (cold and warm),
`sqlfluff lint` (1 and 2 processes) and `squawk`. Prints seconds and the ratios the goals name.
The cold full lint and single-process sqlfluff are timed with sqlfluff's Python parser and, when
``sqlfluffrs`` is installed, with its Rust parser (``--parser both``, the default then); both sides
use the same parser (``use_rust_parser`` in the corpus's .sqlfluff).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MIGRATION = """-- Migration {i}: the {name} table, its indexes and its comments.
-- Generated for the lint benchmark; every migration looks like a real one.

create table public.{name} (
    id uuid primary key default gen_random_uuid(),
    owner_id uuid not null references public.users (id) on delete cascade,
    title text not null,
    body text,
    status text not null default 'draft',
    score bigint not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint {name}_title_length check (char_length(title) between 1 and 200)
);

create index idx_{name}_owner on public.{name} (owner_id, created_at desc);

create index idx_{name}_status on public.{name} (status) where status <> 'archived';

alter table public.{name} enable row level security;

revoke truncate, references, trigger on table public.{name} from anon, authenticated;

create policy "{name} readable by owner"
    on public.{name}
    as permissive
    for select
    to authenticated
    using (owner_id = (select auth.uid()));

alter table public.{prev} add column {name}_count bigint not null default 0;

comment on table public.{name} is 'Rows of {name}, owned by a user.';
comment on column public.{name}.title is 'Title, 1 to 200 characters.';
comment on column public.{name}.status is 'draft, published or archived.';

select count(*)
from public.{name} as t
where t.status = 'draft';
"""

USERS = """create table public.users (
    id uuid primary key,
    email text
);

alter table public.users enable row level security;
"""


def make_corpus(dest: Path, files: int, big_lines: int) -> list[Path]:
    mig = dest / "migrations"
    mig.mkdir(parents=True)
    shutil.copy(ROOT / ".sqlfluff", dest / ".sqlfluff")
    (dest / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = "sql/supabase_auth.sql"\nseed = ""\n'
                                         'exposed_schemas = ["public"]\n')
    (dest / "sql").mkdir()
    shutil.copy(ROOT / "sql/supabase_auth.sql", dest / "sql/supabase_auth.sql")
    paths = [mig / "20240101000000_users.sql"]
    paths[0].write_text(USERS)
    for i in range(1, files):
        p = mig / f"20240102{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}_t{i}.sql"  # valid UTC timestamps
        p.write_text(MIGRATION.format(i=i, name=f"t{i}", prev=f"t{i - 1}" if i > 1 else "users"))
        paths.append(p)
    parts, n, i = [], 0, 0
    while n < big_lines:
        block = MIGRATION.format(i=i, name=f"b{i}", prev=f"b{i - 1}" if i else "users")
        parts.append(block)
        n += block.count("\n")
        i += 1
    big = mig / "20240101120000_big.sql"  # early in apply order: the newest migration is small
    big.write_text("\n".join(parts))
    paths.append(big)
    return paths


def set_parser(dest: Path, parser: str) -> None:
    """The corpus's .sqlfluff: the repository's, with sqlfluff's Rust parser turned off for "python"."""
    text = (ROOT / ".sqlfluff").read_text()
    if parser == "python":
        text = text.replace("[sqlfluff]\n", "[sqlfluff]\nuse_rust_parser = False\n", 1)
    (dest / ".sqlfluff").write_text(text)


def rust_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("sqlfluffrs") is not None


CPU: dict[float, float] = {}
"""CPU seconds (user + system, the process and its workers) of each timing, by its wall time: on a
shared machine the wall time moves with the load, the CPU time much less."""


def timed(cmd: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[wall] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--big-lines", type=int, default=5000)
    ap.add_argument("--skip-sqlfluff-serial", action="store_true", help="skip the slow 1-process sqlfluff run")
    ap.add_argument("--parser", choices=["auto", "python", "rust", "both"], default="auto",
                    help="sqlfluff's parser for the cold full lint and its peer (auto: both with sqlfluffrs)")
    args = ap.parse_args()
    rust = rust_installed()
    if args.parser == "rust" and not rust:
        ap.error("--parser rust: sqlfluffrs is not installed (pip install 'pgmanager[rust]')")
    parsers = {"auto": ["rust", "python"] if rust else ["python"], "both": ["rust", "python"] if rust else ["python"],
               "python": ["python"], "rust": ["rust"]}[args.parser]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; sqlfluffrs "
          f"{'installed' if rust else 'not installed'}; parsers: {', '.join(parsers)}")
    with tempfile.TemporaryDirectory(prefix="pgm-lint-bench-") as tmp:
        proj = Path(tmp)
        paths = make_corpus(proj, args.files, args.big_lines)
        small = paths[:-1]
        lines = sum(p.read_text().count("\n") for p in paths)
        print(f"corpus: {len(small)} files + 1 big file ({paths[-1].read_text().count(chr(10))} lines); "
              f"{lines} lines in all")
        pgm = [sys.executable, "-m", "pgmanager", "lint", "-C", str(proj), "--fail-on", "error"]
        cache = proj / ".pgmanager"
        results: dict[str, float] = {}

        def fresh() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def touch(p: Path) -> None:
            p.write_text(p.read_text() + f"\ncomment on table public.users is 'edited at {time.time()}';\n")

        newest, middle = small[-1], small[len(small) // 2]
        fresh()
        results["ast cold"] = timed([*pgm, "--no-style"], proj)
        results["ast warm (unchanged)"] = timed([*pgm, "--no-style"], proj)
        touch(newest)
        results["ast warm (newest migration changed)"] = timed([*pgm, "--no-style"], proj)
        touch(middle)
        results["ast warm (a middle migration changed)"] = timed([*pgm, "--no-style"], proj)
        for parser in reversed(parsers):  # the default parser last: the warm runs below use its cache
            set_parser(proj, parser)
            fresh()
            results[f"full cold (ast + style) [{parser}]"] = timed(pgm, proj)
        touch(newest)
        results["full warm (newest migration changed)"] = timed(pgm, proj)
        touch(middle)
        results["full warm (a middle migration changed)"] = timed(pgm, proj)
        results["full warm (unchanged)"] = timed(pgm, proj)
        middle.write_text(middle.read_text() + f"\nalter table public.users add column note_{int(time.time())} text;\n")
        results["full warm (a middle migration changed the schema)"] = timed(pgm, proj)
        probe = [sys.executable, "-c", "import pgmanager.cli.main"]
        results["python -c 'import pgmanager.cli.main' (startup floor)"] = timed(probe, proj)
        squawk = shutil.which("squawk")
        if squawk:
            results["squawk (200 files)"] = timed([squawk, *map(str, small)], proj)
            results["squawk (all, incl. big)"] = timed([squawk, *map(str, paths)], proj)
            results["squawk (big file)"] = timed([squawk, str(paths[-1])], proj)
        fluff = shutil.which("sqlfluff")
        if fluff:
            two = [fluff, "lint", "--processes", "2", "migrations"]
            results[f"sqlfluff --processes 2 (all) [{parsers[0]}]"] = timed(two, proj)
            if not args.skip_sqlfluff_serial:
                for parser in parsers:
                    set_parser(proj, parser)
                    results[f"sqlfluff (all) [{parser}]"] = timed([fluff, "lint", "migrations"], proj)
                set_parser(proj, parsers[0])
            t0 = time.perf_counter()
            big = subprocess.run([fluff, "lint", str(paths[-1])], cwd=proj, capture_output=True, text=True, check=False)
            results["sqlfluff (big file)"] = time.perf_counter() - t0
            if "parse node count exceeded" in big.stdout + big.stderr:
                print("note: sqlfluff gives up on the big file (parse node count exceeded) and checks none of it; "
                      "pgmanager cuts it at statement boundaries and checks all of it")
        if fluff and not args.skip_sqlfluff_serial:
            # the same files for both: sqlfluff gives up on the big file, which pgmanager checks in pieces
            paths[-1].rename(paths[-1].with_suffix(".off"))
            for parser in parsers:
                set_parser(proj, parser)
                fresh()
                results[f"full cold, small files only [{parser}]"] = timed(pgm, proj)
                results[f"sqlfluff (small files only) [{parser}]"] = timed([fluff, "lint", "migrations"], proj)
        width = max(map(len, results))
        print(f"{'':<{width}}  {'wall':>8}    {'cpu':>8}")
        for k, v in results.items():
            cpu = f"{CPU[v]:8.2f} s" if v in CPU else ""
            print(f"{k:<{width}}  {v:8.2f} s  {cpu}")
        print()
        sq = results.get("squawk (all, incl. big)")
        if sq:
            print(f"AST rules cold / squawk:        {results['ast cold'] / sq:6.1f}x  (goal <= 5x)")
            print(f"AST rules warm / squawk:        {results['ast warm (newest migration changed)'] / sq:6.1f}x  "
                  f"(goal <= 1.5x); unchanged {results['ast warm (unchanged)'] / sq:.1f}x")
        for key in ("full warm (newest migration changed)", "full warm (a middle migration changed)",
                    "full warm (a middle migration changed the schema)"):
            print(f"{key}: {results[key]:.2f} s (goal < 2 s)")
        for parser in parsers:
            ours = results[f"full cold (ast + style) [{parser}]"]
            for key in (f"sqlfluff (all) [{parser}]", f"sqlfluff --processes 2 (all) [{parser}]"):
                if key in results:
                    print(f"cold full lint [{parser}] / {key}: {ours / results[key]:.2f} (goal <= 0.5)")
            small = f"sqlfluff (small files only) [{parser}]"
            if small in results:
                print(f"cold full lint, small files only [{parser}] / {small}: "
                      f"{results[f'full cold, small files only [{parser}]'] / results[small]:.2f} (goal <= 0.5)")
        if len(parsers) == 2:
            print(f"python parser / rust parser (pgmanager, cold full lint): "
                  f"{results['full cold (ast + style) [python]'] / results['full cold (ast + style) [rust]']:.1f}x")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
