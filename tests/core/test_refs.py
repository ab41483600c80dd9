"""The one reference extractor (pgmanager.parse.references): relations read and written, columns, functions,
CTE scopes, and the bodies of SQL functions, PL/pgSQL functions and procedures, and DO blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pglast
import pytest

from pgmanager.models import FileKind, SqlFile
from pgmanager.parse import References, parse_file, references, statement_references, used_names
from pgmanager.project import checksum

FIELDS = ("reads", "writes", "mentions", "columns_read", "columns_written", "functions")


def _refs(sql: str, with_text: bool = True) -> References:
    (raw,) = pglast.parse_sql(sql)
    return references(raw.stmt, sql if with_text else None)


def _cols(*pairs: str) -> set[tuple[str, str]]:
    """'public.t.a' -> ('public.t', 'a')."""
    return {tuple(p.rsplit(".", 1)) for p in pairs}  # type: ignore[misc]


# (id, sql, expected): every field not given is expected empty
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("aliases", "select a, t.b, x.c from t, s.u as x where t.id = x.id",
     {"reads": {"public.t", "s.u"}, "columns_read": _cols("public.t.b", "s.u.c", "public.t.id", "s.u.id")}),
    ("one relation resolves bare columns", "select a, b from s.t where c > 0",
     {"reads": {"s.t"}, "columns_read": _cols("s.t.a", "s.t.b", "s.t.c")}),
    ("correlated subquery", "select a from t where exists (select 1 from u where u.x = t.y)",
     {"reads": {"public.t", "public.u"}, "columns_read": _cols("public.t.a", "public.u.x", "public.t.y")}),
    ("a join hides bare columns", "select a from t join u on t.id = u.t_id",
     {"reads": {"public.t", "public.u"}, "columns_read": _cols("public.t.id", "public.u.t_id")}),
    ("fully qualified column", "select public.t.a from public.t",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.a")}),
    ("stars", "select t.*, u.* from t, u",
     {"reads": {"public.t", "public.u"}, "columns_read": _cols("public.t.*", "public.u.*")}),
    ("output names in ORDER BY are not columns", "select count(*) as n from t group by kind order by n",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.kind"), "functions": {"public.count"}}),
    ("FOR UPDATE OF names an alias", "select 1 from t as x for update of x", {"reads": {"public.t"}}),
    ("functions", "select lower(name), private.f(id) from users",
     {"reads": {"public.users"}, "columns_read": _cols("public.users.name", "public.users.id"),
      "functions": {"public.lower", "private.f"}}),
    ("function in FROM", "select g.i from generate_series(1, 3) as g(i)", {"functions": {"public.generate_series"}}),
    # CTEs
    ("a CTE shadows the table it is named like",
     "with orders as (select * from public.orders where paid) select o.id from orders as o",
     {"reads": {"public.orders"}, "columns_read": _cols("public.orders.*", "public.orders.paid")}),
    ("a schema-qualified name is never a CTE", "with t as (select 1) select * from public.t",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.*")}),
    ("a CTE shadows only inside its scope", "select * from (with t as (select 1 as x) select x from t) as s, t",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.*")}),
    ("a CTE is visible to later CTEs only", "with a as (select * from b), b as (select 1) select * from a, b",
     {"reads": {"public.b"}, "columns_read": _cols("public.b.*")}),
    ("recursive CTE",
     "with recursive r(n) as (select id from nodes union all select n + 1 from r where n < 9) select n from r",
     {"reads": {"public.nodes"}, "columns_read": _cols("public.nodes.id")}),
    ("a CTE in a subquery", "select (with t as (select 1 as x) select x from t) from u", {"reads": {"public.u"}}),
    ("data-modifying CTE", "with gone as (delete from q where done returning id) insert into log select id from gone",
     {"writes": {"public.q", "public.log"}, "columns_read": _cols("public.q.done", "public.q.id"),
      "columns_written": _cols("public.log.*")}),
    ("a DML target is never a CTE", "with t as (select 1 as a) insert into t select a from t",
     {"writes": {"public.t"}, "columns_written": _cols("public.t.*")}),
    # writes
    ("insert select on conflict",
     "insert into t (a, b) select x, y from u on conflict (a) do update set b = excluded.b + c returning id",
     {"reads": {"public.u"}, "writes": {"public.t"},
      "columns_read": _cols("public.u.x", "public.u.y", "public.t.c", "public.t.id"),
      "columns_written": _cols("public.t.a", "public.t.b")}),
    ("insert values", "insert into t values (1, 2)", {"writes": {"public.t"}, "columns_written": _cols("public.t.*")}),
    ("update from", "update t as z set a = u.b from u where z.id = u.id returning z.a",
     {"reads": {"public.u"}, "writes": {"public.t"},
      "columns_read": _cols("public.u.b", "public.t.id", "public.u.id", "public.t.a"),
      "columns_written": _cols("public.t.a")}),
    ("update one table", "update s.t set a = b + 1 where c",
     {"writes": {"s.t"}, "columns_read": _cols("s.t.b", "s.t.c"), "columns_written": _cols("s.t.a")}),
    ("delete using", "delete from t using u where t.id = u.id and not u.keep",
     {"reads": {"public.u"}, "writes": {"public.t"},
      "columns_read": _cols("public.t.id", "public.u.id", "public.u.keep")}),
    ("merge",
     "merge into t using (select id, v from s) as src on t.id = src.id "
     "when matched and t.v <> src.v then update set v = src.v "
     "when not matched then insert (id, v) values (src.id, src.v)",
     {"reads": {"public.s"}, "writes": {"public.t"},
      "columns_read": _cols("public.s.id", "public.s.v", "public.t.id", "public.t.v"),
      "columns_written": _cols("public.t.v", "public.t.id")}),
    ("copy from", "copy t (a, b) from stdin",
     {"writes": {"public.t"}, "columns_written": _cols("public.t.a", "public.t.b")}),
    ("copy to", "copy s.t to stdout", {"reads": {"s.t"}, "columns_read": _cols("s.t.*")}),
    ("copy a query", "copy (select a from t) to stdout", {"reads": {"public.t"}, "columns_read": _cols("public.t.a")}),
    ("truncate", "truncate t, s.u", {"writes": {"public.t", "s.u"}}),
    # DDL
    ("a view is not its own reference", "create view v as select a from t",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.a")}),
    ("policy: bare columns are its table's",
     "create policy p on t for select using (owner = auth.uid() and exists (select 1 from m where m.t_id = t.id))",
     {"reads": {"public.m"}, "mentions": {"public.t"},
      "columns_read": _cols("public.t.owner", "public.m.t_id", "public.t.id"), "functions": {"auth.uid"}}),
    ("foreign key", "alter table t add constraint fk foreign key (a) references s.u (id)",
     {"mentions": {"public.t", "s.u"}}),
    ("create table", "create table c (id int primary key, p int references p (id), check (id > 0))",
     {"mentions": {"public.p"}, "columns_read": _cols("public.c.id")}),
    ("trigger", "create trigger tr after insert on t for each row when (new.a > 0) execute function private.h()",
     {"mentions": {"public.t"}, "functions": {"private.h"}}),
    ("call", "call private.p(1)", {"functions": {"private.p"}}),
    # bodies
    ("SQL function: parameters are not columns",
     "create function f(p_id int) returns bigint language sql as $$ select count(*) from t where id = p_id $$",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.id"), "functions": {"public.count"}}),
    ("SQL function with several statements",
     "create function f() returns void language sql as 'delete from q; insert into log (what) values (''x'')'",
     {"writes": {"public.q", "public.log"}, "columns_written": _cols("public.log.what")}),
    ("SQL function: BEGIN ATOMIC",
     "create function f(p_id int) returns bigint language sql begin atomic select count(*) from t where id = p_id; end",
     {"reads": {"public.t"}, "columns_read": _cols("public.t.id"), "functions": {"public.count"}}),
    ("SQL function: RETURN",
     "create function f(p_id int) returns bigint language sql return (select max(t.n) from s.t where t.id = p_id)",
     {"reads": {"s.t"}, "columns_read": _cols("s.t.n", "s.t.id"), "functions": {"public.max"}}),
    ("PL/pgSQL function",
     """create function f(p_id int) returns setof int language plpgsql as $$
        declare n bigint; r record;
        begin
            n := (select count(*) from t where id = p_id);
            insert into log (what) values (n);
            perform private.g(n);
            for r in select * from s.u loop raise notice '%', r; end loop;
            if exists (select 1 from w where w.id = p_id) then return query select id from t2; end if;
        end $$""",
     {"reads": {"public.t", "s.u", "public.w", "public.t2"}, "writes": {"public.log"},
      "columns_read": _cols("public.t.id", "s.u.*", "public.w.id", "public.t2.id"),
      "columns_written": _cols("public.log.what"), "functions": {"public.count", "private.g"}}),
    ("PL/pgSQL trigger function",
     """create function audit() returns trigger language plpgsql as $$
        begin insert into private.audit (tbl, op) values (tg_table_name, tg_op); new.updated_at := now(); return new;
        end $$""",
     {"writes": {"private.audit"}, "columns_written": _cols("private.audit.tbl", "private.audit.op"),
      "functions": {"public.now"}}),
    ("PL/pgSQL procedure", "create procedure p() language plpgsql as $$ begin delete from q where done; end $$",
     {"writes": {"public.q"}, "columns_read": _cols("public.q.done")}),
    ("DO block", "do $$ declare n int; begin select count(*) into n from t; update u set c = n; end $$",
     {"reads": {"public.t"}, "writes": {"public.u"}, "columns_written": _cols("public.u.c"),
      "functions": {"public.count"}}),
    ("DO block: dynamic SQL is invisible", "do $$ begin execute 'delete from secret'; end $$", {}),
    ("a PL/pgSQL body pglast cannot read",
     "create function f() returns int language plpgsql as $$ begin x := 1; end $$", {}),
    ("other languages are not read", "create function f() returns int language plpython3u as $$ return 1 $$", {}),
]


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_references(sql: str, expected: dict[str, Any]) -> None:
    refs = _refs(sql)
    got = {f: set(getattr(refs, f)) for f in FIELDS}
    assert got == {f: set(expected.get(f, ())) for f in FIELDS}


def test_plpgsql_without_the_text_is_deparsed() -> None:
    sql = "do $$ begin update t set c = 1; end $$"
    assert _refs(sql, with_text=False) == _refs(sql)
    sql = "create function f() returns void language plpgsql as $$ begin delete from q; end $$"
    assert _refs(sql, with_text=False).writes == ("public.q",)


def test_expressions_and_relations() -> None:
    using = pglast.parse_sql("select owner = auth.uid() and exists (select 1 from m)")[0].stmt.targetList[0].val
    refs = references((using, None))
    assert (refs.reads, refs.functions) == (("public.m",), ("auth.uid",))
    refs = _refs("insert into t select * from u for update")
    assert refs.relations == ("public.u", "public.t")
    assert refs.names == {"public.u", "public.t"}


def _doc(text: str):
    f = SqlFile(path=Path("/virtual/views/v.sql"), display="views/v.sql", kind=FileKind.VIEW, text=text,
                checksum=checksum(text), name="v")
    return parse_file(f)


def test_statement_references_are_cached_and_used_names_wraps_them() -> None:
    doc = _doc("create function public.f() returns bigint language plpgsql as $$ begin return public.f() + "
               "(select count(*) from public.t); end $$;\ncreate view public.v as select public.f();\n")
    fn, view = doc.statements
    assert statement_references(fn) is statement_references(fn)
    # less what the statement creates: a recursive call is not a dependency
    assert used_names(fn) == {"public.t", "public.count"}
    assert used_names(view) == used_names(view.node) == {"public.f"}
