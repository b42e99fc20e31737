"""The HTML report's page: `render_html` puts the sections (sections.py) in one HTML5 page with
its stylesheet (a print stylesheet in it), one inline script (layout check, a CSV button on
every table) and a content security policy that lets nothing be fetched. No clock, no random
ids: same inputs, same bytes."""

from __future__ import annotations

from html import escape

from clientbook.reports.html import sections
from clientbook.reports.html.inputs import HtmlInputs

# -- the page -------------------------------------------------------------------------------

_CSS = """
:root{color-scheme:light}
body{margin:0;font:14px/1.45 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#1d2733;
background:#f4f6f9}
header{background:#1f3a5a;color:#fff;padding:18px 32px}
header h1{margin:0 0 6px;font-size:24px}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0}
dl.meta div{display:flex;gap:6px}dl.meta dt{opacity:.75}dl.meta dd{margin:0;font-weight:bold}
main{padding:8px 32px 32px;max-width:1180px}
section{background:#fff;border:1px solid #d8dee6;border-radius:6px;padding:8px 20px 18px;
margin:18px 0}
h2{font-size:19px;margin:10px 0}h3{font-size:14px;margin:14px 0 4px;color:#44505e}
figure{margin:0}.pair{display:flex;gap:16px;flex-wrap:wrap}.pair>*{flex:1 1 500px}
svg{width:100%;height:auto;display:block}.scroll{overflow-x:auto}
svg text{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;fill:#44505e}
svg .tick{font-size:11px}svg .sub{font-size:10px;fill:#6b7684}
svg .value{font-size:11px;font-weight:bold;fill:#1d2733}svg .name{font-size:12px;fill:#1d2733}
svg .limit{font-size:11px;font-weight:bold;fill:#c0392b}
svg line.grid{stroke:#e3e8ee}svg line.axis{stroke:#6b7684}
svg line.limit{stroke:#c0392b;stroke-width:2;stroke-dasharray:6 4}
svg polyline.line{fill:none;stroke:#d9822b;stroke-width:2}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
caption{text-align:left;color:#6b7684;padding:2px 0 6px;caption-side:top}
th,td{border:1px solid #d8dee6;padding:4px 9px}thead th{background:#eef2f6;text-align:left}
tbody td{white-space:nowrap}tbody th{text-align:left;font-weight:normal;min-width:8em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.matrix td{text-align:center;min-width:64px}table.matrix td.zero{color:#b4bcc6}
p.none{background:#fff7e0;border-left:4px solid #d9822b;padding:8px 12px}
pre#errors{color:#c0392b;margin:0 32px}pre#errors:empty{display:none}
svg .unit{font-size:11px;font-style:italic;fill:#6b7684}
svg polyline.series{fill:none;stroke-width:2}
button.csv{font-size:11px;margin:0 0 0 8px;padding:1px 8px;border:1px solid #b8c2cd;
border-radius:3px;background:#f4f6f9;cursor:pointer}
@media print{body{background:#fff;font-size:11px}header{background:none;color:#000;
padding:0 0 8px;border-bottom:2px solid #000}main{padding:0;max-width:none}
section{border:none;padding:0;margin:12px 0;break-inside:avoid-page}
figure,table,svg{break-inside:avoid}.scroll{overflow:visible}button.csv,pre#errors{display:none}
thead{display:table-header-group}}
"""

