"""The written analysis: Markdown rendered from a :class:`~reportlib.analysis.RunAnalysis`.

One section per curve panel (start and end values, trend, best value, then the
panel's findings as evidence), then "Overall observations", then "Caveats".
Every number comes from the analysis through :mod:`reportlib.formatting`;
nothing here computes a statistic or knows about a particular run. Text that
may come from a log (metric names, ingest warnings quoting file content) is
escaped, since the report renders this Markdown to HTML.
"""

from __future__ import annotations

import html
import re

from reportlib.analysis import CURVE_PANELS, CurveSummary, Finding, RunAnalysis, Severity
from reportlib.errors import ParameterError
from reportlib.formatting import format_number, format_percent, format_position, plural

#: Characters backslash-escaped anywhere in inline text: they open emphasis,
#: code, links, tables, strikethrough, headings or math (Jupyter renders $...$).
_INLINE_SPECIALS = frozenset("\\`*_[]{}|~$#")
#: A line-leading list, quote or heading marker ("- ", "1. ", "> ", "+ ", "=").
_LEADING_MARKER = re.compile(r"^(\d+)([.)])|^([-+=>])")

MAX_PERCENT_SHOWN = 10.0
"""A relative change of 1000% or more (a chrF rising from 0.03) is not written as a
percentage: the two values say more than "+34776%"."""

TREND_WORDS: dict[str, str] = {
    "decreasing": "decreasing",
    "increasing": "increasing",
    "flat": "flat (its first and last few points differ by less than their noise or 2%, and "
            "in between its running median stayed within a quarter of their level, or within "
            "what its noise allows)",
    "swinging": "not one direction: its first and last few points are close, but in between "
                "it moved far from them",
    "too_few_points": "not known (too few points to tell a trend from noise)",
}
"""How each trend value reads in a sentence."""

SEVERITY_LABELS: dict[Severity, str] = {
    Severity.INFO: "",
    Severity.WARNING: "**Warning:** ",
    Severity.CRITICAL: "**Critical:** ",
}
"""The marker put before a finding's message in the narrative."""


def escape_inline(text: object) -> str:
    """``text`` as inert inline Markdown, readable in the ``.md`` file.

    Collapses whitespace to single spaces, HTML-escapes ``& < >`` and
    backslash-escapes the Markdown specials of :data:`_INLINE_SPECIALS`, plus a
    list, quote or heading marker at the start. Digits, dots, dashes and
    parentheses inside the text stay as they are, so ``-13.8%`` reads as such.
    """
    flat = " ".join(str(text).split())
    escaped = html.escape(flat, quote=False)
    escaped = "".join("\\" + ch if ch in _INLINE_SPECIALS else ch for ch in escaped)
    return _LEADING_MARKER.sub(
        lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", escaped
    )


def _unit(summary: CurveSummary) -> str:
    return "logged point" if summary.split == "train" else "evaluation"


def curve_sentences(title: str, summary: CurveSummary) -> list[str]:
    """Plain-text sentences describing one curve's summary (start, end, change, trend, best).

    Parameters
    ----------
    title:
        The panel title (``"Validation chrF"``), plain text.
    summary:
        The curve's summary from the analysis.

    Returns
    -------
    list of sentences (not escaped).
    """
    unit = _unit(summary)
    if summary.n_finite == 0:
        return [f"{title} has {plural(summary.points, 'logged value')}, none of them finite."]
    if summary.n_finite == 1:
        return [f"{title} has a single finite value: {format_number(summary.first)} at "
                f"{format_position(summary.first_step, summary.first_epoch)}."]
    change = ""
    last_word = " (its last finite value)" if summary.ends_non_finite else ""
    if summary.relative_change is not None and abs(summary.relative_change) < MAX_PERCENT_SHOWN:
        change = f", a change of {format_percent(summary.relative_change, signed=True)}"
    sentences = [
        f"{title} went from {format_number(summary.first)} at "
        f"{format_position(summary.first_step, summary.first_epoch)} to "
        f"{format_number(summary.last)} at {format_position(summary.last_step, summary.last_epoch)}"
        f"{last_word}{change}, over {plural(summary.n_finite, 'finite ' + unit)}.",
        f"Its trend is {TREND_WORDS.get(summary.trend, summary.trend)}{_trend_basis(summary)}.",
    ]
    if summary.best is not None:
        if summary.best_step == summary.last_step:
            sentences.append("Its best value is its last finite one." if summary.ends_non_finite
                             else "Its best value is its last one.")
        else:
            sentences.append(f"Its best value was {format_number(summary.best)} at "
                             f"{format_position(summary.best_step, summary.best_epoch)}.")
    return sentences


