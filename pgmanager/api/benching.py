"""Benchmarking: the project's workload queries through RLS, on generated data in a sandbox or on a target.

In a sandbox, the data lives in a template database keyed by (every project input, the data profile,
the generator's version, scale, seed): built once per server (the project, then the generated data),
then cloned for each run. On a real target (``dsn``) bench only reads, unless ``allow_write`` lets it
generate data there first.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ..bench import (
    CONFIRMATIONS,
    GENERATOR_VERSION,
    MIN_DELTA_MS,
    PROFILE_NAME,
    THRESHOLD,
    BenchReport,
    BenchSettings,
    DataInfo,
    DataProfile,
    Generated,
    Load,
    Outcome,
    api_metrics,
    bench_workload,
    compare,
    database_metrics,
    generate,
    load_baseline,
    load_profile,
    load_workload,
    table_rows,
)
from ..config import Settings
from ..db import connection, describe, redact
from ..errors import ConfigError
from ..project import Project
from ..sandbox import FunctionMigrator, Sandbox, open_sandbox, template_name
from .building import project_migrator
from .inputs import require_clean

ProgressFn = Callable[[str, int, int], None]
DEFAULT_DURATION_S = 5.0
DEFAULT_SCALE = 1.0


def data_migrator(settings: Settings, project: Project, profile: DataProfile, *, scale: float, seed: int,
                  built: list[Generated]) -> FunctionMigrator:
    """The sandbox migrator of the data template: the project built with its seed, then generated data.

    ``built`` receives what the generation made when the template is built (it stays empty when the
    template already existed and is only cloned).
    """
    base = project_migrator(settings, project, seed=True)
    digest = hashlib.sha256("\n".join((base.hash, profile.checksum, GENERATOR_VERSION, repr(float(scale)),
                                       str(seed), ",".join(settings.exposed_schemas))).encode()).hexdigest()

    def build(dsn: str) -> None:
        base.build(dsn)
        with connection(dsn) as conn:
            built.append(generate(conn, scale=scale, seed=seed, profile=profile,
                                  schemas=list(settings.exposed_schemas), bulk=True))

    return FunctionMigrator(digest, build)


def _check(scale: float | None, clients: int, duration_s: float | None, iterations: int | None, rate: float | None,
           threshold: float, min_delta_ms: float, dsn: str | None, allow_write: bool, confirm: int,
           rounds: int) -> None:
    if iterations is not None and duration_s is not None:
        raise ConfigError("give --iterations or --duration, not both", where="--iterations")
    for name, value, least in (("--clients", clients, 1), ("--iterations", iterations, 1)):
        if value is not None and value < least:
            raise ConfigError(f"must be at least {least}, got {value}", where=name)
    for name, number in (("--scale", scale), ("--duration", duration_s), ("--rate", rate)):
        if number is not None and not number > 0:
            raise ConfigError(f"must be more than 0, got {number}", where=name)
    if threshold < 0:
        raise ConfigError(f"must be 0 or more, got {threshold}", where="--threshold")
    if min_delta_ms < 0:
        raise ConfigError(f"must be 0 or more, got {min_delta_ms}", where="--min-delta-ms")
    if rounds < 1:
        raise ConfigError(f"must be 1 or more, got {rounds}", where="--rounds")
    if confirm < 0:
        raise ConfigError(f"must be 0 or more, got {confirm}", where="--confirm")
    if dsn is not None and scale is not None and not allow_write:
        raise ConfigError(f"bench is read-only on a real target: generating data at --scale {scale:g} inserts rows "
                          "into it; add --allow-write to do that, or drop --scale to bench its own data",
                          where="--dsn")


def _rows(dsn: str, settings: Settings, profile: DataProfile) -> dict[str, int]:
    with connection(dsn) as conn:
        return table_rows(conn, list(settings.exposed_schemas), profile)


def bench(settings: Settings, project: Project, *, scale: float | None = None, seed: int = 1, clients: int = 1,
          duration_s: float | None = None, iterations: int | None = None, rate: float | None = None,
          warmup: int = 5, queries: tuple[str, ...] = (), dsn: str | None = None, allow_write: bool = False,
          baseline: Path | None = None, threshold: float = THRESHOLD, min_delta_ms: float = MIN_DELTA_MS,
          slow_ms: float = 100.0, sandbox: str | None = None, sandbox_dsn: str | None = None, keep: bool = False,
          box: Sandbox | None = None, on_progress: ProgressFn | None = None,
          confirm: int = CONFIRMATIONS, rounds: int = 1) -> BenchReport:
    """Run every workload query (``queries``: only these) as an authenticated user and as service_role.

    Without ``dsn``: on a sandbox clone of the data template (``box`` reuses a running sandbox). With
    ``dsn``: on that database's own data, read-only; ``scale`` there needs ``allow_write`` and adds
    generated rows first. ``baseline`` compares with a saved report (``comparison``; not ok on a
    regression: a plan shape change, or a p95 slower by more than ``threshold`` beyond its bootstrap
    interval and by more than ``min_delta_ms``, in the first run and in each of ``confirm`` runs of it
    again). ``rounds``: the workload that many times over, each query and identity keeping its fastest
    round by p95 (for a baseline to save). Raises ConfigError for bad options, InputError for an
    unreadable baseline.
    """
    _check(scale, clients, duration_s, iterations, rate, threshold, min_delta_ms, dsn, allow_write, confirm, rounds)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if iterations is None and duration_s is None:
        duration_s = DEFAULT_DURATION_S
    load = Load(clients=clients, iterations=iterations, duration_s=duration_s, rate=rate, warmup=max(0, warmup))
    base_report = load_baseline(baseline) if baseline is not None else None
    gate: dict[str, Any] = {"baseline": base_report, "threshold": threshold, "min_delta_ms": min_delta_ms,
                            "confirm": confirm, "rounds": rounds}
    workload = load_workload(settings, queries)
    profile_path = settings.path(settings.queries) / PROFILE_NAME
    profile = load_profile(profile_path, f"{settings.queries.rstrip('/')}/{PROFILE_NAME}")
    outcome: Outcome
    if dsn is not None:
        target = redact(dsn)
        generated: Generated | None = None
        if scale is not None:
            t = time.perf_counter()
            with connection(dsn) as conn:
                generated = generate(conn, scale=scale, seed=seed, profile=profile,
                                     schemas=list(settings.exposed_schemas))
            timings["generate"] = _ms_since(t)
        t = time.perf_counter()
        outcome = bench_workload(dsn, workload, load, seed=seed, read_only=not allow_write, slow_ms=slow_ms,
                                 where=describe(dsn), on_progress=on_progress, sandbox=False, **gate)
        timings["run"] = _ms_since(t)
        data = DataInfo(where="target", scale=scale, seed=seed, profile=profile.source,
                        generated_s=round(generated.seconds, 3) if generated else None,
                        rows=generated.rows if generated else _rows(dsn, settings, profile))
    else:
        require_clean(project)
        scale = DEFAULT_SCALE if scale is None else scale
        built: list[Generated] = []
        migrator = data_migrator(settings, project, profile, scale=scale, seed=seed, built=built)
        opened = nullcontext(box) if box is not None else open_sandbox(
            sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn, keep=keep,
            image=settings.sandbox_image)
        with opened as sandbox_box:
            t = time.perf_counter()
            template = sandbox_box.template(migrator)
            timings["data"] = _ms_since(t)
            clone = sandbox_box.clone(template)
            try:
                clone_dsn = sandbox_box.dsn(clone)
                t = time.perf_counter()
                outcome = bench_workload(clone_dsn, workload, load, seed=seed, read_only=False, slow_ms=slow_ms,
                                         where=f"sandbox {clone}", on_progress=on_progress, sandbox=True, **gate)
                timings["run"] = _ms_since(t)
                rows = _rows(clone_dsn, settings, profile)
            finally:
                sandbox_box.drop(clone)
            target = f"sandbox {sandbox_box.provider}"
        data = DataInfo(where="sandbox", template=template_name(migrator.hash), reused=not built,
                        generated_s=round(built[0].seconds, 3) if built else None, scale=scale, seed=seed,
                        profile=profile.source, rows=rows)
    report = BenchReport(
        target=target, ok=True, data=data,
        settings=BenchSettings(clients=clients, mode="open" if rate is not None else "closed", iterations=iterations,
                               duration_s=duration_s, rate=rate, warmup=load.warmup, slow_ms=slow_ms,
                               threshold=threshold, seed=seed, scale=scale, rounds=rounds),
        api=api_metrics(outcome.queries), database=database_metrics(outcome.queries, clients, slow_ms),
        queries=outcome.queries, problems=outcome.problems, notes=outcome.report_notes)
    comparison = None
    if base_report is not None and baseline is not None:
        comparison = compare(report, base_report, str(baseline), threshold=threshold, min_delta_ms=min_delta_ms,
                             seed=seed)
        comparison = comparison.model_copy(update={"notes": [*comparison.notes, *outcome.notes]})
    ok = not outcome.problems and not any(q.error for q in outcome.queries) and \
        (comparison is None or not comparison.regressions)
    timings["total"] = _ms_since(t0)
    return report.model_copy(update={"ok": ok, "comparison": comparison, "timings_ms": timings})


def _ms_since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
