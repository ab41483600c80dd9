"""The report as one self-contained HTML page: the figures, and per query a latency distribution chart
of its authenticated run (through RLS) against its service_role run.

Nothing is fetched: the style is inline and each chart is an inline SVG drawn here from the runs' raw
samples (``samples_us``), so the page works offline and can be attached to a CI run as is. The
distribution is a histogram over logarithmic bins (latencies spread over decades), each identity's
bars as a share of its own requests, with its p50 and p95 marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ._models import AUTHENTICATED, IDENTITIES, RLS_FLAG_RATIO, BenchReport, QueryResult, Run

WIDTH, HEIGHT = 640, 230
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 26, 40
BINS = 40
COLORS = {AUTHENTICATED: "#c0392b", "service_role": "#2471a3"}
_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 980px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 4px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 8px; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; margin: 2px 0; } .flag { color: #a93226; font-weight: 600; }
.ok { color: #1e8449; font-weight: 600; } .bad { color: #a93226; font-weight: 600; }
code { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; font-size: 12px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def log_bins(lo: float, hi: float, count: int = BINS) -> list[float]:
    """``count + 1`` edges spaced evenly in log scale from ``lo`` to ``hi`` (both positive)."""
    if hi <= lo:
        lo, hi = lo / 1.5, hi * 1.5
    a, b = math.log(lo), math.log(hi)
    return [math.exp(a + (b - a) * i / count) for i in range(count + 1)]


def shares(values: Sequence[float], edges: Sequence[float]) -> list[float]:
    """Each bin's share of ``values`` (a value on the last edge falls in the last bin)."""
    counts = [0] * (len(edges) - 1)
    a, b = math.log(edges[0]), math.log(edges[-1])
    for v in values:
        i = int((math.log(max(v, edges[0])) - a) / (b - a) * len(counts))
        counts[min(max(i, 0), len(counts) - 1)] += 1
    total = len(values) or 1
    return [c / total for c in counts]


def ticks(lo: float, hi: float) -> list[float]:
    """1, 2, 5 times a power of ten between ``lo`` and ``hi``, thinned to at most 8."""
    out: list[float] = []
    for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        out.extend(m * 10.0 ** k for m in (1, 2, 5) if lo <= m * 10.0 ** k <= hi)
    while len(out) > 8:
        out = out[::2]
    return out


def _label(ms: float) -> str:
    return f"{ms * 1000:g} µs" if ms < 1 else f"{ms:g} ms"


