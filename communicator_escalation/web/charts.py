"""Charts for the insights page, drawn on the server as SVG by pygal (no script of ours, nothing from another origin).

The page shows each chart as an `<img>`: an SVG image runs no script, and its inline styles are
allowed by the image's own Content-Security-Policy (`CHART_POLICY`), not by the page's.
"""

from __future__ import annotations

import pygal
from pydantic import BaseModel, Field
from pygal.style import Style

__all__ = ["CHART_POLICY", "BarChart", "render_bar_chart"]

CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""The Content-Security-Policy of a chart image: its own inline styles, nothing else."""

_STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground="#1d2330", foreground_strong="#1d2330",
    foreground_subtle="#5b6475", colors=("#2454d6", "#b3261e", "#1f7a3f", "#8a5a00"),
    font_family="system-ui, sans-serif", title_font_size=16, label_font_size=12, value_font_size=11,
)


class BarChart(BaseModel):
    """A bar chart's data: one value per label, per series."""

    title: str = Field(description="Chart title.")
    y_title: str = Field(description="What the bars measure.")
    labels: list[str] = Field(description="One label per bar group.")
    series: dict[str, list[float | None]] = Field(description="Series name -> one value per label (None: no bar).")
    percent: bool = Field(default=False, description="Values are shares (0-1), shown as percentages.")


def render_bar_chart(chart: BarChart) -> str:
    """The chart as an SVG document (pygal escapes every label)."""
    drawing = pygal.Bar(
        style=_STYLE, js=[], disable_xml_declaration=True, width=860, height=340, legend_at_bottom=True,
        show_legend=len(chart.series) > 1, print_values=True, x_label_rotation=20 if len(chart.labels) > 6 else 0,
        range=(0, 1) if chart.percent else None, truncate_label=28,
        value_formatter=(lambda v: f"{v:.0%}") if chart.percent else (lambda v: f"{v:g}"),
    )
    drawing.title = chart.title
    drawing.y_title = chart.y_title
    drawing.x_labels = chart.labels
    for name, values in chart.series.items():
        drawing.add(name, values)
    return str(drawing.render(is_unicode=True))
