"""The rich repr of a Run in a notebook: a compact, escaped HTML summary card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reportlib
from reportlib.present.run_card import MAX_LISTED_FINDINGS, register_jupyter_display, run_card_html
from reportlib.run import Run, make_scalars


@pytest.fixture(scope="module")
def shell():
    """An IPython shell with reportlib's card registered, as ``import reportlib`` does there."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    ipython = interactiveshell.InteractiveShell.instance()
    register_jupyter_display(ipython)
    return ipython


def _html(shell, obj) -> str:
    data, _ = shell.display_formatter.format(obj)
    return data["text/html"]


def _log(run_dir, key):
    state = json.loads((run_dir / "trainer_state.json").read_text(encoding="utf-8"))
    return [e[key] for e in state["log_history"] if key in e]


@pytest.mark.parametrize("which", ["example_run", "overfit_run"])
def test_card_shows_the_runs_key_numbers(request, shell, which):
    run_dir = request.getfixturevalue(which)
    run = reportlib.load_run(run_dir)
    card = _html(shell, run)
    assert run.name in card and str(run.meta["title"]) in card
    # Best values, from the log itself, at the report's 3 significant digits.
    assert f"best {min(_log(run_dir, 'eval_loss')):.3g}" in card
    assert f"best {max(_log(run_dir, 'eval_chrf')):.3g}" in card
    assert f"{len(_log(run_dir, 'eval_loss'))} evaluations" in card


def test_card_lists_findings_that_need_attention(shell, overfit_run):
    card = _html(shell, reportlib.load_run(overfit_run))
    assert "Attention" in card and "<code>overfitting</code>" in card
    assert card.count("<li>") <= MAX_LISTED_FINDINGS + 1


@pytest.mark.parametrize("load", [reportlib.load_run, reportlib.analyze])
def test_ipython_displays_the_card_of_a_run_and_of_its_analysis(shell, example_run, load):
    assert "Validation loss" in _html(shell, load(example_run))


def test_the_card_says_what_the_report_says(shell, example_run):
    """The card goes through the pipeline: predictions scored, so chrF findings appear."""
    result = reportlib.analyze(example_run)
    card = _html(shell, reportlib.load_run(example_run))
    serious = [f for f in result.analysis.findings if f.severity.value != "info"]
    assert serious, "the example run has a warning (chrF fell after its best checkpoint)"
    for finding in serious[:MAX_LISTED_FINDINGS]:
        assert f"<code>{finding.kind.value}</code>" in card


def test_the_data_model_does_not_import_the_presentation_layer():
    """No import cycle: run.py knows nothing of present/ (the card is registered from there)."""
    source = Path(reportlib.run.__file__).read_text(encoding="utf-8")
    assert "reportlib.present" not in source and "_repr_html_" not in source


def test_card_escapes_text_from_the_log(example_run):
    run = reportlib.load_run(example_run)
    run.meta["title"] = "<img src=x onerror=alert(1)>"
    run.name = "<b>name</b>"
    card = run_card_html(run)
    assert "<img" not in card and "<b>name" not in card
    assert "&lt;img src=x onerror=alert(1)&gt;" in card


def test_card_of_an_empty_run_says_what_is_missing(tmp_path):
    run = Run("empty", tmp_path, "test", scalars=make_scalars([]))
    card = run_card_html(run)
    assert "0 evaluations" in card and "0 values in 0 curves" in card
    assert "Validation loss</th>" not in card  # no curve, no row for it...
    assert "<code>no_data</code>: Validation loss was not logged" in card  # ...but it is said