def _trend_basis(summary: CurveSummary) -> str:
    """What a rising or falling trend compares, when the first and last values alone go
    the other way (accuracy 0.902 -> 0.779, yet its first two have a median of 0.658 and
    its last two 0.797): without it the sentence would contradict its own numbers."""
    evidence = summary.trend_evidence
    if evidence is None or summary.trend not in ("increasing", "decreasing"):
        return ""
    if evidence.halves is not None:
        first, second = evidence.halves
        half = summary.n_finite // 2
        return (f" (the mean of its first {plural(half, _unit(summary))}, "
                f"{format_number(first)}, against that of its last {half}, "
                f"{format_number(second)}, a change beyond twice its standard error: its ends "
                "alone are too noisy to show it)")
    if evidence.start is None or evidence.end is None or summary.first is None \
            or summary.last is None:
        return ""
    rising = evidence.end > evidence.start
    if (summary.last > summary.first) == rising or summary.last == summary.first:
        return ""
    k = evidence.k
    what = (f"the median of its first {plural(k, _unit(summary))}" if k > 1
            else f"its first {_unit(summary)}")
    last = f"that of its last {k}" if k > 1 else f"its last {_unit(summary)}"
    return (f" ({what}, {format_number(evidence.start)}, against {last}, "
            f"{format_number(evidence.end)}: its first and last values alone go the "
            "other way)")


def finding_line(finding: Finding) -> str:
    """One finding as a Markdown list item: severity marker and escaped message."""
    return f"- {SEVERITY_LABELS[finding.severity]}{escape_inline(finding.message)}"


def render_narrative(analysis: RunAnalysis, *, heading_level: int = 3) -> str:
    """Render the written analysis of a run as Markdown.

    Parameters
    ----------
    analysis:
        The run's analysis.
    heading_level:
        Markdown level of the section headings (1-6); 3 by default, since the
        report places the narrative under its own "Learning curves" heading.

    Returns
    -------
    str: Markdown with one section per panel ("Training loss", "Validation
    loss", "Validation <metric>"), then "Overall observations", then "Caveats".

    Raises
    ------
    reportlib.errors.ParameterError
        ``heading_level`` is not an integer from 1 to 6.
    """
    if isinstance(heading_level, bool) or not isinstance(heading_level, int) \
            or not 1 <= heading_level <= 6:
        raise ParameterError(f"heading_level must be an integer from 1 to 6, got {heading_level!r}")
    hashes = "#" * heading_level
    blocks: list[str] = []
    for panel in CURVE_PANELS:
        title = analysis.panel_title(panel)
        lines = [f"{hashes} {escape_inline(title)}", ""]
        summary = analysis.curve(panel)
        if summary is not None:
            lines.append(" ".join(escape_inline(s) for s in curve_sentences(title, summary)))
        findings = analysis.findings_for(panel)
        if findings:
            if summary is not None:
                lines.append("")
            lines += [finding_line(f) for f in findings]
        elif summary is None:
            lines.append(f"No {escape_inline(title[:1].lower() + title[1:])} in this log.")
        blocks.append("\n".join(lines))

    overall = analysis.findings_for("overall")
    lines = [f"{hashes} Overall observations", ""]
    if overall:
        lines += [finding_line(f) for f in overall]
    elif analysis.panels.get("val_loss") or analysis.panels.get("eval_metric"):
        # Evaluated, but every cross-curve claim was withheld (e.g. a broken objective).
        lines.append("No observation across curves: none could be made from these curves "
                     "(the findings above say why).")
    else:
        lines.append("Nothing to compare across curves: the log has no validation loss or "
                     "evaluation metric to set against training.")
    blocks.append("\n".join(lines))

    caveats = analysis.findings_for("caveat")
    lines = [f"{hashes} Caveats", ""]
    if caveats:
        lines += [finding_line(f) for f in caveats]
    else:
        lines.append("None: no caveat rule fired (no curve with too few points, no small "
                     "dataset or short training reported, no warnings from reading the log).")
    blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


__all__ = [
    "MAX_PERCENT_SHOWN",
    "SEVERITY_LABELS",
    "TREND_WORDS",
    "curve_sentences",
    "escape_inline",
    "finding_line",
    "render_narrative",
]
