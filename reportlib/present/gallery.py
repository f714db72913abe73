"""The sample gallery: the predictions behind a chrF change, shown side by side.

For the samples that improved most and regressed most from the first to the
best checkpoint (chosen by :mod:`reportlib.analysis.chrf_evidence`), the gallery
shows the prompt, the reference and both predictions, syntax-highlighted.
Every text is untrusted model output or data: Pygments escapes it, and
everything else written here goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from reportlib.formatting import format_number, plural

#: Language of the samples when run.yaml does not say (``language: ...``).
DEFAULT_LANGUAGE = "python"
#: Longest text shown per cell; longer outputs are cut (the files hold them whole).
MAX_CHARS = 1500
#: Most lines shown per cell: a degenerate output of many blank or repeated lines
#: would otherwise fill pages of the report (and of its PDF) with nothing.
MAX_LINES = 24

_FORMATTER = HtmlFormatter(noclasses=True, nowrap=True, style="default")

_STYLE = (
    "<style>"
    ".reportlib-gallery{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:6px;"
    "margin-bottom:1.2em;break-inside:avoid;page-break-inside:avoid}"
    ".reportlib-gallery h4{grid-column:1/-1;margin:0.6em 0 0.2em 0;font-size:0.95em}"
    ".reportlib-gallery pre{margin:0;padding:6px;background:#f7f7f7;font-size:0.72em;"
    "white-space:pre-wrap;overflow-wrap:anywhere;border:1px solid #e3e3e3}"
    ".reportlib-gallery pre.blank{color:#8a4b00;background:#fff8ee}"
    ".reportlib-gallery .cap{font-size:0.75em;color:#555;margin-bottom:2px}"
    "</style>"
)


def highlight_code(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``text`` as escaped, syntax-highlighted HTML (inline styles; plain text if unknown)."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = TextLexer()
    return highlight(_cut(text), lexer, _FORMATTER)


def _cut(text: str) -> str:
    """``text`` cut to :data:`MAX_CHARS` and :data:`MAX_LINES`, saying how much was left out."""
    lines = text[:MAX_CHARS].split("\n")
    shown = "\n".join(lines[:MAX_LINES])
    hidden_lines = text.count("\n") - shown.count("\n")
    if len(shown) < len(text):
        if hidden_lines:
            shown += f"\n… ({hidden_lines} more lines)"
        else:
            shown += f"\n… ({len(text) - len(shown)} more characters)"
    return shown


#: How each whitespace character is counted when a text holds nothing else.
_BLANK_NAMES: tuple[tuple[str, str], ...] = (("\n", "line break"), (" ", "space"),
                                             ("\t", "tab"), ("\r", "carriage return"))


def describe_blank(text: str) -> str | None:
    """What a whitespace-only ``text`` holds, e.g. ``"(empty: 41 line breaks)"``; None otherwise.

    A prediction of only newlines would show as a tall empty box, which reads as
    a rendering fault; the counts say what the model actually wrote.
    """
    if text.strip():
        return None
    if not text:
        return "(empty: no characters)"
    counts = [plural(text.count(ch), name) for ch, name in _BLANK_NAMES if ch in text]
    other = len(text) - sum(text.count(ch) for ch, _ in _BLANK_NAMES)
    if other:
        counts.append(plural(other, "other whitespace character"))
    return f"(empty: {', '.join(counts)})"


def text_cell_html(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """One gallery cell's ``<pre>``: highlighted text, or what a blank text holds."""
    blank = describe_blank(text)
    if blank is not None:
        return f'<pre class="blank"><em>{html.escape(blank)}</em></pre>'
    return f"<pre>{highlight_code(text, language)}</pre>"


def sample_gallery_html(
    score_analysis: Any,
    texts: Mapping[Hashable, Mapping[str, Any]],
    *,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """HTML of the most-improved and most-regressed samples, first vs best checkpoint.

    Parameters
    ----------
    score_analysis:
        :class:`~reportlib.analysis.chrf_evidence.ScoreAnalysis` (which samples, their scores).
    texts:
        :func:`reportlib.scoring.inputs.read_sample_texts` for those samples and
        the first and best checkpoints.
    language:
        Pygments lexer name for the code.
    """
    first, best = score_analysis.first_step, score_analysis.best_step
    parts = [_STYLE]
    groups = (("Most improved", score_analysis.top_improved),
              ("Most regressed", score_analysis.top_regressed))
    for title, changes in groups:
        parts.append(f"<h3>{html.escape(title)} from step {first} to step {best}</h3>")
        if not changes:
            parts.append("<p>None: no sample's chrF moved that way by a point or more.</p>")
            continue
        for change in changes:
            sample = texts.get(change.id)
            if sample is None:
                continue
            predictions = sample["predictions"]
            cells = [
                ("prompt", sample["prompt"]),
                ("reference", sample["reference"]),
                (f"step {first}: chrF {format_number(change.first)}", predictions.get(first, "")),
                (f"step {best}: chrF {format_number(change.best)}", predictions.get(best, "")),
            ]
            parts.append('<div class="reportlib-gallery">')
            parts.append(f"<h4>{html.escape(str(change.id))} "
                         f"({change.delta:+.3g} chrF)</h4>")
            for caption, text in cells:
                parts.append(f'<div><div class="cap">{html.escape(caption)}</div>'
                             f"{text_cell_html(str(text), language)}</div>")
            parts.append("</div>")
    return "\n".join(parts)


__all__ = ["DEFAULT_LANGUAGE", "describe_blank", "highlight_code", "sample_gallery_html",
           "text_cell_html"]
