""""At a glance": the few conclusions of a report, most severe first, above everything else.

Picked from the analysis' findings, never made here: each item is one
finding's own message (with its numbers), its severity and a link to the
section below that holds its evidence. Only the order and the number shown
are decided here, generically from ``kind``, ``severity`` and ``panel``, so a
finding kind added to the analysis later is shown without a change here.
Works on :class:`~reportlib.analysis.Finding` objects and on the finding
dicts of ``summary.json`` alike (the index page has only the latter).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportlib.formatting import plural
from reportlib.present.narrative import escape_inline

MAX_ITEMS = 6
"""Most conclusions shown: a reader takes in about six lines in the half-minute the
at-a-glance box is for; every finding stays in the sections below."""

SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
"""Most severe first; an unknown severity goes after ``info``."""

KIND_ORDER: tuple[str, ...] = (
    "non_finite", "divergence", "overfitting", "val_loss_rising", "no_improvement",
    "early_stopping", "best_checkpoint", "test_results", "no_overfitting", "getting_worse",
    "still_improving", "plateau",
    "chrf_drop_after_best", "chrf_gain_not_significant", "chrf_gain_significant",
    "metric_disagrees_with_loss", "spike",
)
"""Among findings of one severity, the ones that answer "what happened, which checkpoint
to keep, what next" come first (in this order); any other kind follows, in the
analysis' own order. Ordering only: no finding is judged here."""

PANEL_ORDER: dict[str, int] = {
    "overall": 0, "val_loss": 1, "eval_metric": 2, "train_loss": 3, "caveat": 4,
}
"""Run-level conclusions before a single curve's, caveats last (for kinds not in
:data:`KIND_ORDER`)."""

SECTION_TITLES: dict[str, str] = {
    "overall": "Overall observations",
    "caveat": "Caveats",
}
"""The narrative's section headings for the non-curve panels (the curve panels'
headings are their titles)."""

READING_NOTE_KINDS: frozenset[str] = frozenset({"ingest_warning"})
"""Findings that say how the log was read (a repaired line, a replaced range), not how the
run went: not conclusions about the run, so they are counted in one line after the
conclusions instead of taking their places; each is listed in the report's warnings."""

LABELS: dict[str, str] = {"critical": "Critical", "warning": "Warning", "info": "Note"}
"""The word shown before each item, by severity."""


@dataclass(frozen=True)
class GlanceItem:
    """One at-a-glance line: a finding's kind, severity, message and where its evidence is."""

    kind: str
    severity: str
    message: str
    section: str

    @property
    def sentence(self) -> str:
        """The message's first sentence: the conclusion and its numbers (the rest is below)."""
        return first_sentence(self.message)

    @property
    def anchor(self) -> str:
        """The HTML id of the evidence section, as nbconvert writes a heading's id."""
        return heading_anchor(self.section)


_SENTENCE_END = re.compile(r"(?<=[a-z0-9)%][.!?])\s+(?=[A-Z])")


def first_sentence(text: str) -> str:
    """The first sentence of ``text``: up to a full stop followed by a capital letter.

    A decimal point is never an end (no space follows it); the analysis writes
    one conclusion per sentence, its qualifiers in the sentences after it.
    """
    return _SENTENCE_END.split(str(text).strip(), maxsplit=1)[0]


def heading_anchor(title: str) -> str:
    """The ``id`` nbconvert gives a Markdown heading: its text with spaces as dashes."""
    return "-".join(str(title).split())


def _field(finding: Any, name: str) -> str:
    value = finding.get(name) if isinstance(finding, Mapping) else getattr(finding, name, None)
    return str(getattr(value, "value", value) or "")


def _section(panel: str, panel_titles: Mapping[str, str]) -> str:
    return SECTION_TITLES.get(panel) or panel_titles.get(panel) or "Overall observations"


