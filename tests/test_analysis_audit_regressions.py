"""Regressions found by reading reports sentence by sentence against their logs.

Each case is a log in tests/data (generated ones are labelled there, with the
script that made them) and a sentence the report must or must not contain.
"""

from __future__ import annotations

from pathlib import Path

import reportlib
from reportlib.present.narrative import render_narrative

DATA = Path(__file__).resolve().parent / "data"


def _kinds(result) -> list[str]:
    return [f.kind.value for f in result.analysis.findings]


def test_a_rise_at_every_last_evaluation_is_not_called_no_overfitting():
    """fairseq (generated): 5.30 (min) -> 5.45 -> 5.70 while training loss falls; the noise
    threshold (0.59) comes from the steep early fall, so the rise is 'within noise'."""
    result = reportlib.analyze(DATA / "fairseq" / "generated_new_style")
    assert "no_overfitting" not in _kinds(result)
    (finding,) = [f for f in result.analysis.findings
                  if f.evidence.get("rule") == "rising_within_noise"]
    assert "cannot tell" in finding.message and "rose at each of its last 2" in finding.message
    assert "5.30" in finding.message and "5.70" in finding.message


def test_no_early_stopping_claim_on_a_constant_validation_loss():
    """Keras (generated): validation loss 2.3026 at every epoch is a broken objective; ranking
    its checkpoints ('keeping step 1, the run's lowest') contradicts that finding."""
    result = reportlib.analyze(DATA / "keras" / "generated_constant_loss")
    kinds = _kinds(result)
    assert "broken_objective" in kinds and "early_stopping" not in kinds


def test_withheld_cross_curve_claims_are_not_reported_as_a_missing_validation_loss():
    """Keras (generated): both losses broken; the log does have a validation loss."""
    result = reportlib.analyze(DATA / "keras" / "generated_negative_loss")
    text = render_narrative(result.analysis)
    assert "the log has no validation loss" not in text
    assert "none could be made from these curves" in text


def test_a_run_that_reached_max_steps_is_not_a_cut_short_epoch_plan():
    """A real HF log: global_step == max_steps == 10 at epoch 0.16; num_train_epochs (1) was
    derived from max_steps, so '0.16 of 1 planned epoch' would misread a finished run."""
    name = "hf_trainer_state__khushpatel2002__method-comment-generation__model_trainer_state.json"
    result = reportlib.analyze(DATA / "hf" / name)
    (few,) = [f for f in result.analysis.findings if f.kind.value == "few_epochs"]
    assert "Training ran 0.16 epochs" in few.message and "planned" not in few.message
    # The fact is read once, in ingest, so the run-facts table says the same.
    assert "epochs_planned" not in result.run.meta
    from reportlib.present.tables import run_facts_table

    facts = dict(run_facts_table(result.run, result.analysis).to_numpy().tolist())
    assert facts["Epochs"].startswith("0.16 (from ") and "planned" not in facts["Epochs"]


def test_a_fast_rising_start_is_not_a_spike():
    """A real mmengine log: mAP 0.0005, 0.0047, 0.0371, 0.0642... only rises; the second
    value sits far below its neighbours' mean but between them, so it is no spike."""
    result = reportlib.analyze(DATA / "mmengine" / "detection_20230525")
    assert not [f for f in result.analysis.findings
                if f.kind.value == "spike" and f.evidence.get("metric") == "map"]


def test_monotone_passage_matches_a_scan_per_point():
    import numpy as np

    from reportlib.analysis.anomalies import _monotone_through

    def scan(values, reach):
        out = np.zeros(len(values), dtype=bool)
        for i in range(1, len(values) - 1):
            steps = np.diff(values[max(0, i - reach): i + reach + 1])
            out[i] = bool(np.all(steps > 0) or np.all(steps < 0))
        return out

    rng = np.random.default_rng(7)  # seeded generated curves, with ties from rounding
    for _ in range(200):
        values = np.cumsum(rng.normal(size=int(rng.integers(1, 15))))
        if rng.random() < 0.5:
            values = np.round(values)
        for reach in (1, 2, 3):
            assert (_monotone_through(values, reach) == scan(values, reach)).all()
