"""`pgmanager verify`: prove the RLS policies in a throwaway database (text, json or junit)."""

from __future__ import annotations

import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import click
from rich.table import Table

from ...api import verifying
from ...api.verifying import PARTS
from ...models import MatrixCell, VerifyReport
from ...redaction import redact
from .._common import echo, handle_errors, load, out, output_option, project_option, sandbox_options


def _cell(c: MatrixCell) -> str:
    if c.outcome == "allowed":
        text = f"{c.rows} row{'s' if c.rows != 1 else ''}"
    elif c.outcome == "filtered":
        text = "0 rows"
    elif c.outcome == "skipped":
        text = "-"
    else:
        text = f"{c.outcome} {c.sqlstate}"
    return text if c.passed else f"LEAK {text}"


def matrix_table(cells: list[MatrixCell]) -> Table:
    """Tables x identities as rows, the four commands as columns."""
    table = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("table", "identity", "SELECT", "INSERT", "UPDATE", "DELETE"):
        table.add_column(col, justify="left")
    grid: dict[tuple[str, str], dict[str, MatrixCell]] = defaultdict(dict)
    for c in cells:
        grid[(c.table, c.identity)][c.command] = c
    previous = None
    for (name, identity), row in grid.items():
        table.add_row(name if name != previous else "", identity,
                      *(_cell(row[cmd]) if cmd in row else "" for cmd in ("SELECT", "INSERT", "UPDATE", "DELETE")))
        previous = name
    return table


def print_text(report: VerifyReport, *, matrix: bool = True) -> None:
    say = out.print
    if report.matrix and matrix:
        say("coverage matrix (rows visible or changed; denied/error with SQLSTATE):", markup=False)
        say(matrix_table(report.matrix))
    if report.world is not None:
        rows = ", ".join(f"{table} {n}" for table, n in report.world.rows.items())
        say(f"no spec declares users: synthesised {len(report.world.users)} users and rows ({rows})", markup=False)
    for f in report.problems:
        say(f"{f.file}{f':{f.line}' if f.line > 1 else ''}: error: {f.message} [{f.rule}]", markup=False)
    for f in report.notes:
        say(f"{f.file}: note: {f.message} [{f.rule}]", markup=False)
    if report.cases:
        for c in report.cases:
            if not c.passed:
                say(f"{c.file}:{c.line}: FAIL {c.name} (as {c.identity}): {c.message}", markup=False)
        say(f"specs: {sum(c.passed for c in report.cases)}/{len(report.cases)} passed", markup=False)
    if report.tap_skipped:
        say(f"pgTAP: skipped ({report.tap_skipped})", markup=False)
    elif report.tap:
        for point in report.tap:
            if not point.passed:
                diag = f"\n    {point.diagnostics}" if point.diagnostics else ""
                say(f"{point.file}: not ok {point.number} - {point.description}{diag}", markup=False)
        say(f"pgTAP: {sum(p.passed for p in report.tap)}/{len(report.tap)} passed", markup=False)
    if report.matrix and not matrix:
        say(f"coverage matrix: {len(report.matrix)} cells measured", markup=False)
    for fz in report.fuzz:
        if fz.passed:
            say(f"fuzz {fz.table}: {fz.examples} worlds, RLS matches the oracle", markup=False)
        else:
            say(f"{fz.file}: fuzz {fz.table}: {fz.message}", markup=False)
            if fz.reproduction:
                say("  minimal reproduction:\n" + "\n".join("    " + line for line in fz.reproduction.splitlines()),
                    markup=False)
    if report.mutants:
        for m in report.mutants:
            if m.survived:
                say(f"{m.file}:{m.line}: mutant survived: {m.policy}: {m.mutation}\n    {m.sql}", markup=False)
        killed = sum(m.killed for m in report.mutants)
        equivalent = sum(m.equivalent is not None for m in report.mutants)
        survived = sum(m.survived for m in report.mutants)
        say(f"mutants: {len(report.mutants)}, killed {killed}, declared equivalent {equivalent}, "
            f"survived {survived}", markup=False)
    timings = report.timings_ms
    hidden = ("sandbox_start", "clone") if matrix else ("sandbox_start", "clone", "build")  # check shows those
    parts = ", ".join(f"{k} {v / 1000:.2f} s" for k, v in timings.items() if k not in hidden)
    say(f"{'ok' if report.ok else f'failed: {report.failures} failure(s)'} ({parts})", markup=False)


