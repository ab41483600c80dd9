"""statement_objects: what each kind of statement creates, alters and drops."""

from __future__ import annotations

import pytest

from pgmanager.analyze.objects import statement_objects

from ._support import doc_of

CASES = [
    ("create table t (id int)", ["table public.t"], [], []),
    ("create table app.t as select 1 as x", ["table app.t"], [], []),
    ("create materialized view mv as select 1 as x", ["materialized view public.mv"], [], []),
    ("create or replace view v as select 1 as x", ["view public.v"], [], []),
    ("create index concurrently i on app.t (x)", ["index app.i"], [], []),
    ("create function f() returns int language sql as 'select 1'", ["function public.f"], [], []),
    ("create procedure p() language sql as 'select 1'", ["procedure public.p"], [], []),
    ("alter function f() set search_path = ''", [], ["function public.f"], []),
    ("create policy \"own\" on t for select using (true)", ["policy own on public.t"], [], []),
    ("alter policy \"own\" on t using (false)", [], ["policy own on public.t"], []),
    ("create trigger tr before update on t for each row execute function f()", ["trigger tr on public.t"], [], []),
    ("create schema s", ["schema s"], [], []),
    ("create extension if not exists pg_trgm", ["extension pg_trgm"], [], []),
    ("create type mood as enum ('sad', 'ok')", ["type public.mood"], [], []),
    ("alter type mood add value 'happy'", [], ["type public.mood"], []),
    ("create sequence s1", ["sequence public.s1"], [], []),
    ("create domain posint as int check (value > 0)", ["domain public.posint"], [], []),
    ("alter table t add column y int", [], ["table public.t"], []),
    ("alter table t add constraint t_y_check check (y > 0) not valid", ["constraint t_y_check on public.t"],
     ["table public.t"], []),
    ("alter table t drop constraint t_y_check", [], ["table public.t"], ["constraint t_y_check on public.t"]),
    ("alter table t rename to t2", ["table public.t2"], [], ["table public.t"]),
    ("alter table t rename column y to z", [], ["table public.t"], []),
    ("alter table t set schema app", [], ["table public.t"], []),
    ("drop table if exists t, app.u cascade", [], [], ["table public.t", "table app.u"]),
    ("drop index concurrently if exists app.i", [], [], ["index app.i"]),
    ("drop view v", [], [], ["view public.v"]),
    ("drop function f(int)", [], [], ["function public.f"]),
    ("drop policy if exists \"own\" on app.t", [], [], ["policy own on app.t"]),
    ("drop trigger tr on t", [], [], ["trigger tr on public.t"]),
    ("drop schema s cascade", [], [], ["schema s"]),
    ("drop extension pg_trgm", [], [], ["extension pg_trgm"]),
    ("drop type mood", [], [], ["type public.mood"]),
    ("truncate t", [], ["table public.t"], []),
    ("comment on table t is 'x'", [], [], []),
    ("grant select on t to anon", [], [], []),
    ("insert into t values (1)", [], [], []),
]


@pytest.mark.parametrize(("sql", "created", "altered", "dropped"), CASES, ids=[c[0][:40] for c in CASES])
def test_statement_objects(sql: str, created: list[str], altered: list[str], dropped: list[str]) -> None:
    doc = doc_of(sql + ";")
    assert doc.error is None
    objs = statement_objects(doc.statements[0])
    assert [str(o) for o in objs.created] == created
    assert [str(o) for o in objs.altered] == altered
    assert [str(o) for o in objs.dropped] == dropped
