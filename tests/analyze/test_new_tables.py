"""A table created in the same migration (or earlier in the plan): nobody else can see it, so its locks get no
advice (no "use CONCURRENTLY") and no risk, in analyze and in plan alike."""

from __future__ import annotations

from pathlib import Path

from pgmanager.analyze.migration import analyze_document
from pgmanager.api import migrating

from ._support import doc_of, write_project

NEW_TABLE_WITH_INDEX = """create table public.orders (id bigint primary key, customer_id bigint, total numeric);
create index idx_orders_customer on public.orders (customer_id);
alter table public.orders add constraint orders_total_positive check (total > 0);
"""


def test_index_on_a_new_table_has_no_advice_and_low_risk() -> None:
    fa = analyze_document(doc_of(NEW_TABLE_WITH_INDEX))
    assert fa.risk == "low" and fa.risk_reasons == []
    notes = [lk.note for s in fa.statements for lk in s.locks]
    assert not any("CONCURRENTLY" in n or "NOT VALID" in n or "every existing row" in n for n in notes), notes
    index = fa.statements[1].locks[0]
    assert index.note == "create index idx_orders_customer: public.orders is new, nobody else can see it yet"


def test_the_same_index_on_an_existing_table_keeps_its_advice() -> None:
    fa = analyze_document(doc_of("create index idx_orders_customer on public.orders (customer_id);\n"))
    assert fa.risk == "high" and "use CONCURRENTLY" in fa.statements[0].locks[0].note


def test_a_reference_to_an_existing_table_names_why_it_is_locked() -> None:
    """The risk of `create table ... references users` is the lock on users, not the new table: the reason says so."""
    fa = analyze_document(doc_of("create table public.lines (id int, order_id bigint references public.orders);\n"))
    assert fa.risk == "medium"
    assert fa.risk_reasons == ["SHARE ROW EXCLUSIVE on public.orders (referenced by a foreign key of the new table) "
                               "blocks writes while held; keep lock_timeout short (line 1)"]


def test_plan_gives_no_advice_for_a_new_table(tmp_path: Path) -> None:
    settings, project = write_project(tmp_path, {
        "migrations/20240101000000_orders.sql": NEW_TABLE_WITH_INDEX,
        "migrations/20240101000100_more.sql": "create index idx_orders_total on public.orders (total);\n",
    }, settings='auth_emulation = ""\nseed = ""\n')
    report = migrating.plan(settings, project, None)
    by_file = {d.step.file: d for d in report.details}
    first = by_file["migrations/20240101000000_orders.sql"]
    assert not any("CONCURRENTLY" in lk.note for st in first.statements for lk in st.locks)
    # created by an earlier migration of the same plan: still new when this one runs
    later = by_file["migrations/20240101000100_more.sql"].statements[0].locks[0]
    assert later.note == "create index idx_orders_total: public.orders is new, nobody else can see it yet"
