"""The insights charts: SVG drawn by pygal with every label escaped and nothing fetched from elsewhere."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from communicator_escalation.web.charts import BarChart, render_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_labels_are_escaped_and_the_chart_loads_nothing_from_elsewhere() -> None:
    hostile = '<img src=x onerror="alert(1)">Müller GmbH'
    svg = render_bar_chart(BarChart(title="Minutes <b>to</b> respond", y_title="minutes", labels=[hostile, "Sakura"],
                                    series={"Response time": [42.0, 7.0]}))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.findall(f".//{SVG}img") == [] and "<img" not in svg
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert hostile in "".join(root.itertext()), "the whole label is there, as text (a long one is cut on the axis)"
    assert "42" in texts and "7" in texts
    references = [value for element in root.iter() for value in element.attrib.values()
                  if value.startswith(("http:", "https:", "//", "file:", "data:"))]
    assert references == [], "no attribute points anywhere: the image needs nothing else"


def test_shares_are_drawn_as_percentages() -> None:
    svg = render_bar_chart(BarChart(title="SLA met", y_title="share", labels=["high"], series={"met": [0.75]},
                                    percent=True))
    assert "75%" in svg
