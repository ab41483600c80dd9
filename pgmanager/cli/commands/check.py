"""`pgmanager check`: the main job: parse, lint, build in a sandbox and verify the policies, in one run."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from ...api import checking
from ...bench import BenchReport, text_table
from ...models import CheckReport, Severity
from .. import _reporters as reporters
from .._common import (
    echo,
    emit_json,
    format_option,
    handle_errors,
    load,
    out,
    output_option,
    progress,
    project_option,
    sandbox_options,
)
from .._render import sandbox_choice, steps_text
from .verify import junit as verify_junit
from .verify import print_text as print_verify


def junit(report: CheckReport) -> str:
    """JUnit XML: a suite of the stages (parse, lint, build, verify; a stage that could not run is skipped, with
    why), then the lint findings' suite and the verify suites, as `lint` and `verify` write them."""
    root = ET.Element("testsuites", name="pgmanager check")
    stages = ET.SubElement(root, "testsuite", name="check stages")
    t = report.timings_ms

    def stage(name: str, ms: float, failure: str | None = None, skipped: str | None = None) -> None:
        case = ET.SubElement(stages, "testcase", classname="check", name=name, time=f"{ms / 1000:.4f}")
        if failure is not None:
            ET.SubElement(case, "failure", message=failure.splitlines()[0]).text = failure
        if skipped is not None:
            ET.SubElement(case, "skipped", message=skipped)

    stage("parse", t.get("parse", 0), "\n".join(f"{f.location}: {f.message}" for f in report.findings) or None)
    if report.lint is not None:
        stage("lint", t.get("lint", 0), None if report.lint.ok else f"{len(report.lint.findings)} finding(s)")
    if report.migrate is not None:
        stage("build", t.get("build", 0))
    if report.verify is not None:
        stage("verify", t.get("verify", 0), None if report.verify.ok else f"{report.verify.failures} failure(s)")
    if report.bench is not None:
        problems = [f"{p['where']}: {p['message']}" for p in report.bench["problems"]]
        stage("bench", t.get("bench", 0), "\n".join(problems) or None)
    for name, why in report.skipped.items():
        stage(name, 0, skipped=why)
    parts = []
    if report.lint is not None:
        parts.append(reporters.junit(report.lint.findings, suite="pgmanager lint", fail_on=report.lint.fail_on))
    if report.verify is not None:
        parts.append(verify_junit(report.verify))
    for part in parts:
        root.extend(ET.fromstring(part.encode("utf-8")).iter("testsuite"))
    for suite in root:
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(sum(1 for c in suite if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in suite if c.find("skipped") is not None)))
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def failed_stages(report: CheckReport) -> list[str]:
    """Why check failed, one phrase per stage: "lint: 40 warnings at or above fail_on warning"."""
    why = []
    if report.findings:
        why.append(f"{len(report.findings)} file error(s)")
    if report.lint is not None and not report.lint.ok:
        bar = Severity(report.lint.fail_on)
        counts = {s: report.lint.count(s) for s in Severity if Severity(s).rank >= bar.rank and report.lint.count(s)}
        found = ", ".join(f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in reversed(counts.items()))
        why.append(f"lint: {found} at or above fail_on {bar.value}"
                   + (", style findings among them (--no-style skips them)"
                      if any(f.rule.startswith("style/") for f in report.lint.findings) else ""))
    if report.verify is not None and not report.verify.ok:
        why.append(f"verify: {report.verify.failures} failure(s)")
    if report.bench is not None and report.bench.get("ok") is False:
        why.append("bench: " + (f"{len(report.bench.get('problems', []))} problem(s)"
                                if report.bench.get("problems") else "a regression"))
    return why


def verdict(report: CheckReport) -> str:
    """"ok", "failed (why)", and the stages that could not run: "ok, 1 stage skipped (pgTAP: ...)"."""
    word = "ok" if report.ok else "failed" + (f" ({'; '.join(failed_stages(report))})" if failed_stages(report)
                                              else "")
    if not report.skipped:
        return word
    why = "; ".join(f"{name}: {reason}" for name, reason in report.skipped.items())
    n = len(report.skipped)
    return f"{word}, {n} stage{'s' if n != 1 else ''} skipped ({why})"


@click.command("check")
@project_option
@sandbox_options
@format_option("text", "json", "junit")
@click.option("--no-seed", is_flag=True, help="Do not load the seed fixture (and do not verify the policies).")
@click.option("--no-lint", is_flag=True, help="Skip the linter.")
@click.option("--no-style", is_flag=True, help="Lint without sqlfluff (AST rules only).")
@click.option("--no-verify", is_flag=True, help="Skip the RLS policy verification.")
@click.option("--bench", "bench", is_flag=True,
              help="Also run a short `pgmanager bench` (scale 0.01, 20 requests per query and identity).")
@output_option
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            no_seed: bool, no_lint: bool, no_style: bool, no_verify: bool, bench: bool) -> None:
    """Parse, lint, build in a throwaway database and verify the RLS policies; report what applied
    (junit: one case per stage, then lint's and verify's suites)."""
    settings, project = load(project_dir)
    with progress("building", fmt == "text") as on_step:
        report = checking.check(settings, project, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep,
                                seed=not no_seed, lint=not no_lint, style=not no_style, verify=not no_verify,
                                bench=bench, on_step=on_step)
    if fmt == "junit":
        echo(junit(report))
        sys.exit(0 if report.ok else 1)
    if fmt == "json":
        emit_json(report)
        sys.exit(0 if report.ok else 1)
    for f in report.findings:  # files that cannot be used: `file:line:col: message`, like a compiler
        out.print(f"{f.location}: {f.message}", markup=False)
    t = report.timings_ms
    out.print(f"parsed {report.files} files, {report.statements} statements in {t.get('parse', 0):.0f} ms",
              markup=False)
    if report.lint is not None:
        if report.lint.findings:
            out.print(reporters.text(report.lint.findings).rstrip("\n"), markup=False)
        counts = {s: sum(f.severity == s for f in report.lint.findings) for s in ("error", "warning", "info")}
        out.print(f"lint: {counts['error']} error, {counts['warning']} warning, {counts['info']} info "
                  f"in {t.get('lint', 0) / 1000:.2f} s", markup=False)
    if report.sandbox:
        chosen = f"auto: {report.sandbox.choice}" if report.sandbox.choice else sandbox_choice(
            sandbox or settings.sandbox, sandbox_dsn or settings.sandbox_dsn, report.sandbox.provider)
        out.print(f"sandbox: {report.sandbox.provider} ({report.sandbox.detail}), chosen by {chosen}", markup=False)
    for warning in report.warnings:
        out.print(f"warning: {warning}", markup=False)
    if report.migrate:
        echo(steps_text(report.migrate.steps))
        out.print(f"built in {t.get('build', 0) / 1000:.2f} s, fresh clone in {t.get('clone', 0):.0f} ms",
                  markup=False)
    if report.verify is not None:
        out.print("verify:", markup=False)
        print_verify(report.verify, matrix=False)
    if report.bench is not None:
        benched = BenchReport.model_validate(report.bench)
        out.print(f"bench (scale {benched.data.scale:g}, {benched.settings.iterations} requests per query and "
                  f"identity) in {t.get('bench', 0) / 1000:.2f} s:", markup=False)
        out.print(text_table(benched), markup=False)
        for problem in benched.problems:
            out.print(f"{problem.where}: {problem.message}", markup=False)
    out.print(f"{verdict(report)} in {t.get('total', 0) / 1000:.2f} s", markup=False)
    sys.exit(0 if report.ok else 1)
