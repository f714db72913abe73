"""The rich repr of a Run in a notebook: a compact, escaped HTML summary card."""

from __future__ import annotations

import json

import pytest

import reportlib
from reportlib.present.run_card import MAX_LISTED_FINDINGS, run_card_html
from reportlib.run import Run, make_scalars


def _log(run_dir, key):
    state = json.loads((run_dir / "trainer_state.json").read_text(encoding="utf-8"))
    return [e[key] for e in state["log_history"] if key in e]


@pytest.mark.parametrize("which", ["example_run", "overfit_run"])
def test_card_shows_the_runs_key_numbers(request, which):
    run_dir = request.getfixturevalue(which)
    run = reportlib.load_run(run_dir)
    card = run._repr_html_()
    assert run.name in card and str(run.meta["title"]) in card
    # Best values, from the log itself, at the report's 3 significant digits.
    assert f"best {min(_log(run_dir, 'eval_loss')):.3g}" in card
    assert f"best {max(_log(run_dir, 'eval_chrf')):.3g}" in card
    assert f"{len(_log(run_dir, 'eval_loss'))} evaluations" in card


def test_card_lists_findings_that_need_attention(overfit_run):
    card = reportlib.load_run(overfit_run)._repr_html_()
    assert "Attention" in card and "<code>overfitting</code>" in card
    assert card.count("<li>") <= MAX_LISTED_FINDINGS + 1


def test_ipython_displays_the_card(example_run):
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.format_display_data(reportlib.load_run(example_run))
    assert "text/html" in data and "Validation loss" in data["text/html"]


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
