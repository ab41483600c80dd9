"""The plan: pure. From the project's parsed files and the target's history, decide what to run.

No database here: the applied history is passed in. ``migrate``, ``plan --sql`` and ``status``
all start from this same function.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache

from pglast import ast
from pglast.enums import ObjectType

from ..analyze import locks_of
from ..errors import InputError, PlanError
from ..models import Drift, FileKind, Finding, HistoryRow, LockMode, Plan, SqlFile, Step, StepAction
from ..parse import SqlDocument, Statement, created_names, dotted, parse_file, statement_references, used_names
from ..project import Project, checksum, normalize

# statement checksum, "running" or "done": what an interrupted non-transactional migration got through
Progress = Sequence[tuple[str, str]]


def parse_all(files: Iterable[SqlFile]) -> dict[str, SqlDocument]:
    """Parse files (each once); the first problem found stops everything before any SQL runs."""
    docs: dict[str, SqlDocument] = {}
    problems: list[Finding] = []
    for f in files:
        doc = parse_file(f)
        docs[f.display] = doc
        if doc.error:
            problems.append(doc.error)
        problems.extend(doc.problems)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(first.message + more, where=first.location)
    return docs


def order_repeatables(docs: Mapping[str, SqlDocument]) -> list[str]:
    """Repeatable files in dependency order (a file after those creating what it uses), else by name."""
    creates = {name: set().union(*(created_names(s.node) for s in d.statements)) for name, d in docs.items()}
    uses = {name: set().union(*(used_names(s) for s in d.statements)) for name, d in docs.items()}
    # names used only inside PL/pgSQL bodies are resolved when the function runs: they order files where they
    # can; when they close a cycle (functions of two files calling each other) the order rests on the others
    hard = {name: set().union(*(used_names(s) - set(statement_references(s).late) for s in d.statements))
            for name, d in docs.items()}
    try:
        return _topological(docs, {a: {b for b in docs if b != a and creates[b] & uses[a]} for a in docs})
    except PlanError:
        return _topological(docs, {a: {b for b in docs if b != a and creates[b] & hard[a]} for a in docs})


def _topological(docs: Mapping[str, SqlDocument], deps: Mapping[str, set[str]]) -> list[str]:
    """Views first, then by name, each after what it depends on; PlanError names a cycle."""
    ordered: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = [*path[path.index(node):], node]
            raise PlanError("dependency cycle: " + " -> ".join(cycle), where=cycle[0])
        state[node] = 1
        for dep in sorted(deps[node]):
            visit(dep, [*path, node])
        state[node] = 2
        ordered.append(node)

    for name in sorted(docs, key=lambda n: (not n.startswith("views/"), n)):
        visit(name, [])
    return ordered


def diff_summary(old_text: str | None, new_text: str) -> str:
    """'+1 -1 lines, first at line 3: <that line now>': enough to find the edit without a diff tool."""
    if old_text is None:
        return "changed since it was applied"
    old, new = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    added = removed = 0
    first: tuple[int, str] | None = None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed += i2 - i1
        added += j2 - j1
        if first is None:
            first = (j1 + 1, new[j1].strip() if j1 < len(new) else "(removed at the end)")
    if first is None:
        return "+0 -0 lines"
    line, text = first
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"+{added} -{removed} lines, first at line {line}: {text}"


# Statements that change the shape of an existing relation (an index, a comment or a vacuum does not).
_SHAPE = (ast.AlterTableStmt, ast.RenameStmt, ast.DropStmt)


def _dropped_functions(node: ast.Node) -> set[str]:
    if isinstance(node, ast.DropStmt) and node.removeType in (ObjectType.OBJECT_FUNCTION,
                                                              ObjectType.OBJECT_PROCEDURE):
        return {dotted(o.objname) for o in node.objects or () if isinstance(o, ast.ObjectWithArgs)}
    return set()


def changed_names(doc: SqlDocument) -> set[str]:
    """What a migration creates, alters, renames or drops: what repeatables may depend on."""
    names: set[str] = set()
    for stmt in doc.statements:
        names |= created_names(stmt.node) | _dropped_functions(stmt.node)
        if isinstance(stmt.node, _SHAPE) and not (isinstance(stmt.node, ast.DropStmt)
                                                  and stmt.node.removeType == ObjectType.OBJECT_INDEX):
            names |= {i.table for i in locks_of(stmt) if i.table and i.lock.rank >= _DDL_RANK}
    return names


_DDL_RANK = LockMode.SHARE_UPDATE_EXCLUSIVE.rank


def statement_checksum(stmt: Statement) -> str:
    """What an interrupted migration's progress remembers of each statement it ran."""
    return checksum(stmt.text)


def _step(f: SqlFile, doc: SqlDocument, action: StepAction, reason: str, resume_at: int = 0,
          in_flight: bool = False) -> Step:
    reasons = [s.no_transaction for s in doc.statements if s.no_transaction]
    if resume_at or in_flight:  # partly applied already: whatever the file holds, it goes on statement by statement
        reasons = reasons or ["resuming a partial apply"]
    return Step(key=f.key, file=f.display, kind=f.kind, action=action, checksum=f.checksum,
                transactional=not reasons, no_transaction_reason=reasons[0] if reasons else None,
                statements=len(doc.statements), reason=reason, resume_at=resume_at, in_flight=in_flight)


