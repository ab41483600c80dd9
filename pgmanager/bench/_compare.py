"""The regression gate: this run against a saved one (``--baseline FILE``).

A query fails when its plan shape changed (as either identity), or when the bootstrap confidence
interval of its p95 ratio (this run over the baseline, from both raw samples) lies wholly above
1 + threshold: slower beyond the threshold and beyond the noise. A p95 that merely looks slower on a
small or noisy sample does not fail.

The bootstrap sees the noise within a run, not a shift between runs (another process busy on the
machine during one of them). So this run's samples are first divided by how much slower the machine
was than in the baseline (``machine_drift``: the reference statement timed around the same query's
run in both), and a slowdown must also exceed ``min_delta_ms`` (0.1 ms) to fail.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError
from ._models import IDENTITIES, BenchReport, Comparison, QueryResult, Verdict
from ._stats import RatioInterval, regressed

CONFIDENCE = 0.95
DRAWS = 2000
THRESHOLD = 0.2
"""A p95 more than 20% slower (beyond its bootstrap interval) is a slowdown."""
MIN_DELTA_MS = 0.1
CONFIRMATIONS = 2
"""A slowdown is measured again this many times, and kept only when every measurement shows it."""
MIN_PROBES = 5


def load_baseline(path: Path) -> BenchReport:
    """A report saved by ``--save`` or ``--format json``; anything else is an InputError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the baseline: {getattr(exc, 'strerror', None) or exc}",
                         where=str(path)) from None
    try:
        return BenchReport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "the file"
        raise InputError(f"not a pgmanager bench report ({loc}: {first['msg']})", where=str(path)) from None


def machine_drift(before_us: Sequence[float], now_us: Sequence[float]) -> float:
    """How much slower the machine was now than in the baseline: the ratio of the reference statement's
    medians, timed around the same query's run in both (1 when either has none). Never below 1: a
    baseline measured on a busier machine is not taken to have been inflated as much (a query does not
    track the reference that closely, and a gate must not invent a slowdown)."""
    if len(before_us) < MIN_PROBES or len(now_us) < MIN_PROBES:
        return 1.0
    return max(1.0, statistics.median(now_us) / statistics.median(before_us))


@dataclass(frozen=True)
class Slowdown:
    """``after`` against ``before``: the ratio of their p95 with its interval, after the machine drift
    is discounted, and by how many ms the p95 grew."""

    slower: bool
    interval: RatioInterval
    drift: float
    delta_ms: float


def slowdown(before_ms: Sequence[float], after_ms: Sequence[float], *, before_p95: float, after_p95: float,
             before_probes: Sequence[float] = (), after_probes: Sequence[float] = (), threshold: float = THRESHOLD,
             min_delta_ms: float = MIN_DELTA_MS, seed: int = 0) -> Slowdown:
    """Whether ``after`` (its samples in ms) is slower than ``before`` beyond ``threshold`` and the
    noise: ``after`` is first divided by how much slower the machine was (``machine_drift`` of the
    reference statement's timings, in any unit), then the whole bootstrap interval of the p95 ratio
    must lie above 1 + threshold, and the p95 must have grown by more than ``min_delta_ms``. A few
    stalled requests in a small sample do not make a slowdown; a query slower on every request does."""
    drift = machine_drift(before_probes, after_probes)
    fail, interval = regressed(before_ms, [v / drift for v in after_ms], threshold, draws=DRAWS,
                               confidence=CONFIDENCE, seed=seed)
    delta = after_p95 / drift - before_p95
    return Slowdown(slower=fail and delta > min_delta_ms, interval=interval, drift=drift, delta_ms=delta)


