"""The lint engine: run the selected rules over a project, file by file in apply order.

Each file is parsed once (``parse_file`` caches by checksum). The schema model is replayed as the
files go by, so a rule looking at a migration sees the schema as it stands before that migration.
Findings are cached on disk per file (see ``_cache``), so an unchanged file is not linted again.

A file's findings depend on its own text and on the model before it, so they are keyed by the file's
checksum and by the chain of *model signatures* of the files before it: what replaying each file does
to the model (its tracked statements and their positions). After an edit, the changed file is linted
against a snapshot of the model before it (one every ``SNAPSHOT_EVERY`` files); the files after it
are linted again only when the edit reached the model (a comment, a grant or DML does not). The
project rules read the final model and the statements at its positions, so they share that key.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Settings
from ..models import FileKind, Finding, Severity, SqlFile
from ..parse import SqlDocument, parse_file
from ..project import Project
from ..schema import Replay, SchemaModel, applied_files, select_files
from ._base import FileContext, Fix, ProjectContext, Rule, Violation, registry
from ._cache import LintCache, SnapshotStore
from ._config import LintConfig, RuleSettings
from ._ignores import UNUSED_IGNORE, Ignore, apply_ignores, ignores_of

StyleRunner = Callable[[list[SqlFile]], dict[str, list[Finding]]]
_PARSE_PROBLEMS_REPLACED = {"transaction-control"}  # said better by transaction-nesting / ban-uncommitted-transaction
SNAPSHOT_EVERY = 16
"""Files between two snapshots of the schema model (a full model pickles to about 1 kB per table)."""
NOT_LINTED = frozenset({FileKind.AUTH_EMULATION})
"""Kinds of file that are ours, not the user's SQL: applied to the schema model, never reported on."""


@dataclass
class LintOutcome:
    """What the engine found: findings (ignores applied), the fixes offered, and how it went."""

    findings: list[Finding] = field(default_factory=list)
    fixes: list[tuple[Finding, Fix]] = field(default_factory=list)
    files: list[SqlFile] = field(default_factory=list)
    statements: int = 0
    rules: list[str] = field(default_factory=list)
    cached_files: int = 0
    styled_files: int = 0
    parsed_for_model: int = 0
    """Files parsed only to rebuild the schema model (the rest came from a snapshot or was not needed)."""
    timings_ms: dict[str, float] = field(default_factory=dict)


