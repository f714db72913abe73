"""The pieces of the report page around the figure and the narrative.

Each function returns Markdown or HTML text built from the run, its analysis
and its provenance. Text that comes from logs or run.yaml is untrusted: it is
escaped here so a run name or a note cannot inject HTML into the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from reportlib.present.narrative import escape_inline
from reportlib.provenance import portable_path
from reportlib.run import Run

#: What the report says where the samples section would be, for a run without predictions.
NO_PREDICTIONS_MARKDOWN = (
    "This run folder has no prediction files (`references.jsonl` and "
    "`predictions/<step>.jsonl`), so chrF could not be recomputed, tested for significance "
    "or traced to samples; any chrF above is the log's own."
)


#: The samples section's heading and what it shows, for a run whose predictions were scored.
SAMPLES_INTRO_MARKDOWN = (
    "## The samples behind chrF\n\n"
    "Per-sample chrF of the scored checkpoints (a box per checkpoint, a dot per sample), then "
    "the samples whose chrF rose and fell most from the first to the best checkpoint, with "
    "their prompt, reference and both predictions."
)


def samples_section_markdown(analysis: Any, scores: Any) -> str:
    """The heading and introduction of the samples section, or "" to leave it out.

    With scored predictions: what the section shows. Without, for a run whose
    metric is chrF (from its log): why the samples cannot be shown. For a run
    without chrF at all the section is left out: there is nothing it could show.
    """
    if scores is not None:
        return SAMPLES_INTRO_MARKDOWN
    key = (getattr(analysis, "panels", None) or {}).get("eval_metric")
    if key is not None and str(key[1]).lower().startswith("chrf"):
        return "## The samples behind chrF\n\n" + NO_PREDICTIONS_MARKDOWN
    return ""


def evaluations_html(analysis: Any) -> str:
    """The evaluations table (columns never filled left out), or a sentence when there is none."""
    from reportlib.present.tables import evaluations_table

    frame = evaluations_table(analysis, drop_empty=True)
    if frame.empty:
        return "<p>No evaluation was logged, so there is no table of evaluations.</p>"
    return table_html(frame)


def header_markdown(run: Run) -> str:
    """The report's title line and a one-line description of what was read."""
    title = run.meta.get("title") or run.name
    return (
        f"# Training report: {escape_inline(title)}\n\n"
        f"Read from {escape_inline(portable_path(run.path))} "
        f"(format: {escape_inline(run.format)}), "
        f"{len(run.scalars)} logged values in {len(run.curves())} curves."
    )


def table_html(frame: pd.DataFrame, *, float_format: str = "{:.4g}", facts: bool = False) -> str:
    """An escaped HTML table of ``frame`` (cells from logs are shown as text).

    ``facts=True`` styles a two-column fact/value table (left-aligned text)
    rather than a table of numbers.
    """
    return frame.to_html(
        index=False,
        escape=True,
        na_rep="–",
        float_format=float_format.format,
        border=0,
        classes="reportlib-facts" if facts else "reportlib-table",
    )


def warnings_markdown(run: Run) -> str:
    """The ingest warnings as a Markdown list, or a sentence saying there were none."""
    if not run.warnings:
        return "## Warnings from reading the log\n\nNone: every logged value was read as is."
    items = "\n".join(f"- {escape_inline(w)}" for w in run.warnings)
    return f"## Warnings from reading the log\n\n{len(run.warnings)} warning(s):\n\n{items}"


def footer_markdown(provenance: Mapping[str, Any]) -> str:
    """The footer: reportlib's version, the parameters and the hash of the inputs."""
    params = ", ".join(
        f"{escape_inline(k)}={escape_inline(v)}" for k, v in provenance["parameters"].items()
    )
    files = ", ".join(escape_inline(f) for f in provenance.get("input_files", []))
    return (
        "---\n\n"
        f"<small>Made by reportlib {escape_inline(provenance['reportlib_version'])} · "
        f"parameters: {params} · inputs ({files}) "
        f"sha256 {provenance['input_sha256'][:16]}</small>"
    )
