"""analyze_document: per-file objects, locks, transaction mode and risk, from inline migrations."""

from __future__ import annotations

from pgmanager.analyze.migration import analyze_document

from ._support import doc_of


def test_new_table_carries_no_risk_but_its_reference_does() -> None:
    fa = analyze_document(doc_of("""
create table public.orders (id bigint primary key);
create index idx_orders_id on public.orders (id);
alter table public.orders add column note text;
create table public.lines (order_id bigint references public.orders (id));
"""))
    assert fa.transactional and fa.no_transaction_reason is None
    assert [str(o) for o in fa.created] == ["table public.orders", "index public.idx_orders_id", "table public.lines"]
    assert fa.altered == []  # altering a table created in the same file is part of creating it
    assert fa.risk == "low" and fa.risk_reasons == [] and fa.strongest_lock == ""
    first = fa.statements[0]
    assert (first.line, first.kind, first.transactional) == (2, "CreateStmt", True)
    assert [(lk.lock, lk.table) for lk in first.locks] == [("ACCESS EXCLUSIVE", "public.orders")]


def test_rewrite_of_an_existing_table_is_high_risk() -> None:
    fa = analyze_document(doc_of("alter table public.orders alter column total type numeric(12, 2);\n"))
    assert fa.risk == "high"
    assert fa.rewrites == ["public.orders"] and fa.scans == ["public.orders"]
    assert fa.strongest_lock == "ACCESS EXCLUSIVE"
    assert [str(o) for o in fa.altered] == ["table public.orders"]
    assert "rewritten" in fa.risk_reasons[0] and "line 1" in fa.risk_reasons[0]


def test_blocking_index_build_is_high_and_concurrent_one_is_low_and_outside_a_transaction() -> None:
    blocking = analyze_document(doc_of("create index idx_o on public.orders (customer_id);\n"))
    assert blocking.risk == "high" and blocking.strongest_lock == "SHARE" and blocking.transactional
    concurrent = analyze_document(doc_of("create index concurrently idx_o on public.orders (customer_id);\n"))
    assert concurrent.risk == "low" and concurrent.strongest_lock == "SHARE UPDATE EXCLUSIVE"
    assert not concurrent.transactional and concurrent.no_transaction_reason
    assert concurrent.statements[0].no_transaction_reason and not concurrent.statements[0].transactional


def test_brief_exclusive_lock_is_medium_and_tables_known_new_are_exempt() -> None:
    text = "alter table public.orders add column note text;\n"
    fa = analyze_document(doc_of(text))
    assert fa.risk == "medium" and "blocks reads and writes" in fa.risk_reasons[0]
    assert analyze_document(doc_of(text), new_tables={"public.orders"}).risk == "low"


def test_drop_if_exists_then_create_is_a_recreation() -> None:
    fa = analyze_document(doc_of("""
drop policy if exists "p" on public.t;
create policy "p" on public.t for select to authenticated using (true);
drop view if exists public.old_view;
"""))
    assert [str(o) for o in fa.created] == ["policy p on public.t"]
    assert [str(o) for o in fa.dropped] == ["view public.old_view"]


def test_a_file_that_does_not_parse_is_reported_not_raised() -> None:
    fa = analyze_document(doc_of("create tabel x (id int);\n"))
    assert fa.error is not None and fa.error.rule == "syntax-error" and fa.error.line == 1
    assert fa.statements == []
