"""`status`: the state of every migration and repeatable on a target, from the project and its history.

Pure: history rows, failure notes and invalid indexes are read by the caller and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import FileKind, HistoryRow, InvalidIndex, MigrationState, StatusEntry
from ..parse import parse_file
from ..project import Project, normalize
from .plan import Progress, diff_summary


def status_entries(project: Project, applied: Mapping[str, HistoryRow],
                   failures: Mapping[str, tuple[str, int, str]],
                   progress: Mapping[str, Progress] | None = None) -> list[StatusEntry]:
    """One entry per migration (by version), per repeatable, and per applied row the project lacks."""
    entries: list[StatusEntry] = []
    order = project.version_order()
    applied_versions = sorted((k for k, r in applied.items() if r.kind == FileKind.MIGRATION), key=order)
    newest = applied_versions[-1] if applied_versions else None
    known: set[str] = set()
    for m in project.migrations:
        known.add(m.key)
        row = applied.get(m.key)
        if row is not None:
            if row.checksum != m.checksum:
                entries.append(StatusEntry(key=m.key, file=m.display, kind=m.kind, state=MigrationState.DRIFTED,
                                           applied_at=row.applied_at, source=row.source,
                                           detail="file changed since it was applied ("
                                                  + diff_summary(row.text, normalize(m.text)) + ")"))
            else:
                entries.append(StatusEntry(key=m.key, file=m.display, kind=m.kind, state=MigrationState.APPLIED,
                                           applied_at=row.applied_at, source=row.source))
            continue
        partial = (progress or {}).get(m.key)
        if partial:
            done = sum(state == "done" for _, state in partial)
            total = len(parse_file(m).statements)
            note = f"; statement {len(partial)} was in flight when an attempt died" \
                if partial[-1][1] != "done" else ""
            failed = f"; last error: {failures[m.key][2]}" if m.key in failures else ""
            entries.append(StatusEntry(key=m.key, file=m.display, kind=m.kind, state=MigrationState.PARTIAL,
                                       detail=f"partially applied: {done} of {total} statements{note}{failed}; "
                                              "the next migrate resumes"))
        elif m.key in failures:
            at, done, error = failures[m.key]
            entries.append(StatusEntry(key=m.key, file=m.display, kind=m.kind, state=MigrationState.FAILED,
                                       detail=f"failed at {at} after {done} statement(s): {error}"))
        elif newest is not None and order(m.key) < order(newest):
            entries.append(StatusEntry(key=m.key, file=m.display, kind=m.kind, state=MigrationState.OUT_OF_ORDER,
                                       detail=f"older than the newest applied migration {newest}"))
        else:
            entries.append(StatusEntry(key=m.key, file=m.display, kind=m.kind, state=MigrationState.PENDING))
    for r in project.repeatables:
        known.add(r.key)
        row = applied.get(r.key)
        if row is None:
            entries.append(StatusEntry(key=r.key, file=r.display, kind=r.kind, state=MigrationState.PENDING,
                                       detail="new"))
        elif row.checksum != r.checksum:
            entries.append(StatusEntry(key=r.key, file=r.display, kind=r.kind, state=MigrationState.PENDING,
                                       applied_at=row.applied_at, detail="changed: re-applied by the next migrate"))
        else:
            entries.append(StatusEntry(key=r.key, file=r.display, kind=r.kind, state=MigrationState.APPLIED,
                                       applied_at=row.applied_at, source=row.source))
    for key, row in sorted(applied.items(), key=lambda kv: order(kv[0])):
        if key not in known and row.kind == FileKind.MIGRATION:
            entries.append(StatusEntry(key=key, file=None, kind=row.kind, state=MigrationState.UNKNOWN,
                                       applied_at=row.applied_at, source=row.source,
                                       detail="applied on the target, no file in this project: newer schema"))
    return entries


def invalid_index_models(rows: list[tuple[str, str, str, str]]) -> list[InvalidIndex]:
    return [InvalidIndex(schema_name=s, name=n, table=t, definition=d) for s, n, t, d in rows]