# Installed before anything renders; once loaded it counts the SVG marks the browser laid out.
_SCRIPT = """
(function () {
  var errors = [];
  function show() { var pre = document.getElementById("errors");
    if (pre) { pre.textContent = errors.join("\\n"); } }
  window.onerror = function (message, source, line, column) {
    errors.push(String(message) + " (line " + line + ":" + column + ")"); show(); return false; };
  function count() {
    var marks = 0;
    try {
      var shapes = document.querySelectorAll("svg rect, svg circle, svg path, svg polyline");
      for (var i = 0; i < shapes.length; i++) {
        var box = shapes[i].getBBox();
        if (box.width > 0 && box.height > 0) { marks++; }
      }
    } catch (e) { errors.push("counting marks: " + e); }
    show();
    document.body.dataset.marks = String(marks);
    document.body.dataset.rendered = errors.length ? "error" : "ok";
  }
  function csvOf(table) {
    var lines = [];
    for (var r = 0; r < table.rows.length; r++) {
      var cells = table.rows[r].cells, line = [];
      for (var c = 0; c < cells.length; c++) {
        line.push('"' + cells[c].textContent.trim().replace(/"/g, '""') + '"');
      }
      lines.push(line.join(","));
    }
    return lines.join("\\r\\n") + "\\r\\n";
  }
  function download(table) {  // the page's own table, as CSV: no request leaves the page
    var link = document.createElement("a");
    link.download = table.id + ".csv";
    link.href = URL.createObjectURL(new Blob([csvOf(table)], {type: "text/csv"}));
    document.body.appendChild(link); link.click(); document.body.removeChild(link);
  }
  function buttons() {
    var tables = document.querySelectorAll("table[id]");
    for (var i = 0; i < tables.length; i++) {
      var caption = tables[i].caption, button = document.createElement("button");
      button.className = "csv"; button.type = "button"; button.textContent = "CSV";
      button.title = "Download this table as CSV";
      button.onclick = (function (t) { return function () { download(t); }; })(tables[i]);
      if (caption) { caption.appendChild(button); }
    }
  }
  window.addEventListener("load", function () {
    try { buttons(); } catch (e) { errors.push("csv buttons: " + e); }
    setTimeout(count, 0);  // after other handlers
  });
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def render_html(inputs: HtmlInputs) -> str:
    """The whole page as one string: inline CSS, inline SVG, one inline script, no assets."""
    i = inputs
    meta = "".join(
        f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>"
        for k, v in (
            ("As of", i.as_of.isoformat()),
            ("Log position", str(i.position)),
            ("clientbook", i.version),
        )
    )
    parts = [
        ("complaints", "1. Complaints", sections.complaints(i.complaints_by_month)),
        (
            "cards",
            "2. Card portfolio",
            sections.portfolio(i.portfolio, i.portfolio.currency or i.currency),
        ),
        ("concentration", "3. Group concentration", sections.concentration(i.concentration)),
        (
            "classification",
            "4. Classification",
            sections.classification(i.classification, i.migration),
        ),
    ]
    if i.managers is not None:
        parts.append(("managers", "5. Relationship managers", sections.managers(i.managers)))
    if i.contribution is not None:
        parts.append(("value", "6. Customer value", sections.value(i.contribution)))
    if i.risk_by_month:
        parts.append(
            (
                "risk",
                "7. Portfolio at risk and non-performing loans",
                sections.risk(i.risk_by_month),
            )
        )
    if i.aging is not None:
        parts.append(("aging", "8. Trade-credit receivables aging", sections.aging(i.aging)))
    body = "".join(
        f'<section id="{key}"><h2>{escape(name)}</h2>{html}</section>' for key, name, html in parts
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(i.title)} \u2014 {i.as_of.isoformat()}</title>"
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head>\n<body>"
        f'<header><h1>{escape(i.title)}</h1><dl class="meta">{meta}</dl>'
        f"{_positions(i)}</header><main>{body}</main>"
        '<pre id="errors"></pre></body></html>\n'
    )


def _positions(i: HtmlInputs) -> str:
    """Say so when a report reflects another log position than the page claims."""
    positions = {r.position for r in i.complaints_by_month} | {
        i.portfolio.position,
        i.concentration.position,
        i.migration.position,
        i.classification.position,
        *(() if i.managers is None else (i.managers.position,)),
        *(() if i.contribution is None else (i.contribution.position,)),
    }
    other = sorted(positions - {i.position})
    if not other:
        return ""
    return f'<p class="none">Some reports reflect other log positions: {other}</p>'
