"""Did a curve improve at all over the run? The ``no_improvement`` warning.

Real logs from tests/data (their provenance in tests/data/PROVENANCE.tsv) and
generated curves (seeded numpy, made here) that must and must not trigger it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportlib import analyze
from reportlib.analysis import FindingKind, Severity, analyze_run
from reportlib.analysis.progress import detect_no_improvement, starts_at_beginning
from reportlib.run import Run, make_scalars

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PROBING = DATA / "lightning" / ("pl_metrics_csv__Goreg12345__nlp2-probing-lms__lightning_logs_"
                                "version_0_metrics.csv")


def curve(values, *, first_step: int = 10, every: int = 10, epochs=None) -> pd.DataFrame:
    steps = first_step + every * np.arange(len(values))
    return pd.DataFrame({"step": steps, "value": np.asarray(values, dtype=float),
                         "epoch": np.nan if epochs is None else epochs})


def no_improvement(analysis, panel: str | None = None):
    return [f for f in analysis.findings
            if f.kind is FindingKind.NO_IMPROVEMENT and (panel is None or f.panel == panel)]


@pytest.mark.parametrize(("steps", "epochs", "expected"), [
    ([10, 20, 30, 40], None, True),             # HF: the first log at logging_steps
    ([0, 50, 100], None, True),                 # logged at step 0
    ([49, 99, 149], [0, 0, 0], True),           # Lightning: 0-based steps and epochs
    ([1, 2, 3], [1, 2, 3], True),               # epochs counted from 1 (Keras, mmengine)
    ([49, 99, 149], [24, 49, 74], True),        # tiny epochs: the first log at epoch 24
    ([10092, 10164, 10236], None, False),       # an excerpt: 140 gaps in
    ([1000, 2000, 3000], [5, 5, 6], False),     # steps counted from the log's first line
    ([10], None, False),                        # one point: no interval to judge by
])
def test_a_log_covers_the_start_of_training_only_from_its_first_interval(steps, epochs,
                                                                         expected):
    assert starts_at_beginning(steps, epochs) is expected


def test_a_training_loss_that_never_fell_is_a_warning_with_the_logs_own_numbers():
    raw = pd.read_csv(PROBING)  # a real Lightning run: 20 epochs, training loss 2.3-4.0
    analysis = analyze(PROBING).analysis
    (finding,) = no_improvement(analysis)
    assert finding.panel == "train_loss" and finding.severity is Severity.WARNING
    loss = raw["train_loss"].to_numpy()
    start, end = float(np.median(loss[:3])), float(np.median(loss[-3:]))
    assert finding.evidence["start"] == pytest.approx(start)
    assert finding.evidence["end"] == pytest.approx(end)
    assert finding.evidence["trend"] == "flat"
    assert finding.message.startswith(
        "Training loss did not fall from its first logged points to its last")
    assert f"steps {raw['step'].iloc[0]}-{raw['step'].iloc[2]}" in finding.message
    assert f"{start:.3g}" in finding.message and f"{end:.3g}" in finding.message
    # the panel's own sentence says the same trend
    assert analysis.curve("train_loss").trend == "flat"


def test_an_excerpt_that_starts_late_makes_no_claim():
    # fairseq's 2018 layout counts steps from the log's first line; the log starts at epoch 5
    analysis = analyze(DATA / "fairseq" / "issue301_excerpt.log").analysis
    assert analysis.curve("train_loss").trend == "flat"
    assert no_improvement(analysis) == []


def test_a_falling_loss_a_swing_and_a_short_curve_make_no_claim():
    rng = np.random.default_rng(0)
    falling = 1 + 3 * np.exp(-np.linspace(0, 4, 40)) + rng.normal(0, 0.02, 40)
    swing = np.concatenate([np.full(10, 2.0), np.full(10, 6.0), np.full(10, 2.0)])
    swing = swing + rng.normal(0, 0.01, 30)
    for values in (falling, swing, [2.0, 2.1, 2.0, 2.1]):
        assert detect_no_improvement(curve(values), split="train", metric="loss",
                                     label="training loss", panel="train_loss",
                                     higher_is_better=False) == []


def test_a_rising_loss_got_worse_and_a_flat_metric_did_not_rise():
    rng = np.random.default_rng(1)
    rising = 2.0 * (1 + 0.3 * np.linspace(0, 1, 40)) + rng.normal(0, 0.01, 40)
    (finding,) = detect_no_improvement(curve(rising), split="train", metric="loss",
                                       label="training loss", panel="train_loss",
                                       higher_is_better=False)
    assert finding.message.startswith(
        "Training loss got worse from its first logged points to its last")
    assert finding.evidence["change"] > finding.evidence["threshold"] > 0
    flat = np.array([30.2, 29.8, 30.5, 29.9, 30.1, 30.4, 29.7, 30.0, 30.3, 29.9, 30.1, 29.8])
    (finding,) = detect_no_improvement(curve(flat), split="eval", metric="chrf",
                                       label="validation chrF", panel="eval_metric",
                                       higher_is_better=True, unit="evaluation")
    assert finding.message.startswith(
        "Validation chrF did not rise from its first evaluations to its last")
    assert "first 3 evaluations" in finding.message
    # an unknown direction (a learning rate) is not judged
    assert detect_no_improvement(curve(flat), split="train", metric="learning_rate",
                                 label="learning rate", panel="train_loss",
                                 higher_is_better=None) == []


def _run(train: np.ndarray) -> Run:
    """Generated test data: a training loss only, logged every 10 steps."""
    rows = [dict(step=10 * (i + 1), epoch=np.nan, split="train", metric="loss", value=float(v),
                 source_key="loss") for i, v in enumerate(train)]
    return Run(name="generated", path=Path("generated"), format="generated",
               scalars=make_scalars(rows))


def test_a_diverged_or_constant_loss_is_left_to_its_own_finding():
    rng = np.random.default_rng(2)
    base = 2.0 + rng.normal(0, 0.01, 60)
    diverged = np.concatenate([base[:20] * np.linspace(1.0, 0.9, 20), base[20:] * 6])
    analysis = analyze_run(_run(diverged))
    assert any(f.kind is FindingKind.DIVERGENCE for f in analysis.findings)
    assert no_improvement(analysis) == []
    analysis = analyze_run(_run(np.full(20, 2.302585)))  # a constant loss: ln(10)
    assert any(f.kind is FindingKind.BROKEN_OBJECTIVE for f in analysis.findings)
    assert no_improvement(analysis) == []


def test_the_examples_say_it_only_where_the_log_shows_it():
    # the overfitting example's validation loss ends above where it began; the healthy
    # example improves on every curve
    overfit = analyze(ROOT / "runs" / "tiny-codegen-overfit").analysis
    (finding,) = no_improvement(overfit)
    assert finding.panel == "val_loss" and finding.evidence["trend"] == "increasing"
    assert no_improvement(analyze(ROOT / "runs" / "tiny-codegen").analysis) == []