def chart(query: QueryResult) -> str:
    """An inline SVG: the latency histogram of each identity's run, with p50 and p95 marks."""
    runs = [r for r in (query.run(i) for i in IDENTITIES) if r is not None and r.samples_us]
    if not runs:
        return ""
    samples = {r.identity: [v / 1000 for v in r.samples_us] for r in runs}
    lo = min(min(s) for s in samples.values())
    hi = max(max(s) for s in samples.values())
    edges = log_bins(lo, hi)
    lo, hi = edges[0], edges[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    binned = {identity: shares(values, edges) for identity, values in samples.items()}
    top = max(max(b) for b in binned.values()) or 1.0

    def x(ms: float) -> float:
        return LEFT + (math.log(ms) - math.log(lo)) / (math.log(hi) - math.log(lo)) * plot_w

    def y(share: float) -> float:
        return TOP + plot_h - share / top * plot_h

    parts = [f'<svg class="latency-chart" data-query="{_e(query.name)}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
             f"<title>{_e(query.name)}: latency distribution, authenticated (RLS) against service_role</title>",
             f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fbfbfb" stroke="#ccc"/>']
    for t in ticks(lo, hi):
        parts.append(f'<line class="tick" x1="{x(t):.1f}" y1="{TOP + plot_h}" x2="{x(t):.1f}" '
                     f'y2="{TOP + plot_h + 4}" stroke="#666"/>'
                     f'<text x="{x(t):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{_e(_label(t))}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle">latency (log scale)</text>')
    parts.append(f'<text x="12" y="{TOP + plot_h / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {TOP + plot_h / 2})">share of requests</text>')
    parts.append(f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{top:.0%}</text>'
                 f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">0</text>')
    for run in runs:
        color = COLORS.get(run.identity, "#555")
        points = [f"M{x(edges[0]):.1f},{y(0):.1f}"]
        for i, share in enumerate(binned[run.identity]):
            points.append(f"L{x(edges[i]):.1f},{y(share):.1f}L{x(edges[i + 1]):.1f},{y(share):.1f}")
        points.append(f"L{x(edges[-1]):.1f},{y(0):.1f}Z")
        parts.append(f'<path class="dist" data-identity="{_e(run.identity)}" d="{"".join(points)}" fill="{color}" '
                     f'fill-opacity="0.3" stroke="{color}" stroke-width="1.2"><title>{_e(run.identity)}: '
                     f"{len(samples[run.identity])} requests</title></path>")
        for name, value, dash in (("p50", run.latency.p50, "2,2"), ("p95", run.latency.p95, "6,3")):
            if value > 0:
                px = x(min(max(value, lo), hi))
                parts.append(f'<line class="mark" data-identity="{_e(run.identity)}" data-mark="{name}" '
                             f'x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{TOP + plot_h}" stroke="{color}" '
                             f'stroke-dasharray="{dash}"><title>{_e(run.identity)} {name} {value:g} ms</title></line>')
    for i, run in enumerate(runs):
        color = COLORS.get(run.identity, "#555")
        lx = LEFT + 8 + i * 300
        parts.append(f'<rect x="{lx}" y="8" width="12" height="10" fill="{color}" fill-opacity="0.5" '
                     f'stroke="{color}"/><text class="legend" x="{lx + 16}" y="17">{_e(run.identity)}: p50 '
                     f"{run.latency.p50:g} ms, p95 {run.latency.p95:g} ms</text>")
    parts.append("</svg>")
    return "".join(parts)


def _figures(run: Run) -> str:
    lat = run.latency
    cells = (run.requests, lat.mean, lat.p50, lat.p95, lat.p99, lat.p999, lat.max, run.throughput_rps, run.rows_mean)
    return "".join(f'<td class="n">{_e(c)}</td>' for c in cells)


def _query_section(q: QueryResult) -> str:
    out = [f'<section class="query" data-query="{_e(q.name)}"><h2>{_e(q.name)}</h2>',
           f'<p class="meta"><code>{_e(q.file)}</code> {_e(q.description)}</p>']
    if q.rls_ratio is not None:
        mark = (f' <span class="flag">flagged: above {RLS_FLAG_RATIO:g}x</span>' if q.rls_flagged else "")
        out.append(f'<p class="rls">RLS overhead (p95 authenticated / p95 service_role): '
                   f"<b>{q.rls_ratio:.2f}x</b>{mark}</p>")
        if q.rls_difference:
            out.append('<p class="meta">through RLS only (not in the service_role plan):</p><ul class="rls-diff">'
                       + "".join(f"<li><code>{_e(item)}</code></li>" for item in q.rls_difference) + "</ul>")
    out.append(chart(q))
    if q.runs:
        out.append("<table><tr><th>identity</th><th>requests</th><th>mean ms</th><th>p50</th><th>p95</th><th>p99</th>"
                   "<th>p99.9</th><th>max</th><th>req/s</th><th>rows</th></tr>")
        out.extend(f"<tr><td>{_e(r.identity)}</td>{_figures(r)}</tr>" for r in q.runs)
        out.append("</table>")
    if q.plans:
        same = len({p.fingerprint for p in q.plans}) == 1
        out.append(f'<p class="meta">plans: {"the same shape for both identities" if same else "the shapes differ"}'
                   "</p><ul class='plans'>")
        for p in q.plans:
            flags = "".join(f'<li class="flag">{_e(f)}</li>' for f in p.flags)
            out.append(f"<li>{_e(p.identity)}: <code>{_e(p.shape)}</code>"
                       f"{f'<ul>{flags}</ul>' if flags else ''}</li>")
        out.append("</ul>")
    if q.error:
        out.append(f'<p class="bad">{_e(q.error)}</p>')
    out.append("</section>")
    return "".join(out)


def html_report(report: BenchReport) -> str:
    """The whole report as one HTML document, with no external resource."""
    s, d = report.settings, report.data
    how = f"{s.rate:g} req/s open loop" if s.mode == "open" else "closed loop"
    amount = f"{s.iterations} requests" if s.iterations is not None else f"{s.duration_s:g} s"
    rows = ", ".join(f"{_e(name)} {count:,}" for name, count in d.rows.items())
    scale = f"scale {d.scale:g}, " if d.scale is not None else ""
    status = '<span class="ok">ok</span>' if report.ok else '<span class="bad">failed</span>'
    body = [f"<h1>pgmanager bench: {status}</h1>",
            f'<p class="meta">{_e(report.target)}: {_e(scale)}seed {d.seed}; {rows}</p>',
            f'<p class="meta">{s.clients} client(s), {_e(how)}, {_e(amount)} per query and identity after '
            f"{s.warmup} warm-up request(s)</p>"]
    pool = report.database.connectionPool
    body.append(f'<p class="meta">connections at the busiest moment: {pool.active} active, {pool.idle} idle, '
                f"{pool.waiting} waiting</p>")
    if report.problems:
        body.append('<h2>Problems</h2><ul class="problems">')
        body.extend(f'<li class="bad"><code>{_e(p.where)}</code> {_e(p.message)}</li>' for p in report.problems)
        body.append("</ul>")
    if report.comparison is not None:
        c = report.comparison
        body.append(f'<h2>Against the baseline <code>{_e(c.baseline)}</code></h2><table class="comparison">'
                    "<tr><th>query</th><th>identity</th><th>verdict</th><th>p95 before</th><th>p95 now</th>"
                    "<th>ratio</th><th>interval</th><th>detail</th></tr>")
        for v in c.verdicts:
            css = "bad" if v.failed else ""
            interval = f"{v.ci_low}..{v.ci_high}" if v.ci_low is not None else ""
            body.append(f"<tr><td>{_e(v.query)}</td><td>{_e(v.identity)}</td><td class='{css}'>{_e(v.verdict)}</td>"
                        f"<td class='n'>{_e(v.baseline_p95 or '')}</td><td class='n'>{_e(v.p95 or '')}</td>"
                        f"<td class='n'>{_e(v.ratio or '')}</td><td>{_e(interval)}</td><td>{_e(v.detail)}</td></tr>")
        body.append("</table>")
        body.extend(f'<p class="meta">note: {_e(n)}</p>' for n in c.notes)
    body.extend(_query_section(q) for q in report.queries)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>pgmanager bench: {_e(report.target)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(body) + "\n</body></html>\n")
