"""The at-a-glance box: findings picked and ordered (never made), escaped, linked."""

from __future__ import annotations

import pytest

from reportlib.analysis import Finding, FindingKind, Severity, analyze_run
from reportlib.ingest import load_run
from reportlib.present import glance

HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(3)>'


def _f(kind, severity, message="m", panel="overall"):
    return {"kind": kind, "severity": severity, "message": message, "panel": panel}


@pytest.mark.parametrize("findings, expected_kinds", [
    # Severity first, whatever the analysis' order.
    ([_f("plateau", "info"), _f("spike", "warning"), _f("non_finite", "critical")],
     ["non_finite", "spike", "plateau"]),
    # Same severity: the kinds that answer "what happened / which checkpoint" first.
    ([_f("train_val_gap", "info"), _f("best_checkpoint", "info"), _f("no_overfitting", "info")],
     ["best_checkpoint", "no_overfitting", "train_val_gap"]),
    # A kind the presentation does not know (added later to the analysis) is still shown.
    ([_f("divergence", "critical"), _f("some_future_kind", "warning")],
     ["divergence", "some_future_kind"]),
    # One line per kind: the first of its kind in that order.
    ([_f("metric_disagrees_with_loss", "warning", "a"),
      _f("metric_disagrees_with_loss", "warning", "b")], ["metric_disagrees_with_loss"]),
    # Caveats after run-level findings of the same severity and unknown rank.
    ([_f("small_dataset", "info", panel="caveat"), _f("other", "info")],
     ["other", "small_dataset"]),
    ([], []),
])
def test_items_are_ordered_most_severe_first(findings, expected_kinds):
    assert [i.kind for i in glance.glance_items(findings)] == expected_kinds


def test_at_most_max_items():
    findings = [_f(f"kind{i}", "warning") for i in range(glance.MAX_ITEMS + 3)]
    assert len(glance.glance_items(findings)) == glance.MAX_ITEMS


def test_objects_and_summary_dicts_give_the_same_items():
    obj = Finding(FindingKind.OVERFITTING, Severity.WARNING, "over", {}, "overall")
    assert glance.glance_items([obj]) == glance.glance_items([obj.to_dict()])


def test_html_escapes_messages_and_links_to_the_evidence_section():
    findings = [_f("spike", "warning", HOSTILE, panel="val_loss")]

    class Analysis:
        def __init__(self):
            self.findings = findings

        def panel_title(self, panel):
            return {"val_loss": "Validation loss"}.get(panel, panel)

    page = glance.glance_html(Analysis())
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert 'href="#Validation-loss"' in page


def test_every_item_is_a_finding_message_of_the_analysis(overfit_run):
    analysis = analyze_run(load_run(overfit_run))
    items = glance.glance_items(analysis.findings)
    messages = {f.message for f in analysis.findings}
    assert 3 <= len(items) <= glance.MAX_ITEMS
    assert all(i.message in messages for i in items)
    # The overfitting conclusion of this run leads, with its step.
    assert items[0].kind == "overfitting"
    text = glance.glance_markdown(analysis)
    assert text.startswith("## At a glance") and items[0].message.split(":")[0][:20] in text


@pytest.mark.parametrize("text, expected", [
    ("chrF fell from 13.1 to 10.9 (-2.28): worse. Per sample, 50 improved.",
     "chrF fell from 13.1 to 10.9 (-2.28): worse."),
    ("A loss of 0.5 at step 3. It rose by 27.9%. Then fell.", "A loss of 0.5 at step 3."),
    ("Noise of 1.05. Validation loss and chrF differ.", "Noise of 1.05."),
    ("One sentence, no end", "One sentence, no end"),
    ("Rose by 27.9%. Next", "Rose by 27.9%."),
])
def test_first_sentence(text, expected):
    assert glance.first_sentence(text) == expected
