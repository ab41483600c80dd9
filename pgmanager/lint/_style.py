"""The style engine: sqlfluff (postgres dialect, configured by the project's .sqlfluff).

sqlfluff is slow (it parses SQL in pure Python), so this adapter lints only files whose findings
are not cached, in worker processes, and cuts big files at statement boundaries into chunks that
the workers share. Where sqlfluff cannot parse valid PostgreSQL, the file gets one note
(``style-unparsable``); the AST rules' findings are never affected.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import Finding, Severity, SqlFile
from ..parse import parse_file
from ._cache import LintCache

PREFIX = "style/"
UNPARSABLE = "style-unparsable"
CHUNK_LINES = 300
WORKERS = 2
_CONFIG_FILES = (".sqlfluff", "setup.cfg", "tox.ini", "pyproject.toml")


@dataclass(frozen=True)
class Job:
    display: str
    text: str
    line_offset: int
    first: bool
    last: bool

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def style_version(root: Path) -> str:
    """sqlfluff's version and the project's sqlfluff configuration: a change re-lints every file."""
    from importlib.metadata import version

    h = hashlib.sha256(version("sqlfluff").encode())
    for name in _CONFIG_FILES:
        path = root / name
        if path.is_file():
            text = path.read_text(errors="replace")
            if name == ".sqlfluff" or "sqlfluff" in text:
                h.update(text.encode())
    return h.hexdigest()[:16]


def chunks(f: SqlFile, max_lines: int = CHUNK_LINES) -> list[Job]:
    """The file cut at statement boundaries (line starts) into pieces of about ``max_lines``."""
    text = f.text
    doc = parse_file(f)
    if text.count("\n") <= max_lines or doc.error is not None or len(doc.statements) < 2:
        return [Job(f.display, text, 0, True, True)]
    cuts = [0]
    last_line = 1
    for stmt in doc.statements[:-1]:
        if stmt.end_line - last_line >= max_lines:
            nl = text.find("\n", stmt.end)
            if nl != -1 and nl + 1 < len(text):
                cuts.append(nl + 1)
                last_line = stmt.end_line + 1
    cuts.append(len(text))
    jobs: list[Job] = []
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        if a < b:
            jobs.append(Job(f.display, text[a:b], text.count("\n", 0, a), i == 0, b == len(text)))
    return jobs


_LINTER: Any = None


def _linter(root: str) -> Any:
    global _LINTER
    if _LINTER is None:
        from sqlfluff.core import FluffConfig, Linter

        _LINTER = Linter(config=FluffConfig.from_path(root))
    return _LINTER


def _lint_jobs(root: str, jobs: list[Job]) -> list[list[dict[str, Any]]]:
    """Worker: sqlfluff's violations of each job, as plain dicts (positions in the whole file)."""
    out: list[list[dict[str, Any]]] = []
    for job in jobs:
        found: list[dict[str, Any]] = []
        try:
            linted = _linter(root).lint_string(job.text, fname=str(Path(root) / job.display))
            violations = linted.get_violations()
        except Exception as exc:  # sqlfluff crashed on this text: a note, never a crash of ours
            out.append([{"code": "PRS", "desc": f"sqlfluff failed: {type(exc).__name__}: {exc}", "line": 1,
                         "col": 1}])
            continue
        for v in violations:
            code = v.rule_code()
            if (code == "LT12" and not job.last) or (code == "LT13" and not job.first):
                continue  # artefacts of cutting the file
            found.append({"code": code, "desc": v.desc(), "line": (v.line_no or 1) + job.line_offset,
                          "col": v.line_pos or 1, "name": getattr(v, "rule_name", lambda: "")()})
        out.append(found)
    return out


def _to_findings(display: str, raw: Iterable[dict[str, Any]]) -> list[Finding]:
    found: list[Finding] = []
    unparsable: dict[str, Any] | None = None
    for r in raw:
        if r["code"] in ("PRS", "TMP", "LXR"):
            if unparsable is None or r["line"] < unparsable["line"]:
                unparsable = r
            continue
        name = f" [{r['name']}]" if r.get("name") else ""
        found.append(Finding(rule=PREFIX + r["code"], severity=Severity.WARNING, message=r["desc"] + name,
                             file=display, line=r["line"], col=r["col"],
                             help="see https://docs.sqlfluff.com/en/stable/reference/rules.html"))
    if unparsable is not None:
        desc = str(unparsable["desc"]).split("\n")[0][:160]
        found.append(Finding(rule=UNPARSABLE, severity=Severity.INFO, file=display, line=unparsable["line"],
                             col=unparsable["col"],
                             message=f"sqlfluff cannot parse this valid PostgreSQL, style is not checked from "
                                     f"here on: {desc}",
                             help="the AST rules still checked the whole file; report the construct to sqlfluff"))
    return sorted(found, key=lambda x: (x.line, x.col, x.rule))


class StyleRunner:
    """Runs sqlfluff on the files whose style findings are not cached."""

    def __init__(self, root: Path, cache: LintCache | None = None, workers: int = WORKERS,
                 chunk_lines: int = CHUNK_LINES) -> None:
        self.root = root
        self.cache = cache
        self.workers = workers
        self.chunk_lines = chunk_lines
        self.version = style_version(root)
        self.linted = 0

    def __call__(self, files: list[SqlFile]) -> dict[str, list[Finding]]:
        result: dict[str, list[Finding]] = {}
        todo: list[SqlFile] = []
        keys: dict[str, str] = {}
        for f in files:
            if not f.text.strip():
                continue  # an empty file: the AST side reports it
            if self.cache is not None:
                keys[f.display] = self.cache.key("style", self.version, f.display, f.checksum)
                entry = self.cache.get(keys[f.display])
                if entry is not None:
                    result[f.display] = entry.findings
                    continue
            todo.append(f)
        self.linted = len(todo)
        raw = self._run([job for f in todo for job in chunks(f, self.chunk_lines)])
        for f in todo:
            found = _to_findings(f.display, raw.get(f.display, []))
            if parse_file(f).error is not None:  # pglast already reported the syntax error
                found = [x for x in found if x.rule != UNPARSABLE]
            result[f.display] = found
            if self.cache is not None:
                self.cache.put(keys[f.display], found, [], 0)
        return result

    def _run(self, jobs: list[Job]) -> dict[str, list[dict[str, Any]]]:
        raw: dict[str, list[dict[str, Any]]] = {}
        if not jobs:
            return raw
        root = str(self.root)
        total = sum(j.lines for j in jobs)
        if self.workers < 2 or len(jobs) < 2 or total < 2 * self.chunk_lines:
            results = _lint_jobs(root, jobs)
            for job, found in zip(jobs, results, strict=True):
                raw.setdefault(job.display, []).extend(found)
            return raw
        batches = _balance(jobs, self.workers * 4)
        _linter(root)  # build the linter once here: forked workers inherit it
        ctx = multiprocessing.get_context("fork") if os.name == "posix" else None
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
            for batch, results in zip(batches, pool.map(_lint_jobs, [root] * len(batches), batches), strict=True):
                for job, found in zip(batch, results, strict=True):
                    raw.setdefault(job.display, []).extend(found)
        return raw


def _balance(jobs: list[Job], n: int) -> list[list[Job]]:
    """Jobs spread over ``n`` batches of about equal line counts, biggest first."""
    batches: list[list[Job]] = [[] for _ in range(min(n, len(jobs)))]
    sizes = [0] * len(batches)
    for job in sorted(jobs, key=lambda j: -j.lines):
        i = sizes.index(min(sizes))
        batches[i].append(job)
        sizes[i] += job.lines
    return [b for b in batches if b]
