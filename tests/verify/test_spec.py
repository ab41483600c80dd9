"""The spec loader: the project's own specs load, and every malformed spec names file:line (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgmanager.config import load_settings
from pgmanager.errors import InputError
from pgmanager.policies import load_specs

ROOT = Path(__file__).resolve().parents[2]

IDENTITIES = """\
users:
  alice: 00000000-0000-0000-0000-00000000000a
matrix:
  owner: alice
"""

# (spec text, line (or line:col) of the error, part of the message)
BAD_SPECS = [
    ("cases:\n  - name: x\n    as: alice\n    sql: select 1\n    count: [1\n", "6:1", "malformed YAML"),
    ("cases:\n  - name: x\n    as: mallory\n    sql: select 1\n    count: 1\n", 3, "unknown role or user 'mallory'"),
    ("cases:\n  - name: x\n    as: {role: authenticated, user: zed}\n    sql: select 1\n    empty: true\n", 3,
     "unknown user 'zed'"),
    ("cases:\n  - name: x\n    as: alice\n    sql: select 1\n", 2, "say exactly one of"),
    ("cases:\n  - name: x\n    as: alice\n    sql: select 1\n    count: 1\n    empty: true\n", 2,
     "say exactly one of"),
    ("cases:\n  - name: x\n    as: alice\n    sql: select 1\n    error: 4250\n", 5, "is not a SQLSTATE"),
    ("cases:\n  - name: x\n    as: alice\n    sql: select 1\n    count: -1\n", 5, "integer >= 0"),
    ("cases:\n  - name: x\n    as: alice\n    sql: select 1\n    count: 1\n    colour: red\n", 6,
     "unknown key 'colour'"),
    ("cases:\n  - as: alice\n    sql: select 1\n    count: 1\n", 2, "a case needs name:"),
    ("\n\ncases:\n  - name: x\n    as: alice\n    sql: select 1\n    count: 1\n    fixtures: [nope.sql]\n", 8,
     "fixture 'nope.sql' not found"),
    ("tabel: public.x\n", 1, "unknown key 'tabel'"),
    ("oracle: t.id = viewer.id\n", 1, "needs the table"),
    ("cases: {name: x}\n", 1, "cases must be a list"),
    ("- just\n- a list\n", 1, "a spec file must be a mapping"),
    ("world:\n  tables:\n    - table: t\n      columns: {id: serial}\n", 4, "unknown generator 'serial'"),
    ("matrix:\n  stranger: nobody\n", 2, "unknown user 'nobody'"),
    ("users:\n  anon: 00000000-0000-0000-0000-00000000000a\n", 2, "reserved"),
    ("users:\n  zed: not-a-uuid\n", 2, "is not a uuid"),
    ("intended_denials:\n  - {table: t, roles: [anon], commands: [truncate], reason: r}\n", 2, "unknown command"),
    ("equivalent_mutants:\n  - mutant: x\n", 2, "needs mutant:"),
]


def _project(tmp_path: Path, spec: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.pgmanager]\n")
    folder = tmp_path / "policies" / "tests"
    folder.mkdir(parents=True)
    (folder / "identities.yaml").write_text(IDENTITIES)
    (folder / "x.yaml").write_text(spec)
    return tmp_path


@pytest.mark.parametrize(("spec", "line", "fragment"), BAD_SPECS)
def test_a_malformed_spec_names_file_and_line(tmp_path: Path, spec: str, line: int | str, fragment: str) -> None:
    settings = load_settings(_project(tmp_path, spec))
    with pytest.raises(InputError) as info:
        load_specs(settings)
    assert str(info.value).startswith(f"policies/tests/x.yaml:{line}: ")
    assert fragment in str(info.value)


def test_the_projects_own_specs_load() -> None:
    suite = load_specs(load_settings(ROOT))
    assert set(suite.users) >= {"alice", "bob", "carol", "dave"}
    assert suite.matrix == {"owner": "alice", "member": "bob", "stranger": "carol"}
    assert len(suite.cases) >= 50
    assert set(suite.oracles) == {"public.users", "public.projects", "public.project_members", "public.files",
                                  "public.usage_metrics"}
    assert suite.world is not None and [t.table for t in suite.world.tables][:2] == ["auth.users", "public.users"]
    assert all(reason for reason in suite.equivalent.values())
    first = suite.cases[0]
    text = (ROOT / first.file).read_text().splitlines()
    assert text[first.line - 1].lstrip().startswith("- name:")  # the case's line is where it starts


def test_identities_and_expectations_are_read(tmp_path: Path) -> None:
    spec = ("cases:\n"
            "  - name: by name\n    as: alice\n    sql: select 1\n    rows: [[1, x], 2]\n    ordered: true\n"
            "  - name: by mapping\n    as: {role: anon, user: alice, claims: {email: a@b.c}}\n    sql: select 1\n"
            "    error: 42501\n"
            "  - name: matrix role\n    as: owner\n    sql: select 1\n    affected: 0\n    commit: true\n")
    suite = load_specs(load_settings(_project(tmp_path, spec)))
    by_name, by_mapping, owner = suite.cases
    assert by_name.identity.role == "authenticated" and by_name.identity.user_id.endswith("0a")
    assert by_name.expect.value == [(1, "x"), (2,)] and by_name.expect.ordered
    assert by_mapping.identity.payload() == {"role": "anon", "email": "a@b.c",
                                              "sub": "00000000-0000-0000-0000-00000000000a"}
    assert by_mapping.expect.kind == "error" and by_mapping.expect.value == "42501"
    assert owner.identity.user_id == by_name.identity.user_id and owner.commit
