"""index.html: rows picked from summary.json, escaped, self-contained; folders scanned."""

from __future__ import annotations

import json
import re

import pytest

from reportlib.analysis import analyze_run
from reportlib.batch import index_rows, write_index
from reportlib.errors import ParameterError
from reportlib.formatting import format_number
from reportlib.ingest import load_run
from reportlib.present.index import IndexRow, index_row, render_index
from reportlib.summary import build_summary
from tests.conftest import EXAMPLE_NAME, OVERFIT_NAME


@pytest.fixture(scope="module")
def summaries(example_run, overfit_run):
    """summary.json content of both example runs (no notebook needed)."""
    out = {}
    for path in (example_run, overfit_run):
        run = load_run(path)
        out[path.name] = build_summary(run, analyze_run(run))
    return out


def _eval_values(run_dir, key):
    """Independent oracle: the values of ``key`` in trainer_state.json's log history."""
    state = json.loads((run_dir / "trainer_state.json").read_text(encoding="utf-8"))
    return [(entry["step"], entry[key]) for entry in state["log_history"] if key in entry]


@pytest.mark.parametrize("which", ["example_run", "overfit_run"])
def test_row_holds_the_runs_key_figures(summaries, request, which):
    run_dir = request.getfixturevalue(which)
    row = index_row(summaries[run_dir.name], href=f"{run_dir.name}/report.html")
    val = _eval_values(run_dir, "eval_loss")
    chrf = _eval_values(run_dir, "eval_chrf")
    train = [(s, v) for s, v in _eval_values(run_dir, "loss")]
    best_val_step, best_val = min(val, key=lambda sv: sv[1])
    best_chrf_step, best_chrf = max(chrf, key=lambda sv: sv[1])
    assert row.best_val_loss == pytest.approx(best_val) and row.best_val_step == best_val_step
    assert row.final_val_loss == pytest.approx(val[-1][1])
    assert row.best_metric == pytest.approx(best_chrf) and row.best_metric_step == best_chrf_step
    assert row.final_train_loss == pytest.approx(train[-1][1])
    assert row.best_train_loss == pytest.approx(min(v for _, v in train))
    assert row.metric == "chrF"
    assert row.href == f"{run_dir.name}/report.html"


def test_verdict_lists_warnings_and_criticals_only(summaries):
    row = index_row(summaries["tiny-codegen-overfit"], href=None)
    kinds = [kind for kind, _, _ in row.findings]
    assert "overfitting" in kinds
    assert all(sev in ("warning", "critical") for _, sev, _ in row.findings)
    assert index_row(summaries["tiny-codegen"], href=None).findings == ()


@pytest.mark.parametrize("bad", [{}, {"run": {}}, {"run": "x"}, []])
def test_row_of_something_else_is_refused(bad):
    with pytest.raises(ParameterError, match="not a reportlib summary.json"):
        index_row(bad, href=None)


def test_page_is_self_contained_and_escaped():
    rows = [
        IndexRow(name="<b>run</b>", title='"><script>alert(1)</script>', href="a/report.html",
                 best_val_loss=1.5, findings=(("spike", "warning", "<img src=x onerror=1>"),)),
        IndexRow(name="broken", error="trainer_state.json: <bad>"),
    ]
    page = render_index(rows, title="Runs & <more>")
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>run" not in page
    assert "&lt;b&gt;run&lt;/b&gt;" in page and "Runs &amp; &lt;more&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert page.count("<script>") == 1  # only the inline sort script
    assert len(re.findall(r"<tr class=\"run-", page)) == 2
    assert "build failed" in page and "2 runs, 1 failed to build" in page


def test_number_cells_carry_exact_sort_values():
    page = render_index([IndexRow(name="a", best_val_loss=4.682405471801758)])
    assert 'data-value="4.682405471801758">4.68<' in page


def _report(folder, summary, html=True):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    if html:
        (folder / "report.html").write_text("<html></html>", encoding="utf-8")