def verdicts_of(q: QueryResult, before: QueryResult | None, *, threshold: float, min_delta_ms: float, seed: int,
                notes: list[str]) -> list[Verdict]:
    """``q``'s verdict as each identity against its baseline ``before``; notes what does not compare."""
    verdicts: list[Verdict] = []
    for identity in IDENTITIES:
        run, plan = q.run(identity), q.plan(identity)
        if run is None:
            continue
        old_run = before.run(identity) if before else None
        if before is None or old_run is None or not old_run.samples_us:
            verdicts.append(Verdict(query=q.name, identity=identity, verdict="new", p95=run.latency.p95,
                                    detail="not in the baseline"))
            continue
        if before.sql_checksum != q.sql_checksum:
            notes.append(f"{q.name}: its SQL changed since the baseline")
        old_plan = before.plan(identity)
        judged = slowdown([v / 1000 for v in old_run.samples_us], [v / 1000 for v in run.samples_us],
                          before_p95=old_run.latency.p95, after_p95=run.latency.p95, before_probes=old_run.probe_us,
                          after_probes=run.probe_us, threshold=threshold, min_delta_ms=min_delta_ms, seed=seed)
        interval, drift, delta = judged.interval, judged.drift, judged.delta_ms
        measured = Verdict(query=q.name, identity=identity, verdict="ok", baseline_p95=old_run.latency.p95,
                           p95=run.latency.p95, ratio=round(interval.point, 3), ci_low=round(interval.low, 3),
                           ci_high=round(interval.high, 3), machine=round(drift, 3))
        if old_plan is not None and plan is not None and old_plan.fingerprint != plan.fingerprint:
            measured = measured.model_copy(update={
                "verdict": "plan changed", "plan_before": old_plan.shape, "plan_after": plan.shape,
                "detail": f"plan shape changed: was {old_plan.shape}; now {plan.shape}"})
        elif judged.slower:
            measured = measured.model_copy(update={
                "verdict": "slower",
                "detail": f"p95 {interval.point:.2f}x the baseline ({CONFIDENCE:.0%} interval {interval.low:.2f}.."
                          f"{interval.high:.2f}, over {1 + threshold:.2f}; +{delta:.2f} ms"
                          + (f"; the machine {drift:.2f}x slower than then, discounted" if drift > 1 else "") + ")"})
        elif interval.high < 1 / (1 + threshold):
            measured = measured.model_copy(update={"verdict": "faster",
                                                   "detail": f"p95 {interval.point:.2f}x the baseline"})
        verdicts.append(measured)
    return verdicts


def slower_queries(queries: list[QueryResult], baseline: BenchReport, *, threshold: float, min_delta_ms: float,
                   seed: int) -> set[str]:
    """The queries whose p95 is slower than the baseline's as some identity (a changed plan aside)."""
    return {v.query for q in queries
            for v in verdicts_of(q, baseline.query(q.name), threshold=threshold, min_delta_ms=min_delta_ms,
                                 seed=seed, notes=[])
            if v.verdict == "slower"}


def compare(current: BenchReport, baseline: BenchReport, source: str, *, threshold: float,
            min_delta_ms: float = MIN_DELTA_MS, seed: int = 0) -> Comparison:
    notes = []
    for label, now, then in (("scale", current.data.scale, baseline.data.scale),
                             ("seed", current.data.seed, baseline.data.seed),
                             ("clients", current.settings.clients, baseline.settings.clients),
                             ("mode", current.settings.mode, baseline.settings.mode)):
        if now != then:
            notes.append(f"the baseline ran with {label} {then}, this run with {now}: timings may not compare")
    verdicts: list[Verdict] = []
    for q in current.queries:
        verdicts.extend(verdicts_of(q, baseline.query(q.name), threshold=threshold, min_delta_ms=min_delta_ms,
                                    seed=seed, notes=notes))
    for q in baseline.queries:
        if current.query(q.name) is None:
            notes.append(f"{q.name}: in the baseline, not in this run")
    return Comparison(baseline=source, threshold=threshold, min_delta_ms=min_delta_ms, confidence=CONFIDENCE,
                      verdicts=verdicts, notes=list(dict.fromkeys(notes)))
