"""The compact HTML card a run shows in a notebook (its rich display in Jupyter).

``reportlib.load_run(path)`` or ``reportlib.analyze(path)`` as the last line of
a Jupyter cell displays this card: what was read, how long the run trained,
the final and best values of the report's three curves, the best checkpoint
and the findings that need attention. Everything comes from the one pipeline,
:func:`reportlib.analyze` (so the card says what the report says); text from
the log or run.yaml is HTML-escaped. :func:`register_jupyter_display` tells
IPython to use it: ``import reportlib`` calls it inside a running IPython, so
the data model (:mod:`reportlib.run`) never imports the presentation layer.
"""

from __future__ import annotations

import html
from typing import Any

from reportlib.analysis import CURVE_PANELS, Severity
from reportlib.errors import ReportlibError
from reportlib.formatting import format_epoch, format_number, format_position, plural
from reportlib.pipeline import RunResult, analyze

#: Warning and critical findings listed on the card; the rest are counted.
MAX_LISTED_FINDINGS = 5

_STYLE = ("font-size:0.9em;border-collapse:collapse;text-align:left;"
          "margin:0.3em 0;")
_CELL = "padding:0.15em 0.8em 0.15em 0;text-align:left;vertical-align:top;"


def _row(label: str, value: str) -> str:
    return (f'<tr><th style="{_CELL}font-weight:600;white-space:nowrap;">{html.escape(label)}</th>'
            f'<td style="{_CELL}">{value}</td></tr>')


def run_card_html(source: Any) -> str:
    """A compact HTML summary of a run, for Jupyter's rich display.

    Parameters
    ----------
    source:
        A :class:`~reportlib.pipeline.RunResult`, or a :class:`~reportlib.run.Run`
        (analysed with :func:`reportlib.analyze`, predictions scored when present).

    Returns
    -------
    str: an HTML fragment (a heading and a small table). Never raises for a
    run that cannot be analysed: the card then says why.
    """
    run = source.run if isinstance(source, RunResult) else source
    title = run.meta.get("title") or run.name
    head = (f"<div><strong>{html.escape(str(title))}</strong> "
            f"<span style=\"color:#666\">({html.escape(run.name)}, "
            f"{html.escape(run.format)}: {html.escape(str(run.path))})</span></div>")
    try:
        analysis = (source if isinstance(source, RunResult) else analyze(run)).analysis
    except ReportlibError as error:
        return head + f"<p>Cannot analyse this run: {html.escape(error.one_line())}</p>"
    rows = []
    length = []
    if analysis.total_steps is not None:
        length.append(plural(analysis.total_steps, "step"))
    if analysis.epochs is not None:
        length.append(f"{format_epoch(analysis.epochs)} epochs")
    length.append(plural(analysis.n_evaluations, "evaluation"))
    rows.append(_row("Trained", html.escape(", ".join(length))))
    rows.append(_row("Logged", html.escape(
        f"{len(run.scalars)} values in {plural(len(analysis.curves), 'curve')}")))
    for panel in CURVE_PANELS:
        summary = analysis.curve(panel)
        if summary is None:
            continue
        text = f"last {format_number(summary.last)}"
        if summary.best is not None:
            text += (f", best {format_number(summary.best)} at "
                     f"{format_position(summary.best_step, summary.best_epoch)}")
        text += f" ({summary.trend.replace('_', ' ')})"
        rows.append(_row(analysis.panel_title(panel), html.escape(text)))
    best = analysis.best_checkpoint
    if best is not None:
        rows.append(_row("Best checkpoint", html.escape(format_position(best.step, best.epoch))))
    counts = {s: sum(f.severity is s for f in analysis.findings) for s in Severity}
    rows.append(_row("Findings", html.escape(
        f"{counts[Severity.CRITICAL]} critical, {counts[Severity.WARNING]} warning, "
        f"{counts[Severity.INFO]} info")))
    serious = [f for f in analysis.findings if f.severity is not Severity.INFO]
    if serious:
        items = "".join(
            f"<li><strong>{html.escape(f.severity.value)}</strong> "
            f"<code>{html.escape(f.kind.value)}</code>: {html.escape(f.message)}</li>"
            for f in serious[:MAX_LISTED_FINDINGS])
        more = len(serious) - MAX_LISTED_FINDINGS
        if more > 0:
            items += f"<li>and {more} more</li>"
        rows.append(_row("Attention", f'<ul style="margin:0;padding-left:1.2em">{items}</ul>'))
    if run.warnings:
        rows.append(_row("Read warnings", html.escape(plural(len(run.warnings), "warning"))))
    hint = ('<div style="color:#666;font-size:0.85em">Full report: '
            "<code>reportlib.build.build_report(run.path)</code> or "
            "<code>reportlib build RUN</code>.</div>")
    return head + f'<table style="{_STYLE}">' + "".join(rows) + "</table>" + hint


def register_jupyter_display(shell: Any) -> None:
    """Make IPython ``shell`` show a :class:`~reportlib.run.Run` or a
    :class:`~reportlib.pipeline.RunResult` as :func:`run_card_html`'s card."""
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type_by_name("reportlib.run", "Run", run_card_html)
    formatter.for_type_by_name("reportlib.pipeline", "RunResult", run_card_html)


__all__ = ["MAX_LISTED_FINDINGS", "register_jupyter_display", "run_card_html"]
