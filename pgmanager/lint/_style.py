"""The style engine: sqlfluff (postgres dialect, configured by the project's .sqlfluff).

sqlfluff is slow (it parses SQL in pure Python), so this adapter lints only files whose findings
are not cached, in a pool of worker processes (one per core), and cuts big files at statement
boundaries into chunks that the workers share. sqlfluff takes its Rust parser when the ``sqlfluffrs``
package is installed (``pip install 'pgmanager[rust]'``; ``use_rust_parser = False`` in .sqlfluff
turns it off). sqlfluff runs only the style codes the lint configuration enables, and not at all when
it enables none. Where sqlfluff cannot parse valid PostgreSQL, the file gets one note
(``style-unparsable``); the AST rules' findings are never affected.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import re
import zlib
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import Finding, Severity, SqlFile
from ..parse import parse_file
from ._cache import LintCache
from ._config import LintConfig
from ._text import one_line

PREFIX = "style/"
UNPARSABLE = "style-unparsable"
CHUNK_LINES = 300
MAX_RESUMES = 20
_GRAMMAR = re.compile(r"\s*Expected: <.*$", re.DOTALL)
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


def cores() -> int:
    """The cores this process may run on (the pool's size)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


WORKERS = cores()


def _installed(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def style_version(root: Path) -> str:
    """sqlfluff's version (and its Rust parser's) and the project's sqlfluff configuration: a change
    re-lints every file."""
    h = hashlib.sha256(f"{_installed('sqlfluff')}:{_installed('sqlfluffrs')}".encode())
    for name in _CONFIG_FILES:
        path = root / name
        if path.is_file():
            text = path.read_text(errors="replace")
            if name == ".sqlfluff" or "sqlfluff" in text:
                h.update(text.encode())
    return h.hexdigest()[:16]


def chunks(f: SqlFile, max_lines: int = CHUNK_LINES) -> list[Job]:
    """The file cut at statement boundaries (line starts) into pieces of at most about ``max_lines``.

    The cuts are content-defined (after a statement whose text hashes to 0 mod 4, once a piece has a
    quarter of ``max_lines``), so an edit moves only the cuts near it and the other pieces keep
    their cached style findings."""
    text = f.text
    doc = parse_file(f)
    if text.count("\n") <= max_lines or doc.error is not None or len(doc.statements) < 2:
        return [Job(f.display, text, 0, True, True)]
    cuts = [0]
    last_line = 1
    for stmt in doc.statements[:-1]:
        size = stmt.end_line - last_line
        if size >= max_lines or (size >= max_lines // 4 and zlib.crc32(stmt.text.encode()) % 4 == 0):
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


@dataclass(frozen=True)
class Selection:
    """The sqlfluff codes to run: ``only`` (all when empty) less ``exclude`` (added to .sqlfluff's)."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    none: bool = False
    """No style code is enabled: sqlfluff does not run at all."""

    @classmethod
    def of(cls, config: LintConfig) -> Selection:
        codes = [n.removeprefix(PREFIX) for n in config.select if n.startswith(PREFIX)]
        if not config.enabled("style/*"):  # the style category is not selected, or excluded
            return cls(tuple(codes), none=not codes or "style" in config.exclude)
        return cls((), tuple(sorted(n.removeprefix(PREFIX) for n in config.exclude if n.startswith(PREFIX))))


_LINTERS: dict[tuple[str, Selection], Any] = {}


def _names_templater(root: str) -> bool:
    """Whether the sqlfluff configuration in force at ``root`` (its files up to there, and the user's)
    chooses a templater."""
    from sqlfluff.core.config.loader import load_config_up_to_path

    core = load_config_up_to_path(root).get("core")
    return isinstance(core, dict) and "templater" in core


def _linter(root: str, selection: Selection | None = None) -> Any:
    """sqlfluff's linter for a project root (its .sqlfluff) and a selection of codes, built once per
    process; the dialect is always postgres, so a project without any sqlfluff configuration still
    gets style findings."""
    selection = selection or Selection()
    linter = _LINTERS.get((root, selection))
    if linter is None:
        from sqlfluff.core import FluffConfig, Linter

        overrides: dict[str, Any] = {"dialect": "postgres"}
        if not _names_templater(root):
            # migrations are plain SQL that PostgreSQL runs as written: jinja (sqlfluff's default) would only
            # misread a `{{` in a string literal, and costs about a fifth of sqlfluff's time
            overrides["templater"] = "raw"
        if selection.only:
            overrides["rules"] = ",".join(selection.only)
        if selection.exclude:
            base = FluffConfig.from_path(root, overrides=overrides).get("exclude_rules") or ""
            overrides["exclude_rules"] = ",".join([*filter(None, str(base).replace(" ", "").split(",")),
                                                   *selection.exclude])
        config = FluffConfig.from_path(root, overrides=overrides)
        linter = _LINTERS[(root, selection)] = Linter(config=config)
    return linter


def _lint_jobs(root: str, jobs: list[Job], selection: Selection | None = None) -> list[list[dict[str, Any]]]:
    """Worker: sqlfluff's violations of each job, as plain dicts (positions in the whole file)."""
    out: list[list[dict[str, Any]]] = []
    for job in jobs:
        found: list[dict[str, Any]] = []
        try:
            linted = _linter(root, selection).lint_string(job.text, fname=str(Path(root) / job.display))
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
    places = 0
    for r in raw:
        if r["code"] in ("PRS", "TMP", "LXR"):
            places += 1
            if unparsable is None or r["line"] < unparsable["line"]:
                unparsable = r
            continue
        name = f" [{r['name']}]" if r.get("name") else ""
        found.append(Finding(rule=PREFIX + r["code"], severity=Severity.WARNING, message=one_line(r["desc"]) + name,
                             file=display, line=r["line"], col=r["col"],
                             help="see https://docs.sqlfluff.com/en/stable/reference/rules.html"))
    if unparsable is not None:
        # what sqlfluff expected there is its grammar's inside (<Ref: ...>): of no use to the reader
        desc = one_line(_GRAMMAR.sub("", str(unparsable["desc"])))
        found.append(Finding(rule=UNPARSABLE, severity=Severity.INFO, file=display, line=unparsable["line"],
                             col=unparsable["col"],
                             message=f"sqlfluff cannot parse this valid PostgreSQL ({places} place(s) in the "
                                     f"file), style is not checked there: {desc}",
                             help="the AST rules still checked the whole file; report the construct to sqlfluff"))
    return sorted(found, key=lambda x: (x.line, x.col, x.rule))


def _resume_job(f: SqlFile, jobs: list[Job], line: int) -> Job | None:
    """A job from the statement after the one holding ``line`` to the end of the chunk holding it."""
    doc = parse_file(f)
    if doc.error is not None:
        return None
    holder = next((s for s in doc.statements if s.end_line >= line), None)
    after = next((s for s in doc.statements if holder is not None and s.line > holder.end_line), None)
    chunk = next((j for j in sorted(jobs, key=lambda j: -j.line_offset) if j.line_offset < line), None)
    if after is None or chunk is None:
        return None
    chunk_end = chunk.line_offset + chunk.text.count("\n") + (0 if chunk.text.endswith("\n") else 1)
    if after.line > chunk_end:
        return None
    lines = f.text.split("\n")
    text = "\n".join(lines[after.line - 1 : chunk_end]) + "\n"
    return Job(f.display, text, after.line - 1, False, chunk.last)


class StyleRunner:
    """Runs sqlfluff on the files whose style findings are not cached."""

    def __init__(self, root: Path, cache: LintCache | None = None, workers: int | None = None,
                 chunk_lines: int = CHUNK_LINES, start_method: str | None = None) -> None:
        self.root = root
        self.cache = cache
        self.workers = workers if workers is not None else WORKERS
        self.chunk_lines = chunk_lines
        self.start_method = start_method
        """The pool's start method: fork where there is one (workers inherit the built linter), else spawn."""
        self.base_version = self.version = style_version(root)
        self.selection = Selection()
        self.linted = 0
        self.pieces_run = 0

    def configure(self, config: LintConfig) -> None:
        """Run only the style codes ``config`` enables (the engine calls this)."""
        self.selection = Selection.of(config)
        self.version = hashlib.sha256(f"{self.base_version}:{self.selection}".encode()).hexdigest()[:16]

    def __call__(self, files: list[SqlFile]) -> dict[str, list[Finding]]:
        result: dict[str, list[Finding]] = {}
        todo: list[SqlFile] = []
        keys: dict[str, str] = {}
        if self.selection.none:
            self.linted = 0
            return result
        for f in files:
            if not f.text.strip():
                continue  # an empty file: the AST side reports it
            if self.cache is not None:
                # keyed by sqlfluff's version and configuration only: a change of pgmanager's rules
                # does not make sqlfluff (the slow part) run again
                keys[f.display] = self.cache.key("style", self.version, f.display, f.checksum, versioned=False)
                entry = self.cache.get(keys[f.display])
                if entry is not None:
                    result[f.display] = entry.findings
                    continue
            todo.append(f)
        self.linted = len(todo)
        jobs = [job for f in todo for job in chunks(f, self.chunk_lines)]
        raw = self._run_cached(jobs)
        self._resume_after_unparsable({f.display: f for f in todo}, jobs, raw)
        for f in todo:
            found = _to_findings(f.display, raw.get(f.display, []))
            if parse_file(f).error is not None:  # pglast already reported the syntax error
                found = [x for x in found if x.rule != UNPARSABLE]
            result[f.display] = found
            if self.cache is not None:
                self.cache.put(keys[f.display], found, [], 0)
        return result

    def _run_cached(self, jobs: list[Job]) -> dict[str, list[dict[str, Any]]]:
        """Run the jobs; pieces of big files are cached by their text, so an edit re-lints only the
        pieces it touched."""
        raw: dict[str, list[dict[str, Any]]] = {}
        todo: list[Job] = []
        piece_keys: dict[int, str] = {}
        for job in jobs:
            if self.cache is None or (job.first and job.last):
                todo.append(job)  # a whole file: cached per file by the caller
                continue
            key = self.cache.key("style-piece", self.version, hashlib.sha256(job.text.encode()).hexdigest(),
                                 job.first, job.last, versioned=False)
            piece_keys[id(job)] = key
            hit = self.cache.get_raw(key)
            if hit is None:
                todo.append(job)
            else:
                raw.setdefault(job.display, []).extend(dict(r, line=r["line"] + job.line_offset) for r in hit)
        self.pieces_run = len(todo)
        for job, found in self._run_jobs(todo):
            raw.setdefault(job.display, []).extend(found)
            if self.cache is not None and id(job) in piece_keys:
                self.cache.put_raw(piece_keys[id(job)], [dict(r, line=r["line"] - job.line_offset) for r in found])
        return raw

    def _run(self, jobs: list[Job]) -> dict[str, list[dict[str, Any]]]:
        raw: dict[str, list[dict[str, Any]]] = {}
        for job, found in self._run_jobs(jobs):
            raw.setdefault(job.display, []).extend(found)
        return raw

    def _resume_after_unparsable(self, files: dict[str, SqlFile], jobs: list[Job],
                                 raw: dict[str, list[dict[str, Any]]]) -> None:
        """Where sqlfluff gave up on a statement, lint again from the next statement (pglast knows where
        statements end), so one construct it does not know hides only its own statement."""
        handled: set[tuple[str, int]] = set()
        for _ in range(MAX_RESUMES):
            follow: list[Job] = []
            for display, found in raw.items():
                prs = sorted((r for r in found if r["code"] == "PRS" and (display, r["line"]) not in handled),
                             key=lambda r: r["line"])
                if not prs or display not in files:
                    continue
                line = prs[0]["line"]
                handled.add((display, line))
                job = _resume_job(files[display], [j for j in jobs if j.display == display], line)
                if job is None:
                    continue
                first, last = job.line_offset + 1, job.line_offset + job.text.count("\n") + 1
                # the first pass's findings past the statement are replaced by the second pass's
                raw[display] = [r for r in found if not first <= r["line"] <= last or (r["code"] == "PRS"
                                                                                      and r["line"] == line)]
                follow.append(job)
            if not follow:
                return
            jobs = jobs + follow
            for display, more in self._run(follow).items():
                raw[display].extend(more)

    def _run_jobs(self, jobs: list[Job]) -> list[tuple[Job, list[dict[str, Any]]]]:
        """sqlfluff over the jobs: in this process when there is little to do, else in worker processes."""
        if not jobs:
            return []
        root = str(self.root)
        total = sum(j.lines for j in jobs)
        sel = self.selection
        if self.workers < 2 or len(jobs) < 2 or total < 2 * self.chunk_lines:
            return list(zip(jobs, _lint_jobs(root, jobs, sel), strict=True))
        batches = _balance(jobs, self.workers * 8)  # small batches: a worker slowed by a busy core gets fewer
        method = self.start_method or ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        if method == "fork":
            _linter(root, sel)  # built once here: forked workers inherit it
        out: list[tuple[Job, list[dict[str, Any]]]] = []
        workers = min(self.workers, len(batches))
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
            n = len(batches)
            for batch, results in zip(batches, pool.map(_lint_jobs, [root] * n, batches, [sel] * n), strict=True):
                out.extend(zip(batch, results, strict=True))
        return out


def _balance(jobs: list[Job], n: int) -> list[list[Job]]:
    """Jobs spread over ``n`` batches of about equal line counts, biggest first."""
    batches: list[list[Job]] = [[] for _ in range(min(n, len(jobs)))]
    sizes = [0] * len(batches)
    for job in sorted(jobs, key=lambda j: -j.lines):
        i = sizes.index(min(sizes))
        batches[i].append(job)
        sizes[i] += job.lines
    return [b for b in batches if b]
