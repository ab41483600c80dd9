"""`verify`: prove the RLS policies in throwaway databases (matrix, specs, pgTAP, fuzzing, mutants).

The project is built once into the sandbox template (with the seed); one shared clone serves every
check, each inside a transaction or savepoint that is rolled back. Only what must commit (``commit:
true`` cases) gets a fresh clone; pgTAP files, which manage their own transactions, share one. When
no spec declares the matrix's users, the matrix runs on a clone of its own holding a world synthesised
from the schema, with the owner-based stranger check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

import psycopg
from pglast import ast

from ..catalog import PLATFORM_SCHEMAS
from ..config import Settings
from ..db import connect, error_line
from ..errors import InputError
from ..models import (
    CaseResult,
    FileKind,
    Finding,
    FuzzResult,
    MutantResult,
    Severity,
    SynthesisedWorld,
    TapResult,
    VerifyReport,
)
from ..parse import parse_file, rangevar_name
from ..policies import (
    Identity,
    Mutant,
    SpecSuite,
    apply_mutant,
    coverage_matrix,
    first_failure,
    fuzz,
    load_specs,
    mutants,
    pgtap_available,
    relations,
    run_case,
    run_tap_file,
    stranger_leaks,
    synthesise,
    tap_files,
)
from ..project import Project
from ..sandbox import Sandbox, open_sandbox
from .building import project_migrator
from .inputs import require_clean

PARTS = ("matrix", "specs", "pgtap", "fuzz")
ProgressFn = Callable[[str, int, int], None]


def _policy_sites(project: Project) -> dict[tuple[str, str], tuple[str, int]]:
    """(table, policy name) -> (file, line) of each CREATE POLICY in the policy files."""
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for f in project.repeatables:
        if f.kind != FileKind.POLICY:
            continue
        for stmt in parse_file(f).statements:
            if isinstance(stmt.node, ast.CreatePolicyStmt) and stmt.node.table is not None:
                out.setdefault((rangevar_name(stmt.node.table), str(stmt.node.policy_name)), (f.display, stmt.line))
    return out


def _policy_files(sites: dict[tuple[str, str], tuple[str, int]]) -> dict[str, str]:
    """Which policy file holds the policies of each table (the first, when several do)."""
    out: dict[str, str] = {}
    for (table, _), (file, _) in sites.items():
        out.setdefault(table, file)
    return out


def _unexposed(conn: psycopg.Connection, settings: Settings) -> list[Finding]:
    """A note naming the project's schemas with tables that exposed_schemas leaves out (never skipped silently)."""
    exposed = list(settings.exposed_schemas)
    rows = conn.execute(
        """
        select n.nspname, count(*) filter (where c.relkind in ('r', 'p'))
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition and n.nspname !~ '^pg_'
          and n.nspname <> all(%s)
        group by n.nspname order by n.nspname
        """, [[*PLATFORM_SCHEMAS, settings.history_schema]]).fetchall()
    inside = sum(int(count) for name, count in rows if name in exposed)
    outside = [(str(name), int(count)) for name, count in rows if name not in exposed and count]
    if not outside:
        return []

    def tables(n: int) -> str:
        return f"{n} table{'' if n == 1 else 's'}"

    named = "; ".join(f"schema {name} has {tables(count)}" for name, count in outside)
    it = "it" if len(outside) == 1 else "them"
    return [Finding(rule="unexposed-schema", severity=Severity.INFO, file=settings.source("exposed_schemas"),
                    message=f"{tables(inside)} in exposed schemas [{', '.join(exposed)}]; {named}; add {it} to "
                            "exposed_schemas to verify them")]


def _synthesised_matrix(box: Sandbox, template: str, suite: SpecSuite, schemas: list[str],
                        sites: dict[tuple[str, str], tuple[str, int]]) -> dict[str, object]:
    """No spec names the matrix's users: a clone of its own with a world made from the schema, the matrix
    as its users, and the owner-based stranger check naming the policy that lets each leak through."""
    files = _policy_files(sites)

    def locate(table: str, policy: str) -> tuple[str, int]:
        return sites.get((table, policy), (files.get(table, table), 1))

    with _fresh(box, template) as conn:
        world = synthesise(conn, schemas)
        matrix = coverage_matrix(conn, world.suite(suite), schemas, files, stranger_rule=False)
        leaks = stranger_leaks(conn, schemas, [*world.identities(), Identity(name="anon", role="anon")], locate)
    cells = [c.model_copy(update={"passed": False, "message": leaks.cells[key]})
             if (key := (c.table, c.identity, c.command)) in leaks.cells else c for c in matrix.cells]
    skipped = [Finding(rule="world-skipped", severity=Severity.INFO, file=files.get(table, table),
                       message=f"synthesised world: {table}: {why}") for table, why in world.skipped.items()]
    return {"matrix": cells, "problems": [*matrix.problems, *leaks.problems], "notes": [*matrix.notes, *skipped],
            "world": SynthesisedWorld(users=world.users, rows=world.rows, skipped=world.skipped)}


