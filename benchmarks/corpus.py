"""A generated project for benchmarks: N migrations of about 40 lines each (tables, foreign keys,
indexes, functions, RLS policies, views, seed rows), laid out like a real pgmanager project.

    python benchmarks/corpus.py /tmp/corpus 200
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MIGRATION = """\
-- generated migration {i}: table t{i} with its indexes, function, policies, view and seed rows
create table public.t{i} (
    id bigint generated always as identity primary key,
    owner_id uuid not null,
    parent_id bigint{parent_ref},
    name text not null check (char_length(name) between 1 and 200),
    payload jsonb not null default '{{}}',
    score integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.t{i} is 'generated table {i}';

create index t{i}_parent_idx on public.t{i} (parent_id);
create index t{i}_owner_created_idx on public.t{i} (owner_id, created_at desc);

create or replace function public.t{i}_score(p_id bigint)
returns integer
language sql
stable
set search_path = ''
as $$
    select t.score from public.t{i} as t where t.id = p_id
$$;

alter table public.t{i} enable row level security;

create policy t{i}_select on public.t{i} for select to authenticated
    using (owner_id = (select auth.uid()));

create policy t{i}_write on public.t{i} for insert to authenticated
    with check (owner_id = (select auth.uid()));

create view public.t{i}_recent with (security_invoker = true) as
    select t.id, t.name, t.created_at
    from public.t{i} as t
    where t.score > 10;

insert into public.t{i} (owner_id, name, score)
select ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'row ' || g, g
from generate_series(1, 20) as g;
"""


def write_corpus(dest: Path, count: int = 200, *, with_auth: bool = True) -> Path:
    """Write a project with ``count`` migrations into ``dest`` (replaced) and return it."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "migrations").mkdir(parents=True)
    (dest / "sql").mkdir()
    if with_auth:
        shutil.copy(ROOT / "sql" / "supabase_auth.sql", dest / "sql" / "supabase_auth.sql")
    auth = '"sql/supabase_auth.sql"' if with_auth else '""'
    (dest / "pyproject.toml").write_text(f'[tool.pgmanager]\nauth_emulation = {auth}\nseed = ""\n')
    for i in range(count):
        parent = f" references public.t{i - 1} (id) on delete cascade" if i else ""
        version = f"2024{1 + i // 2800:02d}{1 + (i // 100) % 28:02d}{(i // 60) % 24:02d}{i % 60:02d}00"
        (dest / "migrations" / f"{version}_table_{i:04d}.sql").write_text(MIGRATION.format(i=i, parent_ref=parent))
    return dest


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/pgmanager-corpus")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(write_corpus(target, n))
