"""Candidates from the AST alone (no database): the predicate facts the reference walker gives, and the rules
that turn them into indexes (equality first, then range or sort, partial, INCLUDE)."""

from __future__ import annotations

import pglast
import pytest

from pgmanager.advise import candidates
from pgmanager.advise.candidates import Candidate, Key, extensions
from pgmanager.parse import references


def _described(sql: str) -> set[str]:
    (raw,) = pglast.parse_sql(sql)
    return {c.describe() for c in candidates(references(raw.stmt))}


def test_equality_then_sort_with_its_direction() -> None:
    got = _described("select id, name from t where owner_id = $1 order by created_at desc limit 20")
    assert "public.t (owner_id, created_at desc)" in got
    assert "public.t (owner_id)" in got
    assert "public.t (owner_id, created_at desc) include (id, name)" in got
    assert not any(d.startswith("public.t (created_at desc, owner_id") for d in got)  # equality first


def test_equality_columns_before_the_range_column() -> None:
    got = _described("select count(*) from s.e where s.e.kind = $1 and s.e.at >= $2 and s.e.at < $3 and s.e.u = $4")
    assert {"s.e (kind, at)", "s.e (u, at)", "s.e (kind, u)", "s.e (u, kind)", "s.e (kind, u, at)"} <= got
    assert not any(d.startswith("s.e (at, ") for d in got)


def test_join_keys_on_both_sides() -> None:
    got = _described("select u.email from project_members as pm join users as u on u.id = pm.user_id "
                     "where pm.project_id = $1")
    assert {"public.project_members (project_id)", "public.project_members (project_id, user_id)",
            "public.users (id)"} <= got


def test_constant_predicates_make_partial_indexes() -> None:
    got = _described("select id from orders where status = 'open' and deleted_at is null and customer_id = $1")
    assert "public.orders (customer_id) where deleted_at is null and status = 'open'" in got
    assert not any("(status" in d for d in got)  # a constant is the predicate, not a key


def test_group_by_keys_and_positions_followed() -> None:
    got = _described("select region, count(*) from sales where year = $1 group by 1")
    assert "public.sales (year, region)" in got


def test_order_by_across_tables_gives_no_sort_candidate() -> None:
    got = _described("select * from a join b on b.a_id = a.id where a.x = $1 order by a.created_at, b.name")
    assert not any("created_at" in d for d in got)
    assert "public.a (x)" in got


def test_or_gives_nothing_to_index() -> None:
    assert _described("select * from t where a = $1 or b = $2") == set()


def test_covers_and_extend() -> None:
    wide = Candidate("public.t", (Key("a"), Key("b", descending=True)))
    narrow = Candidate("public.t", (Key("a"),))
    assert wide.covers(narrow) and not narrow.covers(wide)
    assert not Candidate("public.t", (Key("a"), Key("b"))).covers(Candidate("public.t", (Key("a"), Key("b", True))))
    assert [e.describe() for e in extensions(narrow, [Key("a"), Key("c")])] == ["public.t (a, c)"]


@pytest.mark.parametrize("sql", ["update t set a = 1 where id = $1", "delete from t where id = $1"])
def test_writes_have_candidates_for_their_where(sql: str) -> None:
    assert "public.t (id)" in _described(sql)