def _check_roles(conn: psycopg.Connection, suite: SpecSuite) -> None:
    """An unknown role is a spec error (file:line), not a failure of every case that uses it."""
    known = {r[0] for r in conn.execute("select rolname from pg_catalog.pg_roles").fetchall()}
    for case in suite.cases:
        if case.identity.role not in known:
            raise InputError(f"case {case.name!r}: role {case.identity.role!r} does not exist on the server",
                             where=f"{case.file}:{case.line}")


def _missing_schemas(conn: psycopg.Connection, settings: Settings) -> list[str]:
    """The exposed_schemas the built database does not have: nothing in them can be verified."""
    names = list(settings.exposed_schemas)
    found = {r[0] for r in conn.execute("select nspname from pg_catalog.pg_namespace where nspname = any(%s)",
                                        [names]).fetchall()}
    return [n for n in names if n not in found]


def _setting_problems(settings: Settings, parts: tuple[str, ...], report: dict[str, object],
                      missing: list[str]) -> list[Finding]:
    """A schema that is not there, or a run that measured nothing, is a failure, not an "ok": say why."""
    def count(key: str) -> int:
        value = report.get(key)
        return len(value) if isinstance(value, list) else 0

    def problem(rule: str, file: str, message: str) -> Finding:
        return Finding(rule=rule, severity=Severity.ERROR, file=file, message=message)

    setting = settings.source("exposed_schemas")
    out: list[Finding] = []
    if missing:
        out.append(problem("missing-schema", setting,
                           f"schema(s) {', '.join(missing)} do not exist in the built database, so nothing in them "
                           "was verified: fix exposed_schemas or create the schema in a migration"))
    present = [n for n in settings.exposed_schemas if n not in missing]
    if "matrix" in parts and count("matrix") == 0 and present:
        out.append(problem("nothing-verified", setting,
                           f"the coverage matrix measured no table: the exposed schema(s) {', '.join(present)} "
                           "hold no table or view"))
    checked = sum(count(k) for k in ("matrix", "cases", "tap", "fuzz", "mutants"))
    if checked == 0 and not out and not count("problems"):
        reasons = []
        if "specs" in parts:
            reasons.append(f"no spec case in {settings.policies}/tests")
        if "pgtap" in parts:
            reasons.append(f"pgTAP skipped: {report['tap_skipped']}" if report.get("tap_skipped") else "no pgTAP test")
        if "fuzz" in parts:
            reasons.append("no fuzz world with oracles")
        out.append(problem("nothing-verified", "verify", f"nothing was verified ({'; '.join(reasons)})"))
    return out


@contextmanager
def _fresh(box: Sandbox, template: str) -> Iterator[psycopg.Connection]:
    name = box.clone(template)
    conn = connect(box.dsn(name))
    try:
        yield conn
    finally:
        conn.close()
        box.drop(name)


def _run_mutants(conn: psycopg.Connection, suite: SpecSuite, found: list[Mutant], examples: int,
                 on_progress: ProgressFn | None) -> list[MutantResult]:
    out = []
    for i, mutant in enumerate(found):
        if on_progress:
            on_progress("mutants", i, len(found))
        killed_by: str | None = None
        with conn.transaction(force_rollback=True):
            try:
                with conn.transaction():
                    apply_mutant(conn, mutant)
            except psycopg.Error as exc:  # the mutant does not even create: nothing to test
                killed_by = f"not applicable: {error_line(exc)}"
            if killed_by is None:
                failed = first_failure(conn, suite.cases)
                if failed is not None:
                    killed_by = f"spec {failed.file}:{failed.line} {failed.name}"
            if killed_by is None and suite.world is not None and suite.oracles:
                oracles = [o for t, o in suite.oracles.items() if t == mutant.table] or list(suite.oracles.values())
                for result in fuzz(conn, suite.world, oracles, examples=examples, shrink=False):
                    if not result.passed:
                        killed_by = f"fuzz {result.table}: {result.message}"
                        break
        out.append(MutantResult(id=mutant.id, file=mutant.file, line=mutant.line, table=mutant.table,
                                policy=mutant.policy, mutation=mutant.mutation, sql=mutant.create or
                                f"drop policy \"{mutant.policy}\" on {mutant.table}", killed=killed_by is not None,
                                killed_by=killed_by,
                                equivalent=suite.equivalent.get(mutant.id) if killed_by is None else None))
    return out


