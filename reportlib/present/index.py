"""``index.html``: one sortable table of every report in a folder, linking to each.

Each row comes from a report's ``summary.json`` (picked, not computed: the
analysis already holds every number): final and best training and validation
loss, the best value of the evaluation metric and its checkpoint, and the
verdict: the report's first at-a-glance conclusion
(:func:`reportlib.present.glance.verdict`) and a tag per kind of warning or
critical finding; notes from reading the log are counted apart, since they
say how the log was read, not how the run went. Runs that failed to build get
a row with their error. The page is self-contained: inline CSS and a small
inline script that filters the rows and sorts the table when a column header is
clicked; it loads nothing from anywhere. All text from logs is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlib.errors import ParameterError
from reportlib.formatting import (
    format_number,
    format_percent,
    format_position,
    metric_display_name,
    plural,
)
from reportlib.metrics import bounds_for, metric_info
from reportlib.present.glance import READING_NOTE_KINDS, verdict

#: Severities listed in the verdict column (info findings are in each report).
VERDICT_SEVERITIES: tuple[str, ...] = ("critical", "warning")

#: The table's columns: (key, header, kind). ``kind`` "number" sorts numerically,
#: "text" alphabetically.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("run", "Run", "text"),
    ("format", "Format", "text"),
    ("steps", "Steps", "number"),
    ("updated", "Updated", "text"),
    ("final_train_loss", "Final train loss", "number"),
    ("best_train_loss", "Best train loss", "number"),
    ("final_val_loss", "Final val loss", "number"),
    ("best_val_loss", "Best val loss", "number"),
    ("best_metric", "Best {metric}", "number"),
    ("best_metric_step", "Best at step", "number"),
    ("verdict", "Verdict", "number"),
)


@dataclass(frozen=True)
class IndexRow:
    """One run in the index.

    Attributes
    ----------
    name:
        The run's name; ``title`` its run.yaml title (None if none).
    href:
        Link to its report, relative to the index (None when it failed to build).
    final_train_loss, best_train_loss, final_val_loss, best_val_loss:
        Last and best finite values of the loss curves (None when not logged).
    best_val_step, best_val_epoch:
        Where validation loss was lowest.
    metric, best_metric, best_metric_step, best_metric_epoch:
        Display name of the evaluation metric (``"chrF"``) and its best value and checkpoint.
    metric_is_fraction:
        The metric is a fraction in [0, 1] (accuracy, F1, mAP as logged), shown as a
        percentage ("accuracy 99.3%"); chrF and BLEU are points already.
    findings:
        ``(kind, severity, message)`` of the warning and critical findings
        (notes from reading the log left out: see ``reading_notes``).
    format, steps:
        The log's format and its last logged step (None when unknown).
    updated:
        When the report was last written (``YYYY-MM-DD HH:MM``, UTC), or None.
    headline:
        ``(severity, message)`` of the report's first at-a-glance conclusion, or None.
    reading_notes:
        How many notes reading the log left (repairs, skipped lines).
    error:
        Why the run failed to build, or None.
    """

    name: str
    title: str | None = None
    href: str | None = None
    final_train_loss: float | None = None
    best_train_loss: float | None = None
    final_val_loss: float | None = None
    best_val_loss: float | None = None
    best_val_step: int | None = None
    best_val_epoch: float | None = None
    metric: str | None = None
    best_metric: float | None = None
    best_metric_step: int | None = None
    best_metric_epoch: float | None = None
    metric_is_fraction: bool = False
    findings: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    error: str | None = None
    format: str | None = None
    steps: int | None = None
    updated: str | None = None
    headline: tuple[str, str] | None = None
    reading_notes: int = 0


def _curve(summary: Mapping[str, Any], panel: str) -> Mapping[str, Any] | None:
    chosen = (summary.get("panels") or {}).get(panel)
    if not chosen:
        return None
    for curve in summary.get("curves") or []:
        if (curve.get("split"), curve.get("metric")) == (chosen.get("split"),
                                                          chosen.get("metric")):
            return curve
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _step(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def index_row(summary: Mapping[str, Any], *, href: str | None,
              updated: str | None = None) -> IndexRow:
    """The index row of one report, from its ``summary.json`` content.

    Parameters
    ----------
    summary:
        The parsed ``summary.json`` (schema version 1 or 2).
    href:
        The link to the report, relative to the index page.
    updated:
        When the report was written, as shown (the caller reads the file's time).

    Returns
    -------
    IndexRow

    Raises
    ------
    reportlib.errors.ParameterError
        ``summary`` is not a summary.json object (no ``run.name``).
    """
    run = summary.get("run") if isinstance(summary, Mapping) else None
    if not isinstance(run, Mapping) or not run.get("name"):
        raise ParameterError("not a reportlib summary.json: it has no run.name",
                             hint="rebuild the report with reportlib build")
    train = _curve(summary, "train_loss") or {}
    val = _curve(summary, "val_loss") or {}
    metric = _curve(summary, "eval_metric") or {}
    metric_info = summary.get("eval_metric") or {}
    metric_name = metric_info.get("name") or (
        metric_display_name(str(metric["metric"])) if metric.get("metric") else None)
    all_findings = [f for f in summary.get("findings") or [] if isinstance(f, Mapping)]
    findings = tuple(
        (str(f.get("kind", "")), str(f.get("severity", "")), str(f.get("message", "")))
        for f in all_findings
        if f.get("severity") in VERDICT_SEVERITIES and f.get("kind") not in READING_NOTE_KINDS
    )
    top = verdict(all_findings)
    last_steps = [s for s in (_step(c.get("last_step")) for c in summary.get("curves") or []
                              if isinstance(c, Mapping)) if s is not None]
    return IndexRow(
        name=str(run["name"]),
        title=None if run.get("title") is None else str(run["title"]),
        href=href,
        final_train_loss=_number(train.get("last")),
        best_train_loss=_number(train.get("best")),
        final_val_loss=_number(val.get("last")),
        best_val_loss=_number(val.get("best")),
        best_val_step=_step(val.get("best_step")),
        best_val_epoch=_number(val.get("best_epoch")),
        metric=metric_name,
        best_metric=_number(metric.get("best")),
        best_metric_step=_step(metric.get("best_step")),
        best_metric_epoch=_number(metric.get("best_epoch")),
        metric_is_fraction=_is_fraction(metric),
        findings=findings,
        format=None if run.get("format") is None else str(run["format"]),
        steps=max(last_steps) if last_steps else None,
        updated=updated,
        headline=None if top is None else (top.severity, top.sentence),
        reading_notes=sum(f.get("kind") in READING_NOTE_KINDS for f in all_findings),
    )


def _metric_label(rows: Sequence[IndexRow]) -> str:
    names = {r.metric for r in rows if r.metric}
    return names.pop() if len(names) == 1 else "metric"


def _cell(sort_value: Any, shown: str, *, title: str | None = None, raw: bool = False) -> str:
    value = "" if sort_value is None else repr(sort_value) if isinstance(sort_value, float) \
        else str(sort_value)
    attrs = f' data-value="{html.escape(value, quote=True)}"'
    if title:
        attrs += f' title="{html.escape(title, quote=True)}"'
    return f"<td{attrs}>{shown if raw else html.escape(shown)}</td>"


def _is_fraction(curve: Mapping[str, Any]) -> bool:
    """Whether a curve of summary.json is a metric in [0, 1] by the registry and by its values."""
    name = curve.get("metric")
    info = metric_info(str(name)) if name else None
    values = [v for v in (_number(curve.get(key)) for key in ("first", "last", "best"))
              if v is not None]
    return (info is not None and info.bounds == (0.0, 1.0) and bool(values)
            and bounds_for(str(name), values) == (0.0, 1.0))


def _value(value: float | None) -> str:
    return "–" if value is None else format_number(value)


def _verdict_cell(row: IndexRow) -> str:
    """The verdict: the first at-a-glance conclusion, one tag per kind of problem, notes."""
    if row.error is not None:
        return _cell(1000, '<span class="sev-failed">build failed</span> '
                     f'<span class="error">{html.escape(row.error)}</span>', raw=True)
    parts = []
    if row.headline is not None:
        message = html.escape(row.headline[1], quote=True)
        parts.append(f'<div class="headline" title="{message}">{message}</div>')
    grouped: dict[tuple[str, str], list[str]] = {}
    for kind, severity, message in row.findings:
        grouped.setdefault((kind, severity), []).append(message)
    for (kind, severity), messages in grouped.items():
        label = kind.replace("_", " ") + (f" \u00d7{len(messages)}" if len(messages) > 1 else "")
        parts.append(f'<span class="sev-{html.escape(severity, quote=True)}" '
                     f'title="{html.escape(" | ".join(messages), quote=True)}">'
                     f"{html.escape(label)}</span>")
    if not row.findings:
        parts.append('<span class="none">no warnings</span>')
    if row.reading_notes:
        parts.append(f'<span class="note">{plural(row.reading_notes, "reading note")}</span>')
    rank = sum(100 if sev == "critical" else 1 for _, sev, _ in row.findings)
    return _cell(rank, "".join(parts), raw=True)


def _row_html(row: IndexRow) -> str:
    name = html.escape(row.name)
    link = f'<a href="{html.escape(row.href, quote=True)}">{name}</a>' if row.href else name
    if row.title:
        link += f'<div class="title">{html.escape(row.title)}</div>'
    cells = [_cell(row.name.lower(), link, raw=True)]
    cells.append(_cell(row.format, row.format or "–"))
    cells.append(_cell(row.steps, "–" if row.steps is None else str(row.steps)))
    cells.append(_cell(row.updated, row.updated or "–"))
    cells.append(_cell(row.final_train_loss, _value(row.final_train_loss)))
    cells.append(_cell(row.best_train_loss, _value(row.best_train_loss)))
    cells.append(_cell(row.final_val_loss, _value(row.final_val_loss)))
    val_where = (None if row.best_val_step is None
                 else "at " + format_position(row.best_val_step, row.best_val_epoch))
    cells.append(_cell(row.best_val_loss, _value(row.best_val_loss), title=val_where))
    metric_text = _value(row.best_metric)
    if row.metric_is_fraction and row.best_metric is not None:
        metric_text = format_percent(row.best_metric)
    if row.metric and row.best_metric is not None:
        metric_text = f"{row.metric} {metric_text}"
    cells.append(_cell(row.best_metric, metric_text,
                       title=f"{row.metric} of the best checkpoint" if row.metric else None))
    where = ("–" if row.best_metric_step is None
             else format_position(row.best_metric_step, row.best_metric_epoch)[len("step "):])
    cells.append(_cell(row.best_metric_step, where))
    cells.append(_verdict_cell(row))
    status = "failed" if row.error is not None else "built"
    return f'<tr class="run-{status}">' + "".join(cells) + "</tr>"


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
th, td { padding: 0.35em 0.6em; border-bottom: 1px solid #ddd; text-align: left;
         vertical-align: top; }
td[data-value] { font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; background: none; border: none; padding: 0;
            cursor: pointer; color: inherit; text-align: left; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
.title { color: #666; font-size: 0.85em; }
span[class^="sev-"], span.none, span.note { display: inline-block; border-radius: 3px;
  padding: 0 0.3em;
                           margin: 0 0.2em 0.2em 0; font-size: 0.85em; }
.sev-critical, .sev-failed { background: #b2182b; color: #fff; }
.sev-warning { background: #fdb863; color: #222; }
span.none { background: #d9f0d3; color: #222; }
span.note { background: #eee; color: #444; }
td[data-value] { white-space: nowrap; }
td:first-child, td:last-child { white-space: normal; }
td:first-child { min-width: 12em; }
/* The verdict's sentence: two lines, the whole of it on hover (title). */
.headline { margin-bottom: 0.2em; display: -webkit-box; -webkit-line-clamp: 2; line-clamp: 2;
            -webkit-box-orient: vertical; overflow: hidden; min-width: 16em; }
.error { white-space: pre-wrap; overflow-wrap: anywhere; }
#filter { font: inherit; padding: 0.3em 0.5em; width: 24em; max-width: 100%; margin: 0 0 0.8em; }
tr.hidden { display: none; }
tr.run-failed td { background: #fbeaea; }
footer { color: #666; font-size: 0.8em; margin-top: 2em; }
@media print { th button::after { content: none; } }
"""

#: The sort script: click a header to sort by it, again to reverse. Numbers sort
#: numerically, text alphabetically; empty cells always go last.
_SCRIPT = """
(function () {
  var table = document.getElementById("runs");
  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  filter.addEventListener("input", function () {
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var rows = table.tBodies[0].rows, count = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.classList.toggle("hidden", !keep);
      if (keep) { count += 1; }
    });
    shown.textContent = count === rows.length ? "" : count + " of " + rows.length + " shown";
  });
  var headers = table.tHead.rows[0].cells;
  function key(row, i) { return row.cells[i].getAttribute("data-value"); }
  Array.prototype.forEach.call(headers, function (th, i) {
    th.querySelector("button").addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      var numeric = th.getAttribute("data-kind") === "number";
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, i), y = key(b, i);
        if (x === "" || y === "") { return (x === "") - (y === ""); }
        var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  });
})();
"""


def render_index(rows: Sequence[IndexRow], *, title: str = "Training reports",
                 footer: str | None = None,
                 comparisons: Sequence[tuple[str, str]] = ()) -> str:
    """The index page: a sortable table of ``rows``, sorted by run name.

    Parameters
    ----------
    rows:
        One :class:`IndexRow` per run.
    title:
        The page title (escaped).
    footer:
        A line under the table (escaped), e.g. what made the page.
    comparisons:
        ``(name, href)`` of the comparisons in the folder, linked above the table.

    Returns
    -------
    str: a complete, self-contained HTML document.
    """
    label = _metric_label(rows)
    head = "".join(
        f'<th scope="col" data-kind="{kind}" data-key="{key}"><button type="button">'
        f"{html.escape(header.format(metric=label))}</button></th>"
        for key, header, kind in COLUMNS)
    ordered = sorted(rows, key=lambda r: r.name.lower())
    body = "\n".join(_row_html(r) for r in ordered)
    failed = sum(r.error is not None for r in rows)
    counts = f"{len(rows)} run{'s' if len(rows) != 1 else ''}"
    if failed:
        counts += f", {failed} failed to build"
    note = ("Type in the box to filter the runs; click a column header to sort by it. "
            "Verdict: each report's first conclusion, then a tag per kind of warning or "
            "critical finding (hover for the sentences) and the notes left by reading the log; "
            "open a report for the evidence.")
    compared = ""
    if comparisons:
        links = "".join(f'<li><a href="{html.escape(href, quote=True)}">{html.escape(name)}'
                        "</a></li>" for name, href in comparisons)
        compared = f"<h2>Comparisons</h2><ul>{links}</ul>"
    meta = json.dumps({"runs": len(rows), "failed": failed})
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="reportlib">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p>{counts}. {html.escape(note)}</p>
{compared}
<input id="filter" type="search" placeholder="Filter runs (name, format, verdict...)"
       aria-label="Filter runs"> <span id="shown" aria-live="polite"></span>
<table id="runs" data-summary="{html.escape(meta, quote=True)}">
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
{f"<footer>{html.escape(footer)}</footer>" if footer else ""}
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


__all__ = ["COLUMNS", "VERDICT_SEVERITIES", "IndexRow", "index_row", "render_index"]