def junit(report: VerifyReport) -> str:
    """JUnit XML: one testcase per matrix cell, rule, spec case, pgTAP point, fuzzed table and mutant."""
    root = ET.Element("testsuites", name="pgmanager verify")

    def suite(name: str) -> ET.Element:
        return ET.SubElement(root, "testsuite", name=name)

    def case(parent: ET.Element, classname: str, name: str, seconds: float = 0.0, failure: str | None = None,
             skipped: str | None = None, output: str | None = None) -> None:
        el = ET.SubElement(parent, "testcase", classname=classname, name=name, time=f"{seconds:.4f}")
        if failure is not None:
            ET.SubElement(el, "failure", message=failure.splitlines()[0] if failure else "failed").text = failure
        if skipped is not None:
            ET.SubElement(el, "skipped", message=skipped)
        if output:
            ET.SubElement(el, "system-out").text = output

    if report.matrix or report.problems or report.notes:
        s = suite("coverage matrix")
        for c in report.matrix:
            case(s, f"matrix.{c.table}", f"{c.identity} {c.command}: {_cell(c)}",
                 failure=None if c.passed else c.message)
        for f in report.problems:
            case(s, f"rules.{f.rule}", f"{f.file}: {f.rule}", failure=f.message)
        for f in report.notes:
            case(s, f"notes.{f.rule}", f"{f.file}: {f.rule}", output=f.message)
    if report.cases:
        s = suite("specs")
        for r in report.cases:
            case(s, r.file, f"{r.name} (as {r.identity})", r.duration_ms / 1000,
                 failure=None if r.passed else f"{r.file}:{r.line}: {r.message}")
    if report.tap or report.tap_skipped:
        s = suite("pgTAP")
        if report.tap_skipped:
            case(s, "pgtap", "pgTAP files", skipped=report.tap_skipped)
        for t in report.tap:
            case(s, t.file, f"{t.number} - {t.description}", failure=None if t.passed or t.directive == "TODO"
                 else t.diagnostics or "not ok", skipped=t.directive if t.directive == "SKIP" else None)
    if report.fuzz:
        s = suite("leak fuzzing")
        for fz in report.fuzz:
            case(s, "fuzz", f"{fz.table} ({fz.examples} worlds)",
                 failure=None if fz.passed else f"{fz.message}\n{fz.reproduction or ''}".strip())
    if report.mutants:
        s = suite("mutants")
        for m in report.mutants:
            case(s, m.file, f"{m.policy}: {m.mutation}", failure=f"survived: {m.sql}" if m.survived else None,
                 output=f"killed by {m.killed_by}" if m.killed else f"equivalent: {m.equivalent}"
                 if m.equivalent else None)
    for s in root:
        s.set("tests", str(len(s)))
        s.set("failures", str(sum(1 for c in s if c.find("failure") is not None)))
        s.set("skipped", str(sum(1 for c in s if c.find("skipped") is not None)))
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


@click.command("verify")
@project_option
@sandbox_options
@click.option("--format", "fmt", type=click.Choice(("text", "json", "junit")), default="text", show_default=True,
              help="Output format (junit: one testcase per matrix cell, spec case, pgTAP point, mutant).")
@click.option("--mutate", is_flag=True, help="Also weaken every policy and check that the specs or the fuzzer notice.")
@click.option("--examples", type=click.IntRange(1, 10_000), default=25, show_default=True,
              help="Worlds the leak fuzzer draws.")
@click.option("--only", "only", multiple=True, type=click.Choice(PARTS),
              help="Run only these parts (repeatable; default: all).")
@output_option
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            mutate: bool, examples: int, only: tuple[str, ...]) -> None:
    """Verify the RLS policies in a throwaway database: coverage matrix, specs (policies/tests/*.yaml),
    pgTAP (supabase/tests/*.sql), leak fuzzing and, with --mutate, mutation testing. Exit 1 on any failure."""
    # hypothesis caches what it learns in ./.hypothesis; keep the user's project folder clean
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "pgmanager-hypothesis"))
    settings, project = load(project_dir)
    report = verifying.verify(settings, project, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep, mutate=mutate,
                        examples=examples, parts=only or PARTS)
    if fmt == "text":
        print_text(report)
    else:
        echo(redact(junit(report) if fmt == "junit" else report.model_dump_json(indent=2) + "\n"), nl=False)
    sys.exit(0 if report.ok else 1)
