"""`pgmanager verify` end to end: the project's own policies pass (mutants included); failures, bad
specs and SQL errors are reported per case with file:line; json and junit outputs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pgmanager.api import inputs, verifying
from pgmanager.errors import InputError
from pgmanager.models import VerifyReport

ROOT = Path(__file__).resolve().parents[2]


def test_the_projects_policies_verify_with_no_surviving_mutant() -> None:
    settings, project = inputs.load(ROOT)
    report = verifying.verify(settings, project, mutate=True, examples=10, mutant_examples=4)
    assert report.ok, [p.message for p in report.problems] + [c.message for c in report.cases if not c.passed]
    assert report.problems == [] and all(c.passed for c in report.cases) and len(report.cases) >= 50
    assert len(report.matrix) == 120 and all(f.passed for f in report.fuzz) and len(report.fuzz) == 5
    assert len(report.mutants) >= 60
    assert [m.id for m in report.mutants if m.survived] == []
    equivalent = [m for m in report.mutants if m.equivalent]
    # only widening a policy's TO role can be equivalent: the privileges no policy needs are revoked
    # (migrations/20240401000000_...), so PUBLIC adds no role that could use the policy
    assert all(m.mutation == "to-public" for m in equivalent) and len(equivalent) <= 17
    assert sum(m.killed for m in report.mutants) >= len(report.mutants) - 17
    assert any(m.killed_by and m.killed_by.startswith("spec ") for m in report.mutants)


def test_failures_are_reported_per_case_and_the_rest_still_runs(project_copy: Path, cli) -> None:
    assert (project_copy / "policies" / "tests" / "identities.yaml").is_file()  # project_copy has the specs
    (project_copy / "policies" / "tests" / "broken.yaml").write_text(
        "cases:\n"
        "  - name: wrong count\n    as: anon\n    sql: select * from public.projects\n    count: 3\n"
        "  - name: a sql error fails this case only\n    as: alice\n    sql: select * from no_such_table\n"
        "    count: 0\n"
        "  - name: fine\n    as: carol\n    sql: select name from public.projects where name = 'Carol Sandbox'\n"
        "    rows: [Carol Sandbox]\n"
        "  - name: a committed case runs on its own clone\n    as: alice\n    commit: true\n"
        "    sql: insert into public.projects (name, user_id) values ('kept', '00000000-0000-0000-0000-00000000000a')\n"
        "    affected: 1\n")
    (project_copy / "policies" / "tests" / "extra.sql").write_text(
        "insert into public.projects (name, user_id) values ('From fixture', '00000000-0000-0000-0000-00000000000a');")
    (project_copy / "policies" / "tests" / "with_fixture.yaml").write_text(
        "fixtures: [extra.sql]\ncases:\n  - name: the fixture's row is there\n    as: alice\n"
        "    sql: select count(*) from public.projects\n    rows: [3]\n")
    res = cli("verify", "--only", "specs", "--format", "json", cwd=project_copy)
    assert res.code == 1, res.err
    report = json.loads(res.out)
    assert VerifyReport.model_validate_json(res.out).failures == 2  # the JSON is the model itself
    by_name = {c["name"]: c for c in report["cases"]}
    assert len(by_name) >= 50  # every case ran
    wrong = by_name["wrong count"]
    assert (wrong["file"], wrong["line"], wrong["passed"]) == ("policies/tests/broken.yaml", 2, False)
    assert "expected 3 row(s), got 1" in wrong["message"]
    error = by_name["a sql error fails this case only"]
    assert error["sqlstate"] == "42P01" and not error["passed"]
    assert by_name["fine"]["passed"] and by_name["a committed case runs on its own clone"]["passed"]
    assert by_name["the fixture's row is there"]["passed"]  # and rolled back: alice still owns 2 elsewhere
    assert by_name["alice sees the projects she owns"]["passed"]
    assert sum(not c["passed"] for c in report["cases"]) == 2


def test_a_malformed_spec_is_one_line_with_file_and_line(project_copy: Path, cli) -> None:
    assert (project_copy / "policies" / "tests" / "identities.yaml").is_file()  # project_copy has the specs
    (project_copy / "policies" / "tests" / "bad.yaml").write_text("cases:\n  - name: x\n    as: mallory\n"
                                                                 "    sql: select 1\n    empty: true\n")
    res = cli("verify", cwd=project_copy)
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        "error: policies/tests/bad.yaml:3: unknown role or user 'mallory' (known: anon, authenticated, "
        "service_role, alice, bob, carol, dave, eve)"]
    assert "Traceback" not in res.err


def test_text_output_and_a_leaky_policy_fail_with_exit_1(project_copy: Path, cli) -> None:
    assert (project_copy / "policies" / "tests" / "identities.yaml").is_file()  # project_copy has the specs
    policy = project_copy / "policies" / "projects.sql"
    policy.write_text(policy.read_text().replace("or private.is_project_member(id)", "or true"))
    res = cli("verify", "--only", "matrix", "--only", "fuzz", "--examples", "5", cwd=project_copy)
    assert res.code == 1
    assert "policies/projects.sql: error: public.projects: the stranger (carol) sees" in res.out
    assert "fuzz public.projects: public.projects as user" in res.out and "RLS shows" in res.out
    assert "minimal reproduction:" in res.out
    assert "public.usage_metrics" in res.out and "denied 42501" in res.out  # the matrix table
    assert res.out.rstrip().splitlines()[-1].startswith("failed: ")


def test_junit_has_one_testcase_per_cell_and_case(tmp_path: Path, cli) -> None:
    report = tmp_path / "verify.xml"
    res = cli("verify", "--format", "junit", "-o", str(report), "--only", "matrix", "--only", "specs")
    assert res.code == 0, res.out + res.err
    root = ET.parse(report).getroot()
    suites = {s.get("name"): s for s in root}
    assert len(suites["coverage matrix"]) == 120 and suites["coverage matrix"].get("failures") == "0"
    assert len(suites["specs"]) >= 50
    assert int(root.get("tests", "0")) == sum(len(s) for s in root)
    assert "report written to" in res.err


def test_an_unknown_role_is_a_spec_error_naming_its_line(project_copy: Path) -> None:
    (project_copy / "policies" / "tests" / "role.yaml").write_text(
        "cases:\n  - name: ok\n    as: anon\n    sql: select 1\n    ok: true\n"
        "  - name: wizard\n    as: {role: wizard}\n    sql: select 1\n    ok: true\n")
    settings, project = inputs.load(project_copy)
    with pytest.raises(InputError) as info:
        verifying.verify(settings, project, parts=("specs",))
    assert str(info.value) == "policies/tests/role.yaml:6: case 'wizard': role 'wizard' does not exist on the server"


def test_without_its_specs_a_policys_mutants_survive_and_fail_the_run(project_copy: Path) -> None:
    (project_copy / "policies" / "tests" / "users.yaml").unlink()
    settings, project = inputs.load(project_copy)
    report = verifying.verify(settings, project, parts=("specs", "fuzz"), mutate=True, examples=5, mutant_examples=3)
    survivors = {m.id for m in report.mutants if m.survived}
    assert "policies/users.sql: Users can create their own profile: check-true" in survivors
    assert "policies/users.sql: Users can update their own profile: using-true" in survivors
    assert all(m.file == "policies/users.sql" for m in report.mutants if m.survived)
    # users.yaml also held the table's oracle, so nothing guards these policies any more; every other
    # table's mutants are still killed
    assert not report.ok and report.failures == len(survivors)
