"""``report.md``: the results table and the written analysis, ready to paste.

The table follows Hugging Face's model card "Training results" section (what
``Trainer.create_model_card`` writes): one row per evaluation with Training
Loss, Epoch, Step, Validation Loss and the metrics, values with more than
four decimals rounded to four, "No log" where no training loss was logged
yet, columns padded and centred. The narrative is the report's own
(:func:`reportlib.present.narrative.render_narrative`), so the Markdown file
and the HTML report say the same thing with the same numbers.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from reportlib.analysis import RunAnalysis
from reportlib.formatting import format_epoch, plural
from reportlib.present.glance import glance_markdown
from reportlib.present.narrative import escape_inline, render_narrative
from reportlib.present.tables import TRAINING_LOSS_COLUMN, evaluations_table
from reportlib.run import Run

#: Decimals kept by Hugging Face's model card table (``modelcard._maybe_round``).
HF_DECIMALS = 4
#: What the model card writes for an evaluation before any training loss was logged.
NO_LOG = "No log"
#: Characters of the input hash shown in the footer: enough to tell inputs apart by eye.
HASH_CHARS = 16
#: Values that read the same in Markdown as in plain text (versions, numbers, names).
_PLAIN = re.compile(r"[A-Za-z0-9.+ -]*")


def format_cell(value: Any, *, decimals: int = HF_DECIMALS) -> str:
    """One value of the results table, as Hugging Face's model card writes it.

    A float whose ``str()`` has more than ``decimals`` decimals is rounded to
    ``decimals``; other values are written as ``str()`` gives them, except
    non-finite floats (``NaN``, ``inf``, ``-inf``), so a diverged run reads as
    such, and ``None`` (empty).
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = str(value)
        if "." in text and "e" not in text and len(text.split(".")[1]) > decimals:
            return f"{value:.{decimals}f}"
        return text
    return str(value)


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A padded, centred Markdown table (Hugging Face's ``make_markdown_table`` layout).

    Parameters
    ----------
    rows:
        One mapping per row; each holds every name in ``columns``.
    columns:
        Column names, in order (escaped for Markdown here).

    Returns
    -------
    str ending with a newline, or "" when ``columns`` is empty.
    """
    if not columns:
        return ""
    header = [_cell_text(c) for c in columns]
    body = [[_cell_text(format_cell(row[c])) for c in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]

    def line(values: Sequence[str]) -> str:
        padded = (f"| {v}" + " " * (w - len(v) + 1) for v, w in zip(values, widths, strict=True))
        return "".join(padded) + "|\n"

    rule = "".join("|:" + "-" * w + ":" for w in widths) + "|\n"
    return line(header) + rule + "".join(line(r) for r in body)


def _cell_text(value: Any) -> str:
    # A pipe would end the cell; a line break would end the row; a metric name
    # from a log must not become HTML where the Markdown is rendered.
    return html.escape(" ".join(str(value).split()), quote=False).replace("|", "\\|")


def _plain(value: Any) -> str:
    """A short value in mid-sentence: as is when it has no Markdown specials, else escaped."""
    text = str(value)
    return text if _PLAIN.fullmatch(text) else escape_inline(text)


def results_table_markdown(source: RunAnalysis | Run) -> str:
    """The model card "Training results" table of a run (one row per evaluation).

    Returns "" when the run has no evaluation. Raises
    :class:`~reportlib.errors.ParameterError` as
    :func:`~reportlib.present.tables.evaluations_table` does.
    """
    table = evaluations_table(source)
    if table.empty:
        return ""
    records = table.to_dict(orient="records")
    for record in records:
        loss = record.get(TRAINING_LOSS_COLUMN)
        if loss is None or (isinstance(loss, float) and math.isnan(loss)):
            record[TRAINING_LOSS_COLUMN] = NO_LOG
    return markdown_table(records, [str(c) for c in table.columns])


def render_markdown(
    run: Run, analysis: RunAnalysis, *, provenance: Mapping[str, Any] | None = None
) -> str:
    """The whole ``report.md``: title, facts line, at a glance, results table, analysis,
    warnings, footer.

    Parameters
    ----------
    run:
        The run.
    analysis:
        Its analysis.
    provenance:
        :func:`reportlib.provenance.signature` of the report (version,
        parameters, input hash) for the footer; None leaves the footer out.

    Returns
    -------
    str: Markdown, ending with a newline. Text from the log or run.yaml is escaped.
    """
    title = run.meta.get("title") or run.name
    facts = [f"Run {escape_inline(run.name)} (format {escape_inline(run.format)})"]
    if analysis.total_steps is not None:
        facts.append(f"{analysis.total_steps} steps")
    if analysis.epochs is not None:
        facts.append(f"{format_epoch(analysis.epochs)} epochs")
    facts.append(plural(analysis.n_evaluations, "evaluation"))
    blocks = [f"# Training report: {escape_inline(title)}", ", ".join(facts) + "."]
    blocks.append(glance_markdown(analysis).rstrip("\n"))

    table = results_table_markdown(analysis)
    blocks.append("## Training results")
    blocks.append(table.rstrip("\n") if table else "No evaluation was logged.")
    blocks.append("## Analysis")
    blocks.append(render_narrative(analysis, heading_level=3).rstrip("\n"))
    if run.warnings:
        blocks.append("## Warnings from reading the log")
        blocks.append("\n".join(f"- {escape_inline(w)}" for w in run.warnings))
    if provenance is not None:
        params = ", ".join(f"{_plain(k)}={_plain(v)}"
                           for k, v in provenance.get("parameters", {}).items()
                           if k != "run_dir")  # a local path means nothing in a model card
        files = len(provenance.get("input_files", []))
        blocks.append(
            f"---\n\nMade by reportlib {_plain(provenance.get('reportlib_version'))}"
            + (f" with {params}" if params else "")
            + f" from {files} input files, sha256 "
            f"`{str(provenance.get('input_sha256', ''))[:HASH_CHARS]}`."
        )
    return "\n\n".join(blocks) + "\n"


__all__ = [
    "HF_DECIMALS",
    "NO_LOG",
    "format_cell",
    "markdown_table",
    "render_markdown",
    "results_table_markdown",
]
