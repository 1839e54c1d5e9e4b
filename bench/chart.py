"""Draw the run's chart with matplotlib, or say why there is none.

One line per row of the table, two panels sharing them: requests/s (subject
and reference) and p99 latency, both on log scales so that a ratio is a
distance. A black tick marks each row's target; the right margin says whether
the row met it. Redraw a run's chart from its JSON with
`python -m bench.chart bench/results/<run>.json`.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBJECT, REFERENCE = "#1f77b4", "#a0a0a0"
STATUS = {True: ("met", "#2ca02c"), False: ("NOT MET", "#d62728")}


def _rps_target(row: dict) -> float | None:
    """Where the row's requests/s target lies, if it has one."""
    n, ref = row["scenario"].split()[0], row["reference"] or {}
    factor = {"1": 2.0, "2": 0.45, "6": 1.5}.get(n)
    if factor and ref.get("rps"):
        return factor * ref["rps"]
    return 2500.0 if n == "4" else None


def _latency(row: dict) -> tuple[float | None, float | None, float | None, str]:
    """(subject ms, reference ms, target ms, what) for the latency panel."""
    n, s, ref = row["scenario"].split()[0], row["subject"] or {}, row["reference"] or {}
    if n == "9":  # host call round trip: µs per call, shown on the same scale
        return s.get("p50_ms"), None, 150.0, "us/call"
    if n == "5":  # cold vs warm: medians
        warm = ref.get("p50_ms")
        return s.get("p50_ms"), warm, warm + 50 if warm is not None else None, "p50"
    target = {"1": 50.0, "7": 100.0, "8": 250.0, "10": 50.0, "12": 2000.0}.get(n)
    if n == "12b":
        target = 2000.0
    return s.get("p99_ms"), ref.get("p99_ms"), target, "p99"


def _label(row: dict) -> str:
    return "\n".join(textwrap.wrap(row["scenario"], 30))


def _title(record: dict) -> str:
    commit = record.get("commit", {})
    when = record.get("when", "")
    if len(when) == 16:  # 20261123T132722Z
        when = f"{when[:4]}-{when[4:6]}-{when[6:8]} {when[9:11]}:{when[11:13]} UTC"
    dirty = " + uncommitted changes" if commit.get("dirty") else ""
    machine = record.get("machine", {})
    return (
        f"scripthost bench, {record.get('mode', '?')} mode: commit "
        f"{commit.get('hash', '?')[:8]}{dirty}, {when}\n"
        f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores"
    )


def _subtitle(record: dict) -> str:
    s = record.get("settings", {})
    return (
        f"median of {s.get('rounds', '?')} rounds of {s.get('seconds', '?')} s per "
        f"target; {s.get('load', 'wrk')}; {s.get('server', '')}; log scales; "
        "| = target"
    )


def _bar(ax, y, value, color, offset, text, errors=0, past=None):
    """A bar with its label after its end (and after past, a target tick)."""
    if value is None:
        return
    ax.barh(y + offset, value, height=0.36, color=color)
    note = f" {text}" + (f"  {errors} err" if errors else "")
    ax.annotate(
        note,
        (max(value, past or 0), y + offset),
        va="center",
        fontsize=7.5,
        color="#d62728" if errors else "black",
    )


def _tick(ax, y, value):
    if value is not None:
        ax.plot([value, value], [y - 0.25, y + 0.25], color="black", lw=2.2)


