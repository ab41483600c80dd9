"""The fast paths give the slow paths' answers: a warm lint after an edit in the middle of the
history equals a cold one, and the style pass in a process pool equals the single-process pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pgmanager.api import linting
from pgmanager.config import load_settings
from pgmanager.layouts import load_project
from pgmanager.lint import Linter, LintOutcome
from pgmanager.lint import _engine as engine
from pgmanager.lint._style import StyleRunner
from pgmanager.models import LintReport

from ._harness import ROOT

MIDDLE = "migrations/20240101000500_add_updated_at_triggers.sql"  # after usage_metrics, before the newest
RETYPE = "alter table public.usage_metrics alter column event_type type varchar(80);\n"


def _lint(root: Path, cache: bool = True) -> LintReport:
    settings = load_settings(root)
    return linting.lint(settings, load_project(settings), style=False, cache=cache)


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.fixture
def history(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's project with a newest migration whose finding depends on an earlier one, linted
    once (cache filled), with a snapshot of the model every 3 files."""
    monkeypatch.setattr(engine, "SNAPSHOT_EVERY", 3)
    (project_copy / "migrations" / "20250101000000_retype.sql").write_text(RETYPE)
    first = _lint(project_copy)
    assert not any(f.rule == "changing-column-type" for f in first.findings)  # varchar(50) -> (80) is safe
    return project_copy


def test_warm_run_after_a_middle_edit_that_leaves_the_model_alone(history: Path) -> None:
    _append(history / MIDDLE, "\ncomment on table public.usage_metrics is 'events';\nselect 1;\n")
    warm = _lint(history)
    assert warm.findings == _lint(history, cache=False).findings
    # only the edited file was linted again, against a snapshot a file or two before it
    assert warm.cached_files == warm.files - 1
    assert warm.model_files_parsed < 3


def test_warm_run_after_a_middle_edit_that_changes_the_model(history: Path) -> None:
    _append(history / MIDDLE, "\nalter table public.usage_metrics alter column event_type type text;\n")
    warm = _lint(history)
    cold = _lint(history, cache=False)
    assert warm.findings == cold.findings
    # the newest migration was checked again against the new model: text -> varchar(80) rewrites
    assert [f.file for f in warm.findings if f.rule == "changing-column-type"] == \
        ["migrations/20250101000000_retype.sql"]
    assert warm.cached_files < warm.files - 1


def _style_outcome(root: Path, runner: StyleRunner) -> LintOutcome:
    settings = load_settings(root)
    return Linter(settings, load_project(settings), rules=[], style_runner=runner).run()


@pytest.fixture(scope="module")
def style_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three of the repository's migrations and one in capitals, with its .sqlfluff."""
    root = tmp_path_factory.mktemp("style")
    shutil.copy(ROOT / ".sqlfluff", root / ".sqlfluff")
    (root / "migrations").mkdir()
    for name in ("20240101000000_create_users.sql", "20240101000100_create_projects.sql",
                 "20240101000400_create_usage_metrics.sql"):
        shutil.copy(ROOT / "migrations" / name, root / "migrations" / name)
    (root / "migrations" / "20240501000000_shout.sql").write_text("SELECT a,b FROM public.t;\n")
    return root


def _settings(root: Path, lint: str = "") -> None:
    (root / "pyproject.toml").write_text(f'[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n{lint}')


def test_style_pool_gives_the_single_process_findings(style_project: Path) -> None:
    _settings(style_project)
    # small pieces, so that the files make enough jobs for the pool
    serial = _style_outcome(style_project, StyleRunner(style_project, workers=1, chunk_lines=12))
    assert any(f.rule.startswith("style/") for f in serial.findings)
    pooled = StyleRunner(style_project, workers=2, chunk_lines=12, start_method="spawn")
    assert _style_outcome(style_project, pooled).findings == serial.findings


def test_style_runs_only_the_codes_enabled(style_project: Path) -> None:
    _settings(style_project, '[tool.pgmanager.lint]\nselect = ["style/CP01", "security"]\n')
    runner = StyleRunner(style_project, workers=1)
    found = _style_outcome(style_project, runner).findings
    assert runner.selection.only == ("CP01",) and runner.linted == 4
    assert {f.rule for f in found if f.rule.startswith("style/")} == {"style/CP01"}  # SELECT, FROM
    _settings(style_project, '[tool.pgmanager.lint]\nexclude = ["style"]\n')
    runner = StyleRunner(style_project, workers=1)
    assert not any(f.rule.startswith("style") for f in _style_outcome(style_project, runner).findings)
    assert runner.selection.none and runner.linted == 0  # sqlfluff did not run
