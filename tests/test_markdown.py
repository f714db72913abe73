"""report.md: Hugging Face's "Training results" table and the narrative, ready to paste."""

from __future__ import annotations

import json
import math

import pytest

from reportlib.analysis import analyze_run
from reportlib.errors import ParameterError
from reportlib.ingest import load_run
from reportlib.present import markdown
from reportlib.provenance import signature
from reportlib.run import Run, make_scalars


def _table_columns(table: str) -> dict[str, list[str]]:
    """A Markdown table as {header: [cells]}."""
    lines = [line for line in table.strip().splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    header, body = rows[0], rows[2:]
    return {name: [row[i] for row in body] for i, name in enumerate(header)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5.864037036895752, "5.8640"),  # more than 4 decimals: rounded to 4, as HF does
        (2.5, "2.5"),                   # 4 or fewer: as str() writes it
        (1.0, "1.0"),
        (57, "57"),
        ("No log", "No log"),
        (float("nan"), "NaN"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (None, ""),
        (1e-05, "1e-05"),
    ],
)
def test_cells_are_formatted_like_hugging_face(value, expected):
    assert markdown.format_cell(value) == expected


def test_table_matches_transformers_model_card(example_run):
    """The same rows as transformers' own model-card table for this trainer_state.json."""
    modelcard = pytest.importorskip("transformers.modelcard")
    state = json.loads((example_run / "trainer_state.json").read_text(encoding="utf-8"))
    _, lines, _ = modelcard.parse_log_history(state["log_history"])
    theirs = _table_columns(modelcard.make_markdown_table(lines))
    ours = _table_columns(markdown.results_table_markdown(load_run(example_run)))
    theirs["chrF"] = theirs.pop("Chrf")  # transformers capitalises keys; we show the metric name
    assert set(ours) == set(theirs)
    for column, cells in theirs.items():
        assert ours[column] == cells, column


def test_evaluation_before_any_training_loss_reads_no_log(tmp_path):
    rows = [
        {"step": 5, "epoch": 0.5, "split": "eval", "metric": "loss", "value": 3.0,
         "source_key": "eval_loss"},
        {"step": 10, "epoch": 1.0, "split": "train", "metric": "loss", "value": 2.5,
         "source_key": "loss"},
        {"step": 10, "epoch": 1.0, "split": "eval", "metric": "loss", "value": float("nan"),
         "source_key": "eval_loss"},
    ]
    run = Run("r", tmp_path, "test", scalars=make_scalars(rows))
    columns = _table_columns(markdown.results_table_markdown(run))
    assert columns["Training Loss"] == ["No log", "2.5"]
    assert columns["Validation Loss"] == ["3.0", "NaN"]  # a diverged evaluation stays visible
    assert columns["Step"] == ["5", "10"]


def test_no_evaluation_gives_no_table(tmp_path):
    rows = [{"step": 1, "split": "train", "metric": "loss", "value": 1.0, "source_key": "loss"}]
    run = Run("r", tmp_path, "test", scalars=make_scalars(rows))
    assert markdown.results_table_markdown(run) == ""
    text = markdown.render_markdown(run, analyze_run(run))
    assert "No evaluation was logged." in text


def test_table_escapes_pipes_and_line_breaks():
    table = markdown.markdown_table([{"a|b": "x\ny|z"}], ["a|b"])
    header, rule, row = table.splitlines()
    assert header == r"| a\|b   |" and row == r"| x y\|z |"
    assert rule == "|:" + "-" * 6 + ":|"


def test_results_table_refuses_other_inputs():
    with pytest.raises(ParameterError, match="takes a RunAnalysis or a Run, got str"):
        markdown.results_table_markdown("not a run")


def test_document_holds_table_narrative_and_provenance(overfit_run):
    run = load_run(overfit_run)
    analysis = analyze_run(run)
    provenance = signature(run, {"run_dir": str(overfit_run), "smoothing": 0.6})
    text = markdown.render_markdown(run, analysis, provenance=provenance)
    sections = [line for line in text.splitlines() if line.startswith("#")]
    assert sections[:4] == [f"# Training report: {run.meta['title']}", "## At a glance",
                            "## Training results", "## Analysis"]
    assert "### Overall observations" in sections and "### Caveats" in sections
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + analysis.n_evaluations  # header + one row per evaluation
    # The overfitting finding is in the narrative, in the words of the analysis.
    overfit = next(f for f in analysis.findings if f.kind.value == "overfitting")
    assert overfit.message.split(":")[0] in text
    # ... and first in the at-a-glance lines, before the results table.
    glance_part = text.split("## At a glance")[1].split("## Training results")[0]
    first = glance_part.strip().splitlines()[0]
    assert first.startswith("- **Warning:** " + overfit.message.split(":")[0])
    assert f"sha256 `{provenance['input_sha256'][:markdown.HASH_CHARS]}`" in text
    assert str(overfit_run) not in text  # a local path means nothing in a model card


def test_text_from_the_log_is_escaped(example_run):
    run = load_run(example_run)
    run.meta["title"] = "<script>alert(1)</script> *bold* | pipe"
    text = markdown.render_markdown(run, analyze_run(run))
    first = text.splitlines()[0]
    assert "<script>" not in text
    assert first == r"# Training report: &lt;script&gt;alert(1)&lt;/script&gt; \*bold\* \| pipe"


@pytest.mark.slow
def test_build_writes_report_md(built_report):
    result, _ = built_report
    text = (result.report_dir / "report.md").read_text(encoding="utf-8")
    summary = json.loads(result.summary.read_text(encoding="utf-8"))
    assert "| Training Loss |" in text
    val = next(c for c in summary["curves"] if (c["split"], c["metric"]) == ("eval", "loss"))
    # Narrative numbers at 3 significant digits; table numbers at HF's 4 decimals.
    assert f"{val['first']:.3g}" in text and f"{val['last']:.3g}" in text
    assert f"{val['best']:.4f}" in text
    assert not math.isnan(val["best"])