def test_index_scans_report_folders(summaries, tmp_path):
    _report(tmp_path / "tiny-codegen", summaries["tiny-codegen"])
    _report(tmp_path / "half-built", summaries["tiny-codegen-overfit"], html=False)
    (tmp_path / "garbled").mkdir()
    (tmp_path / "garbled" / "summary.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "unrelated").mkdir()  # no summary.json: not a report
    _report(tmp_path / "failed-now", summaries["tiny-codegen"])
    rows = {r.name: r for r in index_rows(tmp_path, failures={"failed-now": "it broke",
                                                              "never-read": "no such file"})}
    # Rows are named by the run (summary.json), or by the folder when there is no summary to read.
    assert set(rows) == {EXAMPLE_NAME, OVERFIT_NAME, "garbled", "failed-now", "never-read"}
    assert rows[EXAMPLE_NAME].href == "tiny-codegen/report.html"
    assert rows[EXAMPLE_NAME].error is None
    assert rows[OVERFIT_NAME].href is None
    assert "report.html is missing" in rows[OVERFIT_NAME].error
    assert "summary.json cannot be read" in rows["garbled"].error
    assert rows["failed-now"].error == "it broke" and rows["never-read"].error == "no such file"
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert 'href="tiny-codegen/report.html"' in page
    assert not list(tmp_path.glob(".index.html*"))  # written atomically, nothing left over


def _finding(kind, severity, message="m", panel="overall"):
    return {"kind": kind, "severity": severity, "message": message, "panel": panel,
            "evidence": {}}


def test_row_names_metric_format_steps_and_verdict(summaries):
    summary = dict(summaries["tiny-codegen-overfit"])
    row = index_row(summary, href="x/report.html", updated="2026-01-02 03:04")
    assert row.format == summary["run"]["format"]
    assert row.steps == max(c["last_step"] for c in summary["curves"])
    # The verdict is the report's first at-a-glance conclusion, in the analysis' words.
    assert row.headline is not None
    assert any(f["message"].startswith(row.headline[1]) for f in summary["findings"])
    page = render_index([row])
    assert f">chrF {format_number(row.best_metric)}<" in page
    assert ">2026-01-02 03:04<" in page and f">{row.steps}<" in page


@pytest.mark.parametrize("findings, tags, notes", [
    # Two findings of one kind: one tag with a count, not the same tag twice.
    ([_finding("spike", "warning"), _finding("spike", "warning")], ["spike \u00d72"], 0),
    # Reading notes are counted apart and are not warnings.
    ([_finding("ingest_warning", "warning", panel="caveat")] * 3, [], 3),
    ([_finding("overfitting", "warning"), _finding("ingest_warning", "warning", panel="caveat")],
     ["overfitting"], 1),
])
def test_tags_are_grouped_and_reading_notes_counted_apart(summaries, findings, tags, notes):
    summary = {**summaries["tiny-codegen"], "findings": findings}
    row = index_row(summary, href=None)
    assert row.reading_notes == notes
    assert all(kind != "ingest_warning" for kind, _, _ in row.findings)
    page = render_index([row])
    shown = re.findall(r'<span class="sev-warning"[^>]*>([^<]*)</span>', page)
    assert shown == tags
    if notes:
        assert f"{notes} reading note" in page
    else:
        assert "reading note" not in page


def test_long_errors_wrap_and_comparisons_are_linked():
    error = "x" * 500 + " <tag>"
    page = render_index([IndexRow(name="broken", error=error)],
                        comparisons=[("a vs <b>", "compare/a_vs_b/compare.html")])
    assert '<span class="error">' + "x" * 500 + " &lt;tag&gt;</span>" in page
    assert ".error { white-space: pre-wrap; overflow-wrap: anywhere; }" in page
    assert '<a href="compare/a_vs_b/compare.html">a vs &lt;b&gt;</a>' in page


def test_index_links_the_comparisons_in_the_folder(summaries, tmp_path):
    _report(tmp_path / "tiny-codegen", summaries["tiny-codegen"])
    (tmp_path / "compare" / "a_vs_b").mkdir(parents=True)
    (tmp_path / "compare" / "a_vs_b" / "compare.html").write_text("<html></html>")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert 'href="compare/a_vs_b/compare.html">a vs b<' in page
    assert re.search(r'data-value="\d{4}-\d\d-\d\d \d\d:\d\d"', page)  # when it was written


@pytest.mark.parametrize(
    ("log", "shown"),
    [
        # A real Keras log: val_accuracy in [0, 1], best 0.6259 -> "accuracy 62.6%".
        ("keras/keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log",
         lambda best: f">accuracy {format_number(100 * best)}%<"),
        # chrF is in points already: no percent sign, even though it is bounded.
        (None, lambda best: f">chrF {format_number(best)}<"),
    ],
    ids=["accuracy as a percentage", "chrF in points"],
)
def test_a_fraction_metric_reads_as_a_percentage(example_run, log, shown):
    from pathlib import Path

    path = example_run if log is None else Path(__file__).parent / "data" / log
    run = load_run(path)
    row = index_row(build_summary(run, analyze_run(run)), href="r.html")
    page = render_index([row])
    assert shown(row.best_metric) in page
    assert row.metric_is_fraction is (log is not None)
