"""{% script_charts script %}: the execution charts of a script, on its admin page.

A tag rather than context from ScriptAdmin.change_view, so the script page
gets its charts from one include line (templates/admin/scripts_app/script/
_charts.html) and the admin class stays as it is.
"""

from django import template

from scripts_app import charts, svg

register = template.Library()


@register.inclusion_tag("admin/scripts_app/charts.html")
def script_charts(script):
    if script is None or script.pk is None:
        return {"stats": None}
    return chart_context(charts.script_stats(script))


def chart_context(stats) -> dict:
    """What templates/admin/scripts_app/charts.html shows for some Stats."""
    p50, p95 = stats.percentiles.get(50), stats.percentiles.get(95)
    return {
        "stats": stats,
        "charts": svg.charts(stats),
        "totals": sorted(stats.per_status().items()),
        "p50": svg.duration_text(p50) if p50 is not None else "—",
        "p95": svg.duration_text(p95) if p95 is not None else "—",
        "error_rate": f"{stats.error_rate:.1%}"
        if stats.error_rate is not None
        else "—",
    }
