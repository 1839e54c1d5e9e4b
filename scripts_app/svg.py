"""Draw scripts_app.charts.Stats as inline SVG: no JavaScript, no library.

Three charts: runs per minute stacked by status, p50/p95 duration per hour,
error rate per hour. Each is a string of SVG markup, safe to put in a page:
every text in it is escaped here.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from scripts_app.charts import HOURS, PERCENTILES, Stats
from scripts_app.models import ExecutionStatus

WIDTH, HEIGHT = 720, 160
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 22
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

# Status colours, bottom of the stack first: good runs at the base.
COLOURS = {
    ExecutionStatus.OK: "#2e7d32",
    ExecutionStatus.SKIPPED: "#9e9e9e",
    ExecutionStatus.ERROR: "#c62828",
    ExecutionStatus.TIMEOUT: "#ef6c00",
    ExecutionStatus.MEMORY: "#6a1b9a",
    ExecutionStatus.LOST: "#37474f",
}
LINE_COLOURS = {50: "#1565c0", 95: "#ad1457"}


def charts(stats: Stats) -> dict[str, SafeString]:
    """The three charts of `stats`, by name."""
    return {
        "per_minute": runs_per_minute(stats),
        "durations": durations(stats),
        "error_rate": error_rate(stats),
    }


def runs_per_minute(stats: Stats) -> SafeString:
    minutes = HOURS * 60
    peak = max((sum(c.values()) for c in stats.per_minute.values()), default=0)
    scale = _nice(peak)
    bar = PLOT_W / minutes
    parts = []
    for minute, counts in sorted(stats.per_minute.items()):
        x = LEFT + minute * bar
        y = TOP + PLOT_H
        when = (stats.start + timedelta(minutes=minute)).strftime("%H:%M")
        for status, colour in COLOURS.items():
            n = counts.get(status, 0)
            if not n:
                continue
            h = n / scale * PLOT_H
            y -= h
            parts.append(
                f'<rect class="s-{status}" x="{x:.2f}" y="{y:.2f}" '
                f'width="{max(bar, 0.8):.2f}" height="{h:.2f}" fill="{colour}">'
                f"<title>{escape(when)} {escape(status)}: {n}</title></rect>"
            )
    axes = _axes(scale, str(scale), _minute_ticks(stats))
    legend = _legend([(s.label, c) for s, c in COLOURS.items()])
    return _svg("Runs per minute by status", axes + "".join(parts) + legend)


def durations(stats: Stats) -> SafeString:
    values = [v for p in PERCENTILES for v in stats.hourly_percentiles.get(p, []) if v]
    scale = _nice(max(values, default=0))
    lines = []
    for p in PERCENTILES:
        lines.append(
            _line(stats.hourly_percentiles.get(p, []), scale, LINE_COLOURS[p], f"p{p}")
        )
    axes = _axes(scale, f"{duration_text(scale)}", _hour_ticks(stats))
    legend = _legend([(f"p{p}", LINE_COLOURS[p]) for p in PERCENTILES])
    return _svg("Duration per hour, p50 and p95", axes + "".join(lines) + legend)


def error_rate(stats: Stats) -> SafeString:
    rates = stats.hourly_error_rate()
    axes = _axes(1.0, "100%", _hour_ticks(stats))
    line = _line(rates, 1.0, COLOURS[ExecutionStatus.ERROR], "error rate", percent=True)
    return _svg("Error rate per hour", axes + line)


def _svg(title: str, body: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="exec-chart" '
        f'style="max-width:{WIDTH}px;font:10px sans-serif">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _axes(scale, top_label: str, ticks: list[tuple[float, str]]) -> str:
    bottom = TOP + PLOT_H
    out = [
        f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + PLOT_W}" y2="{bottom}" '
        'stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT + PLOT_W}" y2="{TOP}" '
        'stroke="#ddd" stroke-dasharray="3,3"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" fill="#555">'
        f"{escape(top_label)}</text>",
        f'<text x="{LEFT - 4}" y="{bottom}" text-anchor="end" fill="#555">0</text>',
    ]
    for fraction, label in ticks:
        x = LEFT + fraction * PLOT_W
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 3}" '
            'stroke="#888"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">'
            f"{escape(label)}</text>"
        )
    return "".join(out)


def _line(values, scale, colour: str, name: str, percent=False) -> str:
    """A polyline per run of hours with a value, and a dot on each value."""
    step = PLOT_W / max(len(values) - 1, 1)
    segments, current, dots = [], [], []
    for i, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        x = LEFT + i * step
        y = TOP + PLOT_H - min(value / scale, 1.0) * PLOT_H if scale else TOP + PLOT_H
        current.append(f"{x:.1f},{y:.1f}")
        shown = f"{value:.1%}" if percent else duration_text(value)
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}">'
            f"<title>{escape(name)}: {escape(shown)}</title></circle>"
        )
    if current:
        segments.append(current)
    lines = [
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
        f'points="{" ".join(points)}"/>'
        for points in segments
    ]
    return "".join(lines + dots)


def _legend(items) -> str:
    out, x = [], LEFT + 6
    for label, colour in items:
        out.append(
            f'<rect x="{x}" y="{TOP + 2}" width="8" height="8" fill="{colour}"/>'
            f'<text x="{x + 11}" y="{TOP + 10}" fill="#333">{escape(label)}</text>'
        )
        x += 16 + 6 * len(str(label))
    return "".join(out)


def _minute_ticks(stats: Stats) -> list[tuple[float, str]]:
    """A tick on every third clock hour of the 24 h."""
    minutes = HOURS * 60
    first = (60 - stats.start.minute) % 60
    ticks = []
    for m in range(first, minutes, 60):
        when = stats.start + timedelta(minutes=m)
        if when.hour % 3 == 0:
            ticks.append((m / minutes, when.strftime("%H:%M")))
    return ticks


def _hour_ticks(stats: Stats) -> list[tuple[float, str]]:
    ticks = []
    for h in range(HOURS + 1):
        when = stats.hour_start + timedelta(hours=h)
        if when.hour % 3 == 0:
            ticks.append((h / HOURS, when.strftime("%H:%M")))
    return ticks


def _nice(peak: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least `peak` (and above 0)."""
    if peak <= 0:
        return 1
    step = 1.0
    while step * 10 <= peak:
        step *= 10
    while step > peak * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= peak:
            top = step * factor
            return int(top) if top >= 1 else top
    return peak


def duration_text(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
