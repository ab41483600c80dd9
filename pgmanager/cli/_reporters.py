"""Reporters for findings: text (compiler-like), json, SARIF 2.1.0, GitHub annotations, JUnit XML.

Each takes a list of Finding (and, where the format has room for it, rule metadata), so lint,
analyze and verify can all report through them. They return a string; the command prints it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel

from .. import __version__
from ..models import AdvisorsReport, Finding, LintReport, RuleInfo, Severity

FORMATS = ("text", "json", "sarif", "github", "junit")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def text(findings: Iterable[Finding]) -> str:
    """``file:line:col: severity: message [rule]``, one per line, like a compiler."""
    return "\n".join(f"{f.location}: {f.severity.value}: {f.message} [{f.rule}]" for f in findings)


def as_json(model: BaseModel | list[Finding]) -> str:
    if isinstance(model, BaseModel):
        return model.model_dump_json(indent=2)
    return json.dumps([f.model_dump(mode="json") for f in model], indent=2)


def sarif(findings: list[Finding], rules: Iterable[RuleInfo] = (), *, tool_version: str = "0",
          root_uri: str | None = None) -> str:
    """A SARIF 2.1.0 log with one run: rule metadata (help text, help URIs) and one result per finding."""
    infos = {r.name: r for r in rules}
    names = sorted({*infos, *(f.rule for f in findings)})
    index = {n: i for i, n in enumerate(names)}
    descriptors = []
    for n in names:
        info = infos.get(n)
        sample = next((f for f in findings if f.rule == n), None)
        d: dict[str, object] = {"id": n, "name": "".join(p.capitalize() for p in n.replace("/", "-").split("-"))}
        summary = info.summary if info else (sample.message if sample else n)
        d["shortDescription"] = {"text": summary}
        help_text = info.help if info else (sample.help if sample and sample.help else summary)
        d["help"] = {"text": help_text, "markdown": info.docs if info and info.docs else help_text}
        level = info.severity if info else (sample.severity if sample else Severity.WARNING)
        d["defaultConfiguration"] = {"level": _SARIF_LEVEL[level]}
        if info:
            d["properties"] = {"tags": [info.category]}
        if info and info.url:
            d["helpUri"] = info.url
        descriptors.append(d)
    results = []
    for f in findings:
        region: dict[str, int] = {"startLine": max(f.line, 1), "startColumn": max(f.col, 1)}
        if f.end_line and f.end_line >= f.line:
            region["endLine"] = f.end_line
        location = {"physicalLocation": {"artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                                         "region": region}}
        results.append({"ruleId": f.rule, "ruleIndex": index[f.rule], "level": _SARIF_LEVEL[f.severity],
                        "message": {"text": f.message + (f" ({f.help})" if f.help else "")},
                        "locations": [location]})
    run: dict[str, object] = {
        "tool": {"driver": {"name": "pgmanager", "version": tool_version, "rules": descriptors}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if root_uri:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root_uri}}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...,col=...,title=rule::message``."""
    lines = []
    for f in findings:
        props = f"file={_gh_escape(f.file, True)},line={f.line},col={f.col}"
        if f.end_line:
            props += f",endLine={f.end_line}"
        props += f",title={_gh_escape(f.rule, True)}"
        msg = f.message + (f" ({f.help})" if f.help else "")
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {props}::{_gh_escape(msg)}")
    return "\n".join(lines)


def junit(findings: list[Finding], files: Iterable[str] = (), *, suite: str = "pgmanager",
          fail_on: Severity = Severity.WARNING) -> str:
    """JUnit XML: one test case per file; each finding at or above ``fail_on`` is a failure of it,
    lower ones are written to the case's system-out."""
    by_file: dict[str, list[Finding]] = {f: [] for f in files}
    for f in findings:
        by_file.setdefault(f.file, []).append(f)
    cases = []
    failures = 0
    for name in sorted(by_file):
        items = by_file[name]
        bad = [f for f in items if f.severity.rank >= fail_on.rank]
        body = []
        for f in bad:
            body.append(f"      <failure type={quoteattr(f.rule)} message={quoteattr(f.message)}>"
                        f"{escape(f'{f.location}: {f.severity.value}: {f.message} [{f.rule}]')}</failure>")
        notes = [f for f in items if f not in bad]
        if notes:
            body.append("      <system-out>" + escape(text(notes)) + "</system-out>")
        failures += bool(bad)
        inner = ("\n" + "\n".join(body) + "\n    ") if body else ""
        cases.append(f"    <testcase classname={quoteattr(suite)} name={quoteattr(name)}>{inner}</testcase>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f"<testsuites name={quoteattr(suite)} tests=\"{len(cases)}\" failures=\"{failures}\">\n"
            f"  <testsuite name={quoteattr(suite)} tests=\"{len(cases)}\" failures=\"{failures}\" errors=\"0\">\n"
            + "\n".join(cases) + ("\n" if cases else "") + "  </testsuite>\n</testsuites>")


def render(report: LintReport | AdvisorsReport, fmt: str, root: Path, *, suite: str) -> str:
    """A findings report (lint's, advisors') in one of :data:`FORMATS`; ``root``: SARIF's base URI."""
    if fmt == "json":
        return as_json(report)
    if fmt == "sarif":
        return sarif(report.findings, report.rules, tool_version=__version__, root_uri=root.resolve().as_uri() + "/")
    if fmt == "github":
        return github(report.findings)
    if fmt == "junit":
        return junit(report.findings, suite=suite, fail_on=report.fail_on)
    return text(report.findings)
