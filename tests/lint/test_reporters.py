"""Reporters, the CLI command and the style engine."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from pgmanager.cli import _reporters as reporters
from pgmanager.lint._style import StyleRunner, chunks
from pgmanager.models import FileKind, Finding, RuleInfo, Severity, SqlFile
from pgmanager.project import checksum

# The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json, OASIS) that GitHub code scanning
# reads, written out here because the official schema cannot be fetched: required properties,
# enums and types of sarifLog, run, tool.driver, reportingDescriptor, result, location and region.
_REGION = {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1},
                                            "startColumn": {"type": "integer", "minimum": 1},
                                            "endLine": {"type": "integer", "minimum": 1}}}
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"enum": ["2.1.0"]},
        "$schema": {"type": "string"},
        "runs": {"type": "array", "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "rules": {"type": "array", "items": {
                                       "type": "object", "required": ["id"],
                                       "properties": {"id": {"type": "string"}, "shortDescription": _MESSAGE,
                                                      "help": _MESSAGE, "helpUri": {"type": "string"},
                                                      "defaultConfiguration": {"type": "object", "properties": {
                                                          "level": {"enum": ["none", "note", "warning",
                                                                             "error"]}}}}}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": 0},
                        "level": {"enum": ["none", "note", "warning", "error"]}, "message": _MESSAGE,
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {"type": "object", "properties": {
                                "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"}}},
                                "region": _REGION}}}}}}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
            }}},
    },
}

FINDINGS = [
    Finding(rule="ban-drop-table", severity=Severity.WARNING, message="dropping, table: x", file="migrations/a.sql",
            line=3, col=1, end_line=4, help="don't"),
    Finding(rule="style/LT01", severity=Severity.INFO, message="spacing <&>", file="views/v.sql", line=1, col=9),
    Finding(rule="transaction-nesting", severity=Severity.ERROR, message="commit", file="migrations/a.sql", line=9),
]
RULES = [RuleInfo(name="ban-drop-table", severity=Severity.WARNING, category="safety", summary="Dropping a table.",
                  help="don't", docs="# doc", url="https://example.org/rules/ban-drop-table.html")]


def test_text_is_compiler_like() -> None:
    assert reporters.text(FINDINGS).splitlines()[0] == \
        "migrations/a.sql:3:1: warning: dropping, table: x [ban-drop-table]"


def test_sarif_is_valid_and_complete() -> None:
    log = json.loads(reporters.sarif(FINDINGS, RULES, tool_version="1.0", root_uri="file:///repo/"))
    jsonschema.validate(log, SARIF_SUBSET)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["ban-drop-table", "style/LT01", "transaction-nesting"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert [r["level"] for r in run["results"]] == ["warning", "note", "error"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 1, "endLine": 4}
    assert rules[0]["help"]["markdown"] == "# doc"
    assert rules[0]["helpUri"] == "https://example.org/rules/ban-drop-table.html" and "helpUri" not in rules[1]


def test_github_annotations_escape_properties() -> None:
    line = reporters.github(FINDINGS).splitlines()[0]
    assert line.startswith("::warning file=migrations/a.sql,line=3,col=1,endLine=4,title=ban-drop-table::")
    assert "dropping, table: x (don't)" in line


def test_junit_is_xml_with_one_case_per_file() -> None:
    root = ET.fromstring(reporters.junit(FINDINGS, ["views/other.sql"], fail_on=Severity.WARNING))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"migrations/a.sql", "views/v.sql", "views/other.sql"}
    assert len(cases["migrations/a.sql"].findall("failure")) == 2
    assert cases["views/v.sql"].find("failure") is None and "spacing <&>" in cases["views/v.sql"].findtext(
        "system-out")
    assert root.get("failures") == "1"


def _sql(tmp: Path, name: str, text: str) -> SqlFile:
    path = tmp / name
    path.write_text(text)
    return SqlFile(path=path, display=name, kind=FileKind.MIGRATION, text=text, checksum=checksum(text), name=name)


def test_style_engine_reports_and_notes_unparsable(tmp_path: Path) -> None:
    (tmp_path / ".sqlfluff").write_text((Path(__file__).parents[2] / ".sqlfluff").read_text())
    files = [_sql(tmp_path, "a.sql", "select a,b from t;\n"),
             _sql(tmp_path, "b.sql", "grant anon, authenticated to authenticator;\nselect  1;\n")]
    found = StyleRunner(tmp_path, workers=1)(files)
    assert any(f.rule == "style/LT01" and f.line == 1 for f in found["a.sql"])
    # one note for the statement sqlfluff cannot parse, and the statement after it is still checked
    assert [(f.rule, f.line) for f in found["b.sql"]] == [("style-unparsable", 1), ("style/LT01", 2)]
    assert found["b.sql"][0].severity == Severity.INFO


def test_style_engine_without_any_sqlfluff_config(tmp_path: Path) -> None:
    found = StyleRunner(tmp_path, workers=1)([_sql(tmp_path, "a.sql", "SELECT a,b FROM t;\n")])
    assert any(f.rule == "style/LT01" for f in found["a.sql"])


def test_big_files_are_cut_at_statement_boundaries(tmp_path: Path) -> None:
    text = "".join(f"-- n{i}\nselect {i};\n\n" for i in range(200))
    jobs = chunks(_sql(tmp_path, "big.sql", text), max_lines=100)
    assert len(jobs) > 3 and "".join(j.text for j in jobs) == text
    assert all(j.text.lstrip("\n").startswith("-- n") for j in jobs)
    assert jobs[1].line_offset == jobs[0].text.count("\n")


def test_cli_lint_formats_and_exit_codes(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("drop table public.users;\n")
    res = cli("lint", "--no-style", str(bad))
    assert res.code == 1 and "ban-drop-table" in res.out and ":1:1: warning:" in res.out
    res = cli("lint", "--no-style", "--fail-on", "error", str(bad))
    assert res.code == 0
    res = cli("lint", "--no-style", "--format", "sarif", str(bad))
    jsonschema.validate(json.loads(res.out), SARIF_SUBSET)
    res = cli("lint", "--no-style", "--format", "json", str(bad))
    assert json.loads(res.out)["findings"][0]["rule"] == "ban-drop-table"
    res = cli("lint", "--no-style", "--format", "sarif", str(bad), env={"PGMANAGER_DOCS_URL": "https://x.test/{rule}"})
    assert json.loads(res.out)["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"].startswith("https://x.test/")
    res = cli("lint", "--no-style", "--rule", "no-such-rule", str(bad))
    assert res.code == 2 and "--rule" in res.err
    res = cli("lint", "--no-style", str(tmp_path / "missing.sql"))
    assert res.code == 1 and "missing.sql" in res.err and "Traceback" not in res.err


def test_an_edit_in_a_big_file_re_lints_only_the_pieces_it_touched(tmp_path: Path) -> None:
    from pgmanager.lint import LintCache

    (tmp_path / ".sqlfluff").write_text((Path(__file__).parents[2] / ".sqlfluff").read_text())
    stmts = [f"-- statement {i}\nselect {i} as n{i};\n\n" for i in range(240)]
    cache = LintCache(tmp_path / "cache")
    first = StyleRunner(tmp_path, cache, workers=1, chunk_lines=80)
    first([_sql(tmp_path, "big.sql", "".join(stmts))])
    assert first.pieces_run > 4
    stmts[120] = "-- statement 120, edited\nselect  120 as n120;\n\n"
    edited = "".join(stmts)
    again = StyleRunner(tmp_path, cache, workers=1, chunk_lines=80)
    found = again([_sql(tmp_path, "big.sql", edited)])
    assert again.pieces_run <= 2
    fresh = StyleRunner(tmp_path, None, workers=1, chunk_lines=80)([_sql(tmp_path, "big.sql", edited)])
    assert found == fresh
    assert any(f.rule == "style/LT01" and f.line == edited.count("\n", 0, edited.index("select  120")) + 1
               for f in found["big.sql"])