def verify(settings: Settings, project: Project, *, sandbox: str | None = None, sandbox_dsn: str | None = None,
           mutate: bool = False, keep: bool = False, examples: int = 25, mutant_examples: int = 8,
           parts: tuple[str, ...] = PARTS, on_progress: ProgressFn | None = None,
           box: Sandbox | None = None) -> VerifyReport:
    """Verify the RLS policies of ``project`` in a sandbox; every part runs even when an earlier one fails.

    ``parts`` selects among matrix, specs, pgtap and fuzz; ``mutate`` adds mutation testing (specs and
    fuzzing against every weakened policy). Raises InputError for a malformed spec (file:line).
    ``box`` reuses a running sandbox (``check`` passes its own) instead of starting one.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    require_clean(project)
    suite = load_specs(settings)

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round((now - since) * 1000, 3)
        return now

    report: dict[str, object] = {}
    opened = nullcontext(box) if box is not None else open_sandbox(
        sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn, keep=keep,
        image=settings.sandbox_image)
    with opened as box:
        t = lap("sandbox_start", t0)
        template = box.template(project_migrator(settings, project, seed=True))
        t = lap("build", t)
        shared = box.clone(template)
        t = lap("clone", t)
        conn = connect(box.dsn(shared))
        try:
            _check_roles(conn, suite)
            missing = _missing_schemas(conn, settings)
            if "matrix" in parts:
                schemas = list(settings.exposed_schemas)
                sites = _policy_sites(project)
                if suite.matrix:
                    matrix = coverage_matrix(conn, suite, schemas, _policy_files(sites))
                    report.update(matrix=matrix.cells, problems=matrix.problems, notes=matrix.notes)
                else:
                    report.update(_synthesised_matrix(box, template, suite, schemas, sites))
                earlier = report.get("notes")
                report["notes"] = [*_unexposed(conn, settings), *(earlier if isinstance(earlier, list) else [])]
                t = lap("matrix", t)
            if "specs" in parts:
                cases: list[CaseResult] = []
                for i, case in enumerate(suite.cases):
                    if on_progress:
                        on_progress("specs", i, len(suite.cases))
                    # a committing case gets its own clone; the sandbox drops it on exit
                    cases.append(run_case(conn, case, fresh=lambda: connect(box.dsn(box.clone(template)))))
                report["cases"] = cases
                t = lap("specs", t)
            if "pgtap" in parts:
                files = tap_files(settings.root)
                if not files:
                    report["tap_skipped"] = "no supabase/tests/*.sql"
                elif not pgtap_available(conn):
                    report["tap_skipped"] = "the pgtap extension is not available on the sandbox server"
                else:
                    # one clone for all files: like `supabase test db`, each file runs in its own
                    # transaction that it rolls back, and pgtap is installed there only once
                    tap: list[TapResult] = []
                    with _fresh(box, template) as fconn:
                        for f in files:
                            tap.extend(run_tap_file(fconn, f))
                    report["tap"] = tap
                t = lap("pgtap", t)
            if "fuzz" in parts and suite.world is not None and suite.oracles:
                fuzzed: list[FuzzResult] = fuzz(conn, suite.world, list(suite.oracles.values()), examples=examples)
                report["fuzz"] = fuzzed
                t = lap("fuzz", t)
            if mutate:
                policy_files = [f for f in project.repeatables if f.kind == FileKind.POLICY]
                uuid_cols = {r.qualified: [c.name for c in r.columns if c.type == "uuid"]
                             for r in relations(conn, list(settings.exposed_schemas))}
                report["mutants"] = _run_mutants(conn, suite, mutants(policy_files, uuid_cols), mutant_examples,
                                                 on_progress)
                t = lap("mutate", t)
        finally:
            conn.close()
        info = box.info(shared)
    found = _setting_problems(settings, parts, report, missing)
    if found:
        earlier = report.get("problems")
        report["problems"] = [*found, *(earlier if isinstance(earlier, list) else [])]
    timings["total"] = round((time.perf_counter() - t0) * 1000, 3)
    result = VerifyReport(ok=True, sandbox=info, timings_ms=timings, **report)  # type: ignore[arg-type]
    return result.model_copy(update={"ok": result.failures == 0})