def draw(record: dict, path: Path) -> str:
    """Write the PNG; return a line saying what happened."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart: skipped (matplotlib is not installed; `make bench` installs it)"
    rows = record["rows"]
    ys = list(range(len(rows)))
    fig, (rps_ax, lat_ax) = plt.subplots(
        1,
        2,
        sharey=True,
        figsize=(15, 0.75 * len(rows) + 2.4),
        gridspec_kw={"width_ratios": [1.15, 1]},
    )
    for y, row in zip(ys, rows, strict=True):
        s, ref = row["subject"] or {}, row["reference"] or {}
        ratio = f"  ({row['ratio']:.2f}x)" if row["ratio"] is not None else ""
        if "rss_mb" in s and row["reference"] is None:
            ratio += f"  RSS {s['rss_mb']:,.0f} MB"
        if "rps" in s:
            target = _rps_target(row)
            _bar(
                rps_ax,
                y,
                s["rps"],
                SUBJECT,
                -0.19,
                f"{s['rps']:,.0f}{ratio}",
                s.get("errors", 0),
                past=target,
            )
            _bar(
                rps_ax,
                y,
                ref.get("rps"),
                REFERENCE,
                0.19,
                f"{ref.get('rps', 0):,.0f}",
                ref.get("errors", 0),
            )
            _tick(rps_ax, y - 0.19, target)
        else:
            rps_ax.annotate(
                "  (latency only)", (1, y), va="center", fontsize=7.5, color="gray"
            )
        subject_ms, reference_ms, target_ms, what = _latency(row)
        _bar(
            lat_ax,
            y,
            subject_ms,
            SUBJECT,
            -0.19,
            f"{what} {subject_ms:,.1f}" if subject_ms is not None else "",
            past=target_ms,
        )
        _bar(
            lat_ax,
            y,
            reference_ms,
            REFERENCE,
            0.19,
            f"{what} {reference_ms:,.1f}" if reference_ms is not None else "",
        )
        _tick(lat_ax, y - 0.19, target_ms)
        if subject_ms is None:
            lat_ax.annotate(
                "  (throughput only)", (0.1, y), va="center", fontsize=7.5, color="gray"
            )
        word, color = STATUS.get(row["met"], ("reported", "gray"))
        lat_ax.annotate(
            word,
            (1.02, y),
            xycoords=("axes fraction", "data"),
            va="bottom",
            fontsize=10,
            fontweight="bold",
            color=color,
        )
        lat_ax.annotate(
            "\n".join(textwrap.wrap(row["target"], 22)),
            (1.02, y + 0.05),
            xycoords=("axes fraction", "data"),
            va="top",
            fontsize=7.5,
            color="#444444",
        )
    rps_ax.set_xscale("log")
    lat_ax.set_xscale("log")
    rps_ax.set_xlim(left=10)
    lat_ax.set_xlim(left=0.1)
    # Room on the right of the longest bars for their labels.
    rps_ax.set_xlim(right=rps_ax.get_xlim()[1] * 8)
    lat_ax.set_xlim(right=lat_ax.get_xlim()[1] * 8)
    rps_ax.set_yticks(ys, [_label(r) for r in rows], fontsize=8.5)
    rps_ax.set_ylim(len(rows) - 0.5, -0.5)
    rps_ax.set_xlabel("requests/s (row 4: invocations/s), more is better")
    lat_ax.set_xlabel("latency in ms (row 5: median cold vs warm), less is better")
    rps_ax.set_title("throughput", fontsize=10)
    lat_ax.set_title("p99 latency", fontsize=10)
    for ax in (rps_ax, lat_ax):
        ax.grid(axis="x", which="major", color="#e0e0e0")
        ax.set_axisbelow(True)
        for y in ys[1:]:
            ax.axhline(y - 0.5, color="#eeeeee", lw=0.8)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=SUBJECT),
        plt.Rectangle((0, 0), 1, 1, color=REFERENCE),
        plt.Line2D([0], [0], color="black", lw=2.2),
    ]
    fig.legend(
        handles,
        ["subject (scripthost)", "reference", "target"],
        loc="upper right",
        ncol=3,
        fontsize=8.5,
        frameon=False,
    )
    fig.suptitle(_title(record), x=0.01, ha="left", fontsize=11)
    fig.text(0.01, 0.01, _subtitle(record), fontsize=7.5, color="#444444")
    fig.tight_layout(rect=(0, 0.03, 0.93, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"chart: {shown}"


if __name__ == "__main__":
    source = Path(sys.argv[1])
    print(draw(json.loads(source.read_text()), source.with_suffix(".png")))