def glance_items(findings: Iterable[Any], *, panel_titles: Mapping[str, str] | None = None,
                 limit: int = MAX_ITEMS) -> list[GlanceItem]:
    """The at-a-glance items of a report: at most ``limit`` findings, most severe first.

    Parameters
    ----------
    findings:
        :class:`~reportlib.analysis.Finding` objects or ``summary.json`` finding dicts.
    panel_titles:
        Heading of each curve panel's section (``{"eval_metric": "Validation chrF"}``).
    limit:
        Most items returned.

    Returns
    -------
    list of :class:`GlanceItem`: one per kind (the first of its kind in that
    order), ordered by severity, then :data:`KIND_ORDER`, then panel; then, if
    there is room, one line counting the :data:`READING_NOTE_KINDS` findings.
    """
    titles = {"train_loss": "Training loss", "val_loss": "Validation loss",
              "eval_metric": "Evaluation metric", **(panel_titles or {})}
    ranked = []
    for position, finding in enumerate(findings):
        kind, severity = _field(finding, "kind"), _field(finding, "severity")
        panel = _field(finding, "panel") or "overall"
        kind_rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
        key = (SEVERITY_ORDER.get(severity, len(SEVERITY_ORDER)), kind_rank,
               PANEL_ORDER.get(panel, len(PANEL_ORDER)), position)
        ranked.append((key, GlanceItem(kind, severity, _field(finding, "message"),
                                       _section(panel, titles))))
    items: list[GlanceItem] = []
    seen: set[str] = set()
    notes = 0
    for _, item in sorted(ranked, key=lambda pair: pair[0]):
        if item.kind in READING_NOTE_KINDS:
            notes += 1
        elif item.kind not in seen and item.message and len(items) < limit:
            seen.add(item.kind)
            items.append(item)
    if notes and len(items) < limit:
        items.append(GlanceItem(
            "reading_notes", "info",
            f"Reading the log left {plural(notes, 'note')} "
            "(values repaired or skipped), listed with the warnings.",
            "Warnings from reading the log"))
    return items


def _panel_titles(analysis: Any) -> dict[str, str]:
    titles = {}
    for panel in ("train_loss", "val_loss", "eval_metric"):
        try:
            titles[panel] = analysis.panel_title(panel)
        except (AttributeError, KeyError, ValueError):
            continue
    return titles


def glance_html(analysis: Any) -> str:
    """The at-a-glance box of report.html: an escaped list, each item linking to its evidence."""
    items = glance_items(analysis.findings, panel_titles=_panel_titles(analysis))
    if not items:
        return ('<div class="reportlib-glance"><p>The analysis drew no conclusion from this '
                "log; the sections below show what it holds.</p></div>")
    lines = []
    for item in items:
        sev = html.escape(item.severity, quote=True)
        lines.append(
            f'<li class="glance-{sev}"><span class="glance-label">'
            f"{html.escape(LABELS.get(item.severity, item.severity))}</span> "
            f"{html.escape(item.sentence)} "
            f'<a href="#{html.escape(item.anchor, quote=True)}">evidence: '
            f"{html.escape(item.section)}</a></li>")
    return '<div class="reportlib-glance"><ul>' + "".join(lines) + "</ul></div>"


def glance_markdown(analysis: Any, *, heading_level: int = 2) -> str:
    """The at-a-glance section as Markdown (report.md): heading and one line per item."""
    items = glance_items(analysis.findings, panel_titles=_panel_titles(analysis))
    lines = [f"{'#' * heading_level} At a glance", ""]
    if not items:
        lines.append("The analysis drew no conclusion from this log.")
    for item in items:
        label = LABELS.get(item.severity, item.severity)
        lines.append(f"- **{escape_inline(label)}:** {escape_inline(item.sentence)} "
                     f"(evidence: {escape_inline(item.section)})")
    return "\n".join(lines) + "\n"


def verdict(findings: Sequence[Any]) -> GlanceItem | None:
    """The first at-a-glance item (the index shows it as a run's verdict), or None."""
    items = glance_items(findings, limit=1)
    return items[0] if items else None


__all__ = [
    "KIND_ORDER", "MAX_ITEMS", "PANEL_ORDER", "READING_NOTE_KINDS", "SEVERITY_ORDER",
    "GlanceItem", "first_sentence", "glance_html", "glance_items", "glance_markdown",
    "heading_anchor", "verdict",
]
