"""The pre-commit hook (.pre-commit-hooks.yaml) run by pre-commit itself on a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
create table public.notes (
    id bigint generated always as identity primary key,
    body text not null
);

alter table public.notes enable row level security;
"""
BAD = "create tabel public.oops (id int);\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args], cwd=repo,
                   check=True, capture_output=True)


def test_hook_fails_on_the_bad_file_and_passes_the_good_one(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to try the pre-commit hook")
    repo = tmp_path / "repo"
    (repo / "migrations").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')
    # our hook definition as `repo: local`, with `language: system` so that it runs this checkout's pgmanager
    # (language: python would pip install it into a new environment)
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "pgmanager-lint" and hook["entry"] == "pgmanager lint"
    config = {"repos": [{"repo": "local", "hooks": [{**hook, "language": "system"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    good = repo / "migrations" / "20240101000000_notes.sql"
    good.write_text(GOOD)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PATH": f"{Path(sys.executable).parent}:"
           + os.environ.get("PATH", "")}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run"], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=300, check=False)

    ok = run()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "pgmanager lint" in ok.stdout and "Passed" in ok.stdout

    bad = repo / "migrations" / "20240102000000_oops.sql"
    bad.write_text(BAD)
    _git(repo, "add", str(bad))
    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout and "20240102000000_oops.sql:1:" in failed.stdout
