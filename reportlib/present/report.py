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
from reportlib.run import Run

#: What the report says where the samples section would be, for a run without predictions.
NO_PREDICTIONS_MARKDOWN = (
    "This run folder has no prediction files (`references.jsonl` and "
    "`predictions/<step>.jsonl`), so chrF could not be recomputed, tested for significance "
    "or traced to samples; any chrF above is the log's own."
)


def header_markdown(run: Run) -> str:
    """The report's title line and a one-line description of what was read."""
    title = run.meta.get("title") or run.name
    return (
        f"# Training report: {escape_inline(title)}\n\n"
        f"Read from {escape_inline(run.path)} (format: {escape_inline(run.format)}), "
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