def ruleset_version() -> str:
    """Changes whenever a rule or the engine changes: the code of pgmanager.lint, schema and parse."""
    h = hashlib.sha256(__version__.encode())
    base = Path(__file__).resolve().parent
    for path in sorted([*base.rglob("*.py"), *(base.parent / "schema").glob("*.py"),
                        *(base.parent / "parse").glob("*.py")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Linter:
    """Runs the rules of a config over a project (and style, when a runner is given)."""

    def __init__(self, settings: Settings, project: Project, config: LintConfig | None = None, *,
                 rules: Iterable[str] | None = None, cache: LintCache | None = None,
                 style_runner: StyleRunner | None = None, collect_fixes: bool = False) -> None:
        self.settings = settings
        self.project = project
        self.config = config or LintConfig.from_settings(settings.lint)
        self.rule_settings = RuleSettings.of(settings, self.config)
        every = registry()
        wanted = set(rules) if rules is not None else None
        self.rules: list[Rule] = [cls() for name, cls in every.items()
                                  if (wanted is None or name in wanted) and self.config.enabled(cls)]
        self.active = {r.name for r in self.rules}
        if self.config.enabled(UNUSED_IGNORE) and (wanted is None or UNUSED_IGNORE in wanted):
            self.active.add(UNUSED_IGNORE)
        self.cache = cache
        self.style_runner = style_runner if self.config.style else None
        configure = getattr(self.style_runner, "configure", None)
        if callable(configure):
            configure(self.config)  # sqlfluff runs only the style codes this config enables
        if self.style_runner is not None:
            self.active.add("style")
        self.collect_fixes = collect_fixes
        rules_ran = sorted(self.active - {"style"})  # the AST findings do not depend on the style engine
        self.version = f"{ruleset_version()}:{self.rule_settings.fingerprint()}:{','.join(rules_ran)}"

    # ------------------------------------------------------------------ helpers

    def finding(self, rule: Rule, v: Violation, doc: SqlDocument, fallback: object = None) -> Finding:
        stmt = v.stmt if v.stmt is not None else fallback
        end_line = None
        if v.offset is not None:
            line, col = doc.position(v.offset)
        elif v.line is not None:
            line, col = v.line, v.col or 1
        elif stmt is not None:
            line, col, end_line = stmt.line, stmt.col, stmt.end_line  # type: ignore[attr-defined]
        else:
            line, col = 1, 1
        return Finding(rule=rule.name, severity=self.config.severity_of(rule.name, rule.severity),
                       message=v.message, file=doc.file.display, line=line, col=col, end_line=end_line,
                       help=rule.help)

    def _file_rules(self, kind: FileKind) -> list[Rule]:
        return [r for r in self.rules if kind in r.kinds]

    def lint_document(self, doc: SqlDocument, schema: SchemaModel) -> tuple[list[Finding], list[tuple[Finding, Fix]]]:
        """Findings of the per-file rules on one parsed file, given the schema before it."""
        found: list[Finding] = []
        fixes: list[tuple[Finding, Fix]] = []
        if doc.error is not None:
            return [doc.error], fixes
        found.extend(p for p in doc.problems if p.rule not in _PARSE_PROBLEMS_REPLACED)
        ctx = FileContext(doc=doc, schema=schema, settings=self.rule_settings)
        for rule in self._file_rules(doc.file.kind):
            for v in rule.check_file(ctx):
                f = self.finding(rule, v, doc, ctx.current)
                found.append(f)
                if v.fix is not None:
                    fixes.append((f, v.fix))
            ctx.current = None
        return found, fixes

    # ------------------------------------------------------------------ the run

    def run(self, paths: Iterable[Path] | None = None) -> LintOutcome:
        t0 = time.perf_counter()
        out = LintOutcome(rules=sorted(self.active))
        targets, problems = select_files(self.project, paths)
        targets = [f for f in targets if f.kind not in NOT_LINTED]
        out.files = targets
        target_paths = {f.path for f in targets}
        applied = applied_files(self.project, targets)

        per_file: dict[str, list[Finding]] = {}
        ignores: dict[str, list[Ignore]] = {}
        # chains[i] keys the schema model before applied[i]: the files before it, each by the statements
        # the model replays (an edit of comments, grants or DML leaves the later files' keys alone)
        chain = hashlib.sha256(self.version.encode())
        chains = []
        for f in applied:
            chains.append(chain.hexdigest())
            chain.update(f"{f.display}:{self._model_signature(f)}\n".encode())
        chains.append(chain.hexdigest())
        # Snapshots of the model every SNAPSHOT_EVERY files, before the newest migration and before the
        # first repeatable: a warm run replays at most SNAPSHOT_EVERY - 1 files to reach the model
        # before any changed file, and none after it unless the change reached the model. (Not at the
        # end: the project rules' findings are cached under the same key.)
        migrations = [i for i, f in enumerate(applied) if f.kind == FileKind.MIGRATION]
        points = set(range(SNAPSHOT_EVERY, len(applied), SNAPSHOT_EVERY))
        points |= {p for p in ((migrations[-1], migrations[-1] + 1) if migrations else ()) if p < len(applied)}
        store = SnapshotStore(self.cache.folder) if self.cache is not None else None
        replay = Replay(applied, chains, store, points)

        def lint_one(f: SqlFile, key: str, position: int) -> None:
            entry = self.cache.get(key) if self.cache is not None and not self.collect_fixes else None
            if entry is not None:
                per_file[f.display] = entry.findings
                ignores[f.display] = entry.ignores
                out.cached_files += 1
                out.statements += entry.statements
                return
            model = replay.before(position)
            doc = parse_file(f)
            found, fixes = self.lint_document(doc, model)
            per_file[f.display] = found
            ignores[f.display] = ignores_of(doc)
            out.fixes.extend(fixes)
            out.statements += len(doc.statements)
            if self.cache is not None:
                self.cache.put(key, found, ignores[f.display], len(doc.statements))

        for i, f in enumerate(applied):
            if f.path in target_paths:
                lint_one(f, self.cache.key("file", chains[i], f.display, f.kind, f.checksum) if self.cache else "", i)
        t1 = time.perf_counter()
        out.timings_ms["rules"] = round((t1 - t0) * 1000, 3)

        final_key, end = chains[-1], len(applied)
        for f in targets:  # rollbacks and the seed: linted against the final schema, never applied
            if f.display not in per_file:
                key = self.cache.key("file", final_key, f.display, f.kind, f.checksum) if self.cache else ""
                lint_one(f, key, end)

        project_rules = [r for r in self.rules if r.is_project_rule()]
        if project_rules:  # they read the final model and the statements at its positions (tracked ones)
            key = self.cache.key("project", final_key) if self.cache is not None else ""
            entry = self.cache.get(key) if self.cache is not None and not self.collect_fixes else None
            if entry is not None:
                project_found = entry.findings
            else:
                model = replay.before(end)
                project_found = self.run_project_rules(project_rules, applied, model, out.fixes)
                if self.cache is not None:
                    self.cache.put(key, project_found, [], 0)
            for pf in project_found:
                if pf.file in per_file:
                    per_file[pf.file].append(pf)
        t2 = time.perf_counter()
        out.timings_ms["project_rules"] = round((t2 - t1) * 1000, 3)

        if self.style_runner is not None:
            styled = [f for f in targets if f.display in per_file]
            style_found = self.style_runner(styled)
            out.styled_files = len(styled)
            for display, found in style_found.items():
                for x in found:  # select/exclude and severity overrides apply to style codes too
                    if self.config.enabled(x.rule):
                        sev = self.config.severity_of(x.rule, x.severity)
                        per_file.setdefault(display, []).append(
                            x if sev == x.severity else x.model_copy(update={"severity": sev}))
        out.timings_ms["style"] = round((time.perf_counter() - t2) * 1000, 3)

        findings = list(problems)
        for f in targets:
            found = per_file.get(f.display, [])
            findings.extend(apply_ignores(found, ignores.get(f.display, []), self.active, f.display))
        if self.collect_fixes:
            kept = {id(x) for x in findings}
            out.fixes = [(f, fx) for f, fx in out.fixes if id(f) in kept]
        findings.sort(key=lambda x: (x.file, x.line, x.col, x.rule))
        out.findings = findings
        if self.cache is not None:
            self.cache.save()
        if store is not None:
            store.prune({chains[j] for j in points})
        out.parsed_for_model = replay.parsed
        out.timings_ms["total"] = round((time.perf_counter() - t0) * 1000, 3)
        return out

    def _model_signature(self, f: SqlFile) -> str:
        """A hash of what replaying the file does to the schema model: the statements it tracks, with
        their positions (the model records where objects were defined; project rules report there), and
        any other statement starting on one of their lines. Cached by checksum: parsed once."""
        key = self.cache.key("model-signature", f.display, f.checksum) if self.cache is not None else ""
        known = self.cache.get_raw(key) if self.cache is not None else None
        if isinstance(known, str):
            return known
        doc = parse_file(f)
        h = hashlib.sha256(b"error" if doc.error is not None else b"")
        lines = {s.line for s in doc.statements if SchemaModel.tracks(s)}
        for stmt in doc.statements:
            if stmt.line in lines:
                h.update(f"{stmt.line}:{stmt.col}:{stmt.end_line}\x1f{stmt.text}\x1e".encode())
        sig = h.hexdigest()
        if self.cache is not None:
            self.cache.put_raw(key, sig)
        return sig

    def run_project_rules(self, rules: list[Rule], applied: list[SqlFile], model: SchemaModel,
                          fixes: list[tuple[Finding, Fix]]) -> list[Finding]:
        docs = LazyDocs(applied)
        ctx = ProjectContext(docs=docs, schema=model, exposed_schemas=list(self.rule_settings.exposed_schemas),
                             settings=self.rule_settings)
        found: list[Finding] = []
        for rule in rules:
            for file, v in rule.check_project(ctx):
                doc = parse_file(file)  # cached by checksum: parsed once per run at most
                f = self.finding(rule, v, doc)
                found.append(f)
                if v.fix is not None:
                    fixes.append((f, v.fix))
        return found


class LazyDocs(list[SqlDocument]):
    """The project's documents, parsed when a project rule first reads them (most rules only read the
    schema model, which may come from a snapshot)."""

    def __init__(self, files: list[SqlFile]) -> None:
        super().__init__()
        self._files: list[SqlFile] | None = files

    def _load(self) -> None:
        if self._files is not None:
            files, self._files = self._files, None
            super().extend(parse_file(f) for f in files)

    def find(self, display: str) -> SqlDocument | None:
        """One file's document, without parsing the others."""
        if self._files is None:
            return next((d for d in super().__iter__() if d.file.display == display), None)
        f = next((f for f in self._files if f.display == display), None)
        return parse_file(f) if f is not None else None

    def __iter__(self) -> Iterator[SqlDocument]:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def __getitem__(self, i: Any) -> Any:
        self._load()
        return super().__getitem__(i)

    def __bool__(self) -> bool:
        return len(self) > 0


def worst(findings: Iterable[Finding]) -> Severity | None:
    ranked = sorted((f.severity for f in findings), key=lambda s: s.rank)
    return ranked[-1] if ranked else None
