"""Plan fingerprints and flags on EXPLAIN (FORMAT JSON) documents: pure, no database."""

from __future__ import annotations

import copy

from pgmanager.bench._explain import fingerprint, flags, shape
from pgmanager.catalog import Table

INDEXED = {
    "Node Type": "Limit", "Total Cost": 8.3, "Plan Rows": 20, "Actual Rows": 20, "Actual Loops": 1,
    "Plans": [{"Node Type": "Index Scan", "Schema": "public", "Relation Name": "files",
               "Index Name": "idx_files_project_updated", "Total Cost": 8.1, "Plan Rows": 20, "Actual Rows": 20,
               "Actual Loops": 1}],
}
CATALOG = {"public.files": Table("public", "files", 200_000.0), "public.tiny": Table("public", "tiny", 50.0)}


def test_the_fingerprint_ignores_costs_and_counts_but_not_indexes_or_scans() -> None:
    cheaper = copy.deepcopy(INDEXED)
    cheaper["Total Cost"] = 1.0
    cheaper["Plans"][0].update({"Plan Rows": 3, "Actual Rows": 7, "Total Cost": 0.5})
    assert fingerprint(cheaper) == fingerprint(INDEXED)
    other_index = copy.deepcopy(INDEXED)
    other_index["Plans"][0]["Index Name"] = "files_project_id_path_key"
    seq = {"Node Type": "Limit", "Plans": [{"Node Type": "Sort", "Plans": [
        {"Node Type": "Seq Scan", "Schema": "public", "Relation Name": "files"}]}]}
    assert len({fingerprint(INDEXED), fingerprint(other_index), fingerprint(seq)}) == 3
    assert shape(INDEXED) == "Limit > Index Scan on public.files using idx_files_project_updated"
    join = {"Node Type": "Hash Join", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "a"},
                                                {"Node Type": "Hash", "Plans": [{"Node Type": "Seq Scan",
                                                                                 "Relation Name": "b"}]}]}
    assert shape(join) == "Hash Join [Seq Scan on a; Hash > Seq Scan on b]"


def test_flags_name_big_seq_scans_disk_sorts_and_where_a_misestimate_starts() -> None:
    assert flags(INDEXED, CATALOG, analyzed=True) == []
    plan = {"Node Type": "Limit", "Plan Rows": 1, "Actual Rows": 12, "Actual Loops": 1, "Plans": [
        {"Node Type": "Sort", "Plan Rows": 1, "Actual Rows": 12, "Actual Loops": 1, "Sort Space Type": "Disk",
         "Sort Space Used": 900, "Sort Method": "external merge", "Plans": [
             {"Node Type": "Seq Scan", "Schema": "public", "Relation Name": "files", "Plan Rows": 1,
              "Actual Rows": 12, "Actual Loops": 1},
             {"Node Type": "Seq Scan", "Schema": "public", "Relation Name": "tiny", "Plan Rows": 50,
              "Actual Rows": 50, "Actual Loops": 1}]}]}
    assert flags(plan, CATALOG, analyzed=True) == [
        "seq scan on public.files (200,000 rows)",
        "row estimate off 12x at Seq Scan on public.files (estimated 1, actual 12)",
        "sort spilled to disk (900 kB, external merge)",
    ]
    # without ANALYZE there are no actual rows to compare, and a node that never ran is not judged
    assert flags(plan, CATALOG, analyzed=False) == ["seq scan on public.files (200,000 rows)",
                                                    "sort spilled to disk (900 kB, external merge)"]
    never = {"Node Type": "Seq Scan", "Relation Name": "x", "Plan Rows": 1000, "Actual Rows": 0, "Actual Loops": 0}
    assert flags(never, CATALOG, analyzed=True) == []
