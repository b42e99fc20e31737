"""One self-contained HTML page of the reports, charts drawn as inline SVG: presentation only.

`collect` asks a ClientBook's public queries for every report cut at one log position, so the
figures agree with each other (inputs.py); `render_html` turns them into one HTML5 page with no
external assets and nothing of its own that changes (no clock, no random ids): same inputs,
same bytes (page.py). Each section is a function of sections.py, drawn with the SVG primitives
of chart.py and the tables of tables.py; every figure a chart shows is also printed in a table,
formatted the same way each time.
"""

from clientbook.reports.html.chart import money, percent
from clientbook.reports.html.inputs import HtmlInputs, MonthRisk, collect
from clientbook.reports.html.page import render_html

__all__ = ["HtmlInputs", "MonthRisk", "collect", "money", "percent", "render_html"]
