"""Input `verify` accepted but should not (issue 8 part 4): binary or malformed specs are one line naming
the file and position; exposed_schemas naming schemas that are not there, or a run that checks nothing,
fail instead of reporting "ok". Every case runs the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

SPECS = Path("policies") / "tests"


def one_error_line(res, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    assert res.code == code, (res.out, res.err)
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.err
    assert "Traceback" not in res.err + res.out and "codec" not in res.err
    return lines[0]


@pytest.mark.parametrize(("data", "expected"), [
    (b"cases:\n  - name: caf\xe9\n", "error: policies/tests/binary.yaml:2:14: not valid UTF-8: byte 0xe9 at byte "
                                     "offset 20 (is the spec a binary file?)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "error: policies/tests/binary.yaml:1:1: not valid UTF-8: byte 0x89 at "
                                            "byte offset 0 (is the spec a binary file?)"),
    (b"cases:\n  - name: a\x00b\n", "error: policies/tests/binary.yaml:2:12: NUL byte (0x00) at byte offset 18 "
                                   "(is the spec a binary file?)"),
    (b"cases:\n  - name: bell\x07\n", "error: policies/tests/binary.yaml:2:15: malformed YAML: character U+0007 is "
                                     "not allowed (byte offset 21)"),
])
def test_a_binary_spec_is_one_line_with_file_and_byte_offset(project_copy: Path, cli, data: bytes,
                                                             expected: str) -> None:
    (project_copy / SPECS / "binary.yaml").write_bytes(data)
    assert one_error_line(cli("verify", cwd=project_copy)) == expected


def test_a_binary_fixture_is_one_line_too(project_copy: Path, cli) -> None:
    (project_copy / SPECS / "blob.sql").write_bytes(b"insert into t values ('\xff');\n")
    (project_copy / SPECS / "with_blob.yaml").write_text(
        "fixtures: [blob.sql]\ncases:\n  - name: x\n    as: anon\n    sql: select 1\n    rows: [1]\n")
    assert one_error_line(cli("verify", cwd=project_copy)) == (
        "error: policies/tests/blob.sql:1:24: not valid UTF-8: byte 0xff at byte offset 23 (is the fixture a binary "
        "file?)")


def test_a_yaml_syntax_error_names_file_line_and_column(project_copy: Path, cli) -> None:
    (project_copy / SPECS / "broken.yaml").write_text("cases:\n  - name: x\n    as: anon: admin\n")
    assert one_error_line(cli("verify", cwd=project_copy)) == (
        "error: policies/tests/broken.yaml:3:13: malformed YAML: mapping values are not allowed here")


def _exposed(project: Path, value: str) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(re.sub(r"(?m)^exposed_schemas = .*$", f"exposed_schemas = {value}", pyproject.read_text()))


def test_an_exposed_schema_that_does_not_exist_fails_verify(project_copy: Path, cli) -> None:
    _exposed(project_copy, '["public", "api"]')
    res = cli("verify", "--only", "matrix", cwd=project_copy)
    assert res.code == 1, res.out + res.err
    assert ("tool.pgmanager.exposed_schemas: error: schema(s) api do not exist in the built database, so nothing "
            "in them was verified: fix exposed_schemas or create the schema in a migration [missing-schema]") in res.out
    assert "public.projects" in res.out  # public was still verified
    assert res.out.rstrip().splitlines()[-1].startswith("failed: 1 failure(s)")


def test_only_missing_schemas_checks_nothing_and_fails(project_copy: Path, cli) -> None:
    res = cli("verify", "--only", "matrix", "--format", "json", cwd=project_copy,
              env={"PGMANAGER_EXPOSED_SCHEMAS": "api,graphql_public"})
    assert res.code == 1, res.out + res.err
    report = json.loads(res.out)
    assert report["ok"] is False and report["matrix"] == []
    assert [(p["rule"], p["file"]) for p in report["problems"]] == [("missing-schema", "PGMANAGER_EXPOSED_SCHEMAS")]
    assert "schema(s) api, graphql_public do not exist" in report["problems"][0]["message"]


def test_an_exposed_schema_without_tables_checks_nothing_and_fails(project_copy: Path, cli) -> None:
    (project_copy / "migrations" / "20990101000000_empty_api.sql").write_text("create schema empty_api;\n")
    _exposed(project_copy, '["empty_api"]')
    res = cli("verify", "--only", "matrix", cwd=project_copy)
    assert res.code == 1, res.out + res.err
    assert ("tool.pgmanager.exposed_schemas: error: the coverage matrix measured no table: the exposed schema(s) "
            "empty_api hold no table or view [nothing-verified]") in res.out
    assert res.out.rstrip().splitlines()[-1].startswith("failed: 1 failure(s)")
    assert not any(line.startswith("ok") for line in res.out.splitlines())


def test_a_run_with_nothing_to_check_fails(project_copy: Path, cli) -> None:
    for spec in (project_copy / SPECS).glob("*.yaml"):
        spec.unlink()
    res = cli("verify", "--only", "specs", cwd=project_copy)
    assert res.code == 1, res.out + res.err
    assert "verify: error: nothing was verified (no spec case in policies/tests) [nothing-verified]" in res.out