def _resume(f: SqlFile, doc: SqlDocument, done: Progress) -> tuple[int, bool, Drift | None]:
    """Where an interrupted migration resumes, whether a statement was in flight, or the drift that forbids it:
    a statement that ran (or was running) and has been edited since."""
    count = 0
    for n, (digest, state) in enumerate(done):
        stmt = doc.statements[n] if n < len(doc.statements) else None
        if stmt is None or statement_checksum(stmt) != digest:
            where = f"statement {n + 1} (line {stmt.line})" if stmt else f"statement {n + 1} (now missing)"
            return 0, False, Drift(key=f.key, file=f.display, applied_checksum=digest, current_checksum=f.checksum,
                                   summary=f"{where} {'ran' if state == 'done' else 'was running'} in an interrupted "
                                           "attempt and has changed since")
        if state != "done":
            return count, True, None
        count += 1
    return count, False, None


def make_plan(
    project: Project,
    applied: Mapping[str, HistoryRow],
    *,
    docs: Mapping[str, SqlDocument] | None = None,
    include_auth_emulation: bool = False,
    to: str | None = None,
    allow_out_of_order: bool = False,
    progress: Mapping[str, Progress] | None = None,
) -> Plan:
    """Decide the steps. Raises PlanError for a bad --to; drift and unknown rows are reported in the Plan.

    ``progress``: the statements done by interrupted attempts of pending migrations (history.progress)."""
    if docs is None:
        docs = parse_all([*project.migrations, *project.repeatables,
                          *([project.auth_emulation] if include_auth_emulation and project.auth_emulation else [])])
    steps: list[Step] = []
    if include_auth_emulation and project.auth_emulation:
        emu = project.auth_emulation
        row = applied.get(emu.key)
        if row is None or row.checksum != emu.checksum:
            steps.append(_step(emu, docs[emu.display], StepAction.APPLY if row is None else StepAction.REAPPLY,
                               "Supabase auth emulation for plain PostgreSQL"))

    versions = {m.version for m in project.migrations}
    if to is not None and to not in versions:
        raise PlanError(f"no migration with version {to}", where="--to")
    order = project.version_order()  # the layout's order; for 14-digit versions their string order
    applied_versions = sorted((k for k, r in applied.items() if r.kind == FileKind.MIGRATION), key=order)
    newest_applied = applied_versions[-1] if applied_versions else None
    drift: list[Drift] = []
    out_of_order: list[str] = []
    for m in project.migrations:
        assert m.version is not None
        row = applied.get(m.key)
        if row is not None:
            if row.checksum != m.checksum:
                drift.append(Drift(key=m.key, file=m.display, applied_checksum=row.checksum,
                                   current_checksum=m.checksum, summary=diff_summary(row.text, normalize(m.text))))
            continue
        if to is not None and order(m.version) > order(to):
            continue
        if newest_applied is not None and order(m.version) < order(newest_applied):
            out_of_order.append(m.key)
            if not allow_out_of_order:
                continue
        done = (progress or {}).get(m.key)
        if done:
            resume_at, in_flight, edited = _resume(m, docs[m.display], done)
            if edited:
                drift.append(edited)
                continue
            steps.append(_step(m, docs[m.display], StepAction.APPLY,
                               f"partially applied: resumes at statement {resume_at + 1} of "
                               f"{len(docs[m.display].statements)}", resume_at, in_flight))
            continue
        steps.append(_step(m, docs[m.display], StepAction.APPLY, "pending"))
    unknown = [k for k in applied_versions if k not in versions]

    # A repeatable is re-applied when its file changed, or when a migration about to run changes something
    # it uses (a policy's table, a view's tables, a function it calls); not on every migrate.
    # computed only when an unchanged, applied repeatable asks: it needs the pending migrations' ASTs
    @cache
    def changed() -> dict[str, str]:
        found: dict[str, str] = {}
        for step in steps:
            if not step.kind.repeatable:
                for name in changed_names(docs[step.file]):
                    found.setdefault(name, step.file)
        return found

    rep_docs = {r.display: docs[r.display] for r in project.repeatables}
    by_name = {r.display: r for r in project.repeatables}
    for name in order_repeatables(rep_docs):
        rep = by_name[name]
        row = applied.get(rep.key)
        if row is None:
            steps.append(_step(rep, rep_docs[name], StepAction.APPLY, "new"))
        elif row.checksum != rep.checksum:
            steps.append(_step(rep, rep_docs[name], StepAction.REAPPLY, "changed"))
        else:
            if not changed():
                continue
            uses = sorted(set().union(*(used_names(s) for s in rep_docs[name].statements)) & set(changed()))
            if uses:
                steps.append(_step(rep, rep_docs[name], StepAction.REAPPLY,
                                   f"{changed()[uses[0]]} changes {uses[0]}"))
    return Plan(steps=steps, drift=drift, out_of_order=out_of_order, unknown_applied=unknown)
