"""api.lint: the AST rules and the style engine over the project, with --fix."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError
from ..layouts import load_project
from ..lint import Fix, LintCache, LintConfig, Linter, LintOutcome, registry
from ..lint._fix import apply_fixes
from ..lint._style import StyleRunner
from ..models import LintReport, RuleInfo, Severity
from ..parse import parse_file
from ..project import Project, checksum

CACHE_DIR = Path(".pgmanager") / "cache" / "lint"
FIX_PASSES = 3


def lint_rules(config: LintConfig | None = None) -> list[RuleInfo]:
    """Metadata of every registered rule (for docs and SARIF)."""
    return [RuleInfo(name=r.name, severity=r.severity, category=r.category.value, summary=r.summary(),
                     help=r.help, docs=r.docs(), url=config.url(r.name) if config else None)
            for r in registry().values()]


def lint(settings: Settings, project: Project, paths: Iterable[Path] | None = None, *, fix: bool = False,
         style: bool = True, cache: bool = True, rules: Iterable[str] | None = None,
         fail_on: Severity | str | None = None) -> LintReport:
    """Lint the project (or the files under ``paths``) with the AST rules and, unless ``style`` is
    False, sqlfluff. ``fix`` rewrites files with the rules' mechanical fixes first, then reports
    what remains. Findings are cached under ``.pgmanager/cache/lint`` unless ``cache`` is False."""
    t0 = time.perf_counter()
    config = LintConfig.from_settings(settings.lint)
    threshold = Severity(fail_on) if fail_on is not None else config.fail_on
    path_list = list(paths) if paths is not None else None
    rule_list = list(rules) if rules is not None else None
    unknown = sorted(set(rule_list or ()) - set(registry()))
    if unknown:
        raise ConfigError(f"unknown rule {unknown[0]!r} (pgmanager lint --help lists where the rules are documented)",
                          where="--rule")
    fixed: set[str] = set()
    applied = 0
    if fix:
        for _ in range(FIX_PASSES):  # a fix can enable another (CONCURRENTLY, then IF NOT EXISTS)
            outcome = Linter(settings, project, config, rules=rule_list, collect_fixes=True).run(path_list)
            n = _write_fixes(outcome)
            if not n:
                break
            applied += n
            fixed |= {f.file for f, _ in outcome.fixes}
            project = load_project(settings)
    store = LintCache(settings.root / CACHE_DIR) if cache else None
    runner = StyleRunner(settings.root, store) if style and config.style else None
    linter = Linter(settings, project, config, rules=rule_list, cache=store, style_runner=runner)
    if store is not None:
        store.version = linter.version
    outcome = linter.run(path_list)
    findings = outcome.findings
    timings = dict(outcome.timings_ms)
    timings["total"] = round((time.perf_counter() - t0) * 1000, 3)
    infos = [i for i in lint_rules(config) if i.name in linter.active]
    return LintReport(
        ok=not any(f.severity.rank >= threshold.rank for f in findings), fail_on=threshold,
        files=len(outcome.files), statements=outcome.statements, findings=findings, rules=infos,
        fixed_files=sorted(fixed), fixes_applied=applied, cached_files=outcome.cached_files,
        styled_files=runner.linted if runner is not None else 0, model_files_parsed=outcome.parsed_for_model,
        timings_ms=timings)


def _write_fixes(outcome: LintOutcome) -> int:
    """Apply fixes file by file; a file whose fixed text no longer parses is left as it was."""
    files = {f.display: f for f in outcome.files}
    by_file: dict[str, list[Fix]] = {}
    for finding, fx in outcome.fixes:
        if finding.file in files:
            by_file.setdefault(finding.file, []).append(fx)
    count = 0
    for display, fxs in by_file.items():
        sql = files[display]
        new = apply_fixes(sql.text, fxs)
        if new == sql.text:
            continue
        probe = sql.model_copy(update={"text": new, "checksum": checksum(new)})
        if parse_file(probe).error is not None:
            continue  # never write a file that does not parse
        sql.path.write_text(new, encoding="utf-8")
        count += len(fxs)
    return count
