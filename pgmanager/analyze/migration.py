"""One file analyzed statement by statement: objects created, altered and dropped, the locks each
statement takes (``locks.statement_locks``), whether it runs in a transaction, and a risk summary.

``migrate plan`` and ``analyze`` share this: ``analyze_document`` is pure and takes a parsed file.
"""

from __future__ import annotations

from ..models import AnalyzedStatement, FileAnalysis, LockDetail, LockMode, ObjectRef, Risk
from ..parse import SqlDocument, Statement, created_names
from ..schema import SchemaModel
from ._lock_info import on_new_table
from .locks import ColumnType, LockInfo, statement_locks
from .objects import statement_objects

_SUMMARY_WIDTH = 80


def statement_summary(stmt: Statement) -> str:
    """A statement's first line, shortened: how plan and analyze name a statement."""
    first = stmt.text.splitlines()[0] if stmt.text else ""
    return first if len(first) <= _SUMMARY_WIDTH else first[: _SUMMARY_WIDTH - 3] + "..."


def lock_detail(lock: LockInfo, *, new: bool = False) -> LockDetail:
    """A lock as plan and analyze report it; ``new``: its table was created earlier in the same migration or plan
    (the note then carries no advice)."""
    if new:
        lock = on_new_table(lock)
    return LockDetail(lock=lock.lock, table=lock.table, rewrites=lock.rewrites, scans=lock.scans, note=lock.note)


def _unique(refs: list[ObjectRef]) -> list[ObjectRef]:
    return list(dict.fromkeys(refs))


def _risk(lock: LockInfo) -> tuple[int, str] | None:
    """(level, reason) of one lock on a table that existed before the file; None when harmless.

    high: the table is rewritten, or scanned while writes wait; medium: a brief lock that still blocks
    (or queues behind) every query; low otherwise (SHARE UPDATE EXCLUSIVE lets reads and writes go on).
    """
    rank = lock.lock.rank
    if lock.rewrites:
        return 2, f"{lock.table} is rewritten under {lock.lock}"
    if lock.scans and rank > LockMode.SHARE_UPDATE_EXCLUSIVE.rank:
        return 2, f"{lock.table} is scanned under {lock.lock}, blocking writes for the whole scan"
    if rank >= LockMode.SHARE.rank:
        blocks = "reads and writes" if lock.lock == LockMode.ACCESS_EXCLUSIVE else "writes"
        # a lock taken on a table because another one refers to it: say so (it is not the new table's risk)
        why = f" ({lock.note})" if lock.note.startswith("referenced by") else ""
        return 1, f"{lock.lock} on {lock.table}{why} blocks {blocks} while held; keep lock_timeout short"
    return None


def _column_type(schema: SchemaModel) -> ColumnType:
    def lookup(table: str, column: str) -> str | None:
        info = schema.table(table)
        col = info.columns.get(column) if info is not None else None
        return col.type_name if col is not None else None
    return lookup


def _reasons(found: dict[str, list[int]]) -> list[str]:
    """One line per reason, with the lines of the statements it applies to."""
    out = []
    for reason, lines in found.items():
        label = "line" if len(lines) == 1 else "lines"
        out.append(f"{reason} ({label} {', '.join(str(n) for n in dict.fromkeys(lines))})")
    return out


def analyze_document(doc: SqlDocument, *, new_tables: set[str] | frozenset[str] = frozenset(),
                     schema: SchemaModel | None = None) -> FileAnalysis:
    """Analyze one parsed file. ``new_tables`` are tables known to be new (empty) before this file;
    tables created earlier in the file are new as well. Locks on new tables carry no risk.

    ``schema``: the model as the files before this one leave it (column types tell which ALTER COLUMN TYPE
    PostgreSQL makes without a rewrite); the file's statements are replayed onto it, in order."""
    f = doc.file
    if doc.error is not None:
        return FileAnalysis(file=f.display, kind=f.kind, version=f.version, transactional=True, error=doc.error)
    transactional = doc.transactional
    reason = next((s.no_transaction for s in doc.statements if s.no_transaction), None)
    fresh = set(new_tables)
    statements: list[AnalyzedStatement] = []
    created: list[ObjectRef] = []
    altered: list[ObjectRef] = []
    dropped: list[ObjectRef] = []
    strongest = LockMode.NONE
    rewrites: list[str] = []
    scans: list[str] = []
    risk = 0
    reasons: dict[str, list[int]] = {}
    for stmt in doc.statements:
        objs = statement_objects(stmt)
        locks = statement_locks(stmt, _column_type(schema) if schema is not None else None)
        if schema is not None:
            schema.apply(stmt, f.display)
        if not getattr(stmt.node, "replace", False):  # "or replace" may hit an object in use
            fresh |= created_names(stmt.node)  # a statement's own new table holds no data yet
        for lock in locks:
            if not lock.table or not lock.lock or lock.table in fresh:
                continue
            if lock.lock.rank > strongest.rank:
                strongest = lock.lock
            if lock.rewrites and lock.table not in rewrites:
                rewrites.append(lock.table)
            if lock.scans and lock.table not in scans:
                scans.append(lock.table)
            found = _risk(lock)
            if found is not None:
                risk = max(risk, found[0])
                reasons.setdefault(found[1], []).append(stmt.line)
        created.extend(objs.created)
        altered.extend(objs.altered)
        dropped.extend(objs.dropped)
        statements.append(AnalyzedStatement(
            line=stmt.line, col=stmt.col, kind=stmt.kind, summary=statement_summary(stmt),
            transactional=transactional, no_transaction_reason=stmt.no_transaction,
            created=objs.created, altered=objs.altered, dropped=objs.dropped,
            locks=[lock_detail(i, new=i.table in fresh) for i in locks]))
    made = set(created)
    return FileAnalysis(
        file=f.display, kind=f.kind, version=f.version, transactional=transactional, no_transaction_reason=reason,
        # "drop ... if exists" then "create" (a repeatable, a retried concurrent index) is a re-creation
        created=_unique(created), altered=[o for o in _unique(altered) if o not in made],
        dropped=[o for o in _unique(dropped) if o not in made],
        strongest_lock=strongest, rewrites=rewrites, scans=scans, risk=(Risk.LOW, Risk.MEDIUM, Risk.HIGH)[risk],
        risk_reasons=_reasons(reasons), statements=statements)
