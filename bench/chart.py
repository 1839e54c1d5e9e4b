"""Draw the run's chart with matplotlib, or say why there is none."""

from __future__ import annotations

from pathlib import Path


def draw(rows: list[dict], path: Path) -> str:
    """Write a PNG of requests/s per scenario; return a line saying what happened."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart: skipped (matplotlib is not installed; `pip install matplotlib`)"
    bars = [r for r in rows if r["subject"] and "rps" in r["subject"]]
    labels = [r["scenario"] for r in bars]
    subject = [r["subject"]["rps"] for r in bars]
    reference = [(r["reference"] or {}).get("rps", 0) for r in bars]
    fig, ax = plt.subplots(figsize=(10, 0.7 * len(bars) + 1.5))
    ys = range(len(bars))
    ax.barh([y + 0.2 for y in ys], subject, height=0.4, label="subject")
    ax.barh([y - 0.2 for y in ys], reference, height=0.4, label="reference")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("requests/s (row 4: invocations/s)")
    ax.legend()
    for y, r in zip(ys, bars, strict=True):
        met = {True: "met", False: "NOT MET", None: ""}[r["met"]]
        ax.annotate(
            f" {met}", (max(subject[y], reference[y]), y), va="center", fontsize=8
        )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"chart: {path}"
