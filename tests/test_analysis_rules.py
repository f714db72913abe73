"""Tests of reportlib.analysis.rules and analyze_run: every rule, including the cases that
must NOT trigger.

All runs here are generated test data: synthetic curves built with
reportlib.run.make_scalars (seeded where random), not logs of real runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from reportlib.analysis import FindingKind, Severity, analyze_run, main_eval_metric
from reportlib.analysis.anomalies import detect_non_finite, detect_spikes
from reportlib.analysis.caveats import (
    FEW_EVALUATIONS,
    SMALL_DATASET_EXAMPLES,
    dataset_sizes,
    detect_few_epochs,
    detect_few_evaluations,
    detect_small_dataset,
    detect_too_few_points,
)
from reportlib.analysis.checkpoints import (
    PairTest,
    checkpoint_step,
    compare_best_checkpoints,
    spearman_rho,
)
from reportlib.analysis.end_of_training import PLATEAU_RELATIVE_CHANGE, detect_end_of_training
from reportlib.analysis.generalization import (
    MIN_EVALS_FOR_OVERFITTING,
    OVERFIT_MIN_RELATIVE_RISE,
    detect_overfitting,
    detect_train_val_gap,
)
from reportlib.analysis.run_analysis import evaluation_frame
from reportlib.errors import ParameterError
from reportlib.run import Run, make_scalars

NAN = math.nan
STEPS_PER_EPOCH = 50
TRAIN_EVERY = 10


def synthetic_run(
    train: list[float] | None = None,
    val: list[float] | None = None,
    metric: list[float] | None = None,
    *,
    metric_name: str = "chrf",
    extra_eval: dict[str, list[float]] | None = None,
    meta: dict | None = None,
    warnings: tuple[str, ...] = (),
) -> Run:
    """Generated test data: a run whose training loss is logged every TRAIN_EVERY steps
    and whose evaluations come once per epoch of STEPS_PER_EPOCH steps."""
    rows = []
    for i, value in enumerate(train or []):
        step = (i + 1) * TRAIN_EVERY
        rows.append(dict(step=step, epoch=step / STEPS_PER_EPOCH, split="train", metric="loss",
                         value=value, source_key="loss"))
    evals = {"loss": val or [], metric_name: metric or [], **(extra_eval or {})}
    for name, values in evals.items():
        for i, value in enumerate(values):
            rows.append(dict(step=(i + 1) * STEPS_PER_EPOCH, epoch=float(i + 1), split="eval",
                             metric=name, value=value, source_key=f"eval_{name}"))
    return Run(name="synthetic", path=Path("synthetic"), format="synthetic",
               scalars=make_scalars(rows), meta=dict(meta or {}), warnings=list(warnings))


def falling_train(epochs: int, start: float = 4.0, end: float = 1.0) -> list[float]:
    """Generated test data: a smoothly falling training loss, 5 points per epoch."""
    n = epochs * STEPS_PER_EPOCH // TRAIN_EVERY
    return list(np.linspace(start, end, n))


# The shapes the issue names (generated test data).
IMPROVING_VAL = [3.0, 2.6, 2.35, 2.2, 2.1, 2.02, 1.96, 1.91, 1.87, 1.84]
IMPROVING_CHRF = [3.0, 5.0, 6.5, 7.8, 8.9, 9.8, 10.6, 11.3, 11.9, 12.4]
PLATEAU_VAL = [3.0, 2.4, 2.1, 2.0, 1.99, 1.985, 1.98, 1.982, 1.979, 1.98, 1.981, 1.98]
OVERFIT_VAL = [3.0, 2.5, 2.2, 2.05, 2.0, 2.03, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6]
OVERFIT_CHRF = [3.0, 5.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 12.5, 13.0, 13.2, 13.1]
# Falls 0.03 per evaluation under +-0.1 noise: its minimum (index 8) is followed by
# higher values, 4% above it, yet that is within the noise: NOT overfitting.
_NOISE = [0.0, 0.1, -0.1, 0.08, -0.1, 0.07, -0.09, 0.1, -0.12, 0.08, 0.05, 0.04]
NOISY_FALLING_VAL = [3.0 - 0.03 * i + e for i, e in enumerate(_NOISE)]


def kinds(findings) -> list[str]:
    return [f.kind.value for f in findings]


def val_and_train(run: Run):
    return run.series("eval", "loss"), run.series("train", "loss")


# --------------------------------------------------------------------------- overfitting


@pytest.mark.parametrize(
    ("val", "train", "expected"),
    [
        pytest.param(OVERFIT_VAL, falling_train(12), "overfitting", id="overfitting"),
        pytest.param(NOISY_FALLING_VAL, falling_train(12), "no_overfitting",
                     id="noisy-but-falling-is-not-overfitting"),
        pytest.param(IMPROVING_VAL, falling_train(10), "no_overfitting", id="improving"),
        pytest.param(PLATEAU_VAL, falling_train(12), "no_overfitting", id="plateau"),
        pytest.param(OVERFIT_VAL, falling_train(12, 2.0, 3.0), "val_loss_rising",
                     id="val-rises-but-train-rises-too"),
        pytest.param(OVERFIT_VAL, [], "overfitting", id="no-train-loss"),
        pytest.param([3.0, 2.0, 1.9], falling_train(3), "inconclusive", id="three-evaluations"),
        pytest.param([3.0, 2.5, 2.2, 2.0, 2.6], falling_train(5), "inconclusive",
                     id="one-point-after-the-minimum"),
    ],
)
def test_detect_overfitting_verdicts(val, train, expected) -> None:
    run = synthetic_run(train, val)
    findings = detect_overfitting(*val_and_train(run))
    assert kinds(findings) == [expected]


def test_overfitting_evidence_names_the_minimum_and_the_rise() -> None:
    run = synthetic_run(falling_train(12), OVERFIT_VAL)
    (finding,) = detect_overfitting(*val_and_train(run))
    ev = finding.evidence
    assert finding.severity is Severity.WARNING
    assert (ev["min_step"], ev["min_epoch"], ev["min_value"]) == (250, 5.0, 2.0)
    # end level: median of the last 3 evaluations (2.4, 2.5, 2.6) = 2.5, 25% above 2.0
    assert ev["rise"] == pytest.approx(0.5)
    assert ev["relative_rise"] == pytest.approx(0.25)
    assert ev["train_loss_change"] < 0
    assert "step 250 (epoch 5)" in finding.message and "25%" in finding.message


def test_noisy_falling_case_is_held_back_by_the_noise_not_by_the_relative_rule() -> None:
    run = synthetic_run(falling_train(12), NOISY_FALLING_VAL)
    (finding,) = detect_overfitting(*val_and_train(run))
    assert finding.evidence["relative_rise"] > OVERFIT_MIN_RELATIVE_RISE
    assert finding.evidence["rise"] < finding.evidence["threshold"]


def test_overfitting_inconclusive_says_how_many_are_needed() -> None:
    run = synthetic_run([], [3.0, 2.0, 2.5])
    (finding,) = detect_overfitting(run.series("eval", "loss"))
    assert finding.kind is FindingKind.INCONCLUSIVE
    assert finding.evidence["about"] == "overfitting"
    assert f"at least {MIN_EVALS_FOR_OVERFITTING}" in finding.message


@pytest.mark.parametrize("val", [None, [], [NAN, NAN]])
def test_overfitting_without_validation_loss_says_nothing(val) -> None:
    frame = None if val is None else synthetic_run([], val).series("eval", "loss")
    assert detect_overfitting(frame) == []


def test_train_val_gap_tracks_the_difference() -> None:
    run = synthetic_run(falling_train(12), OVERFIT_VAL)
    (finding,) = detect_train_val_gap(*val_and_train(run))
    ev = finding.evidence
    assert ev["steps"][0] == 50 and ev["steps"][-1] == 600
    assert ev["last_gap"] > ev["first_gap"]
    assert ev["change"] == pytest.approx(ev["last_gap"] - ev["first_gap"])
    assert "rose by" in finding.message


def test_train_val_gap_needs_both_curves() -> None:
    run = synthetic_run([], OVERFIT_VAL)
    assert detect_train_val_gap(*val_and_train(run)) == []


# --------------------------------------------------------------------------- end of training


def _end(values: list[float], higher_is_better: bool | None = False):
    frame = synthetic_run([], values).series("eval", "loss")
    return detect_end_of_training(frame, split="eval", metric="loss", label="validation loss",
                                  panel="val_loss", higher_is_better=higher_is_better,
                                  unit="evaluation")


@pytest.mark.parametrize(
    ("values", "higher_is_better", "expected"),
    [
        pytest.param(IMPROVING_VAL, False, "still_improving", id="improving"),
        pytest.param(PLATEAU_VAL, False, "plateau", id="plateau"),
        pytest.param(OVERFIT_VAL, False, "getting_worse", id="rising-loss"),
        pytest.param(OVERFIT_CHRF, True, "plateau", id="chrf-flattening"),
        pytest.param(IMPROVING_CHRF, True, "still_improving", id="chrf-rising"),
        # +25% over the last 3 points of a curve that jumps by +-1.5: within its noise,
        # but too large to call a plateau
        pytest.param([10.0, 12.0, 9.0, 11.5, 9.5, 12.0, 9.5, 9.0, 10.0, 11.5], True,
                     "inconclusive", id="noisy"),
        pytest.param([3.0, 2.5, 2.2, 2.0], False, "inconclusive", id="four-points"),
        pytest.param([3.0, 2.5], False, None, id="two-points"),
        pytest.param(PLATEAU_VAL, None, "plateau", id="unknown-direction-plateau"),
        pytest.param(IMPROVING_VAL, None, "inconclusive", id="unknown-direction-change"),
    ],
)
def test_end_of_training(values, higher_is_better, expected) -> None:
    found = _end(values, higher_is_better)
    assert kinds(found) == ([] if expected is None else [expected])


def test_plateau_and_still_improving_carry_the_tail() -> None:
    args = dict(split="eval", metric="loss", label="validation loss", panel="val_loss",
                higher_is_better=False, unit="evaluation")
    frame = synthetic_run([], PLATEAU_VAL).series("eval", "loss")
    (plateau,) = detect_end_of_training(frame, **args)
    ev = plateau.evidence
    assert plateau.kind is FindingKind.PLATEAU
    assert ev["tail_points"] == 3 and ev["tail_end_step"] == 600
    # the interval of the change, not just the change, lies inside the band
    assert abs(ev["tail_change"]) + ev["tail_margin"] <= (
        PLATEAU_RELATIVE_CHANGE * abs(ev["tail_level"]))
    frame = synthetic_run([], IMPROVING_VAL).series("eval", "loss")
    (improving,) = detect_end_of_training(frame, **args, advise=True)
    assert improving.kind is FindingKind.STILL_IMPROVING
    assert improving.evidence["tail_change"] < 0
    assert "more training may help" in improving.message
    assert improving.evidence["advice"] == "train_longer"


# --------------------------------------------------------------------------- spikes and NaN


def _spikes(values: list[float], higher_is_better: bool | None = False):
    frame = synthetic_run(values).series("train", "loss")
    return detect_spikes(frame, split="train", metric="loss", label="training loss",
                         panel="train_loss", higher_is_better=higher_is_better)


def _noisy_loss(n: int = 200, seed: int = 3, noise: float = 0.03) -> list[float]:
    """Generated test data: an exponentially falling loss with Gaussian noise (relative)."""
    rng = np.random.default_rng(seed)
    clean = 1.0 + 4.0 * np.exp(-np.arange(n) / 30.0)
    return list(clean * (1.0 + rng.normal(0.0, noise, n)))


def test_spike_found_at_its_step() -> None:
    values = _noisy_loss()
    values[120] = 25.0
    values[121] = 30.0  # two in a row
    (finding,) = _spikes(values)
    assert finding.kind is FindingKind.SPIKE and finding.severity is Severity.WARNING
    assert finding.evidence["steps"] == [1210, 1220]
    assert finding.evidence["values"] == [25.0, 30.0]
    assert (finding.evidence["split"], finding.evidence["metric"]) == ("train", "loss")


@pytest.mark.parametrize(
    ("values", "higher_is_better"),
    [
        pytest.param(_noisy_loss(), False, id="noisy-falling-loss"),
        pytest.param(_noisy_loss(2000, seed=5, noise=0.12), False, id="per-step-noise-12pct"),
        pytest.param([10.0, 6.0, 4.0, 3.0, 2.5, 2.2, 2.0], False, id="steep-start"),
        pytest.param([1.0, 1.1, 1.0, 5.0, 1.1, 1.0, 1.1], True, id="upward-jump-of-chrf-is-fine"),
        pytest.param([2.0, 1.9, 1.8, 0.5, 1.7, 1.6, 1.5], False, id="loss-drop-is-fine"),
        pytest.param([2.0, 1.0, 9.0, 1.0], False, id="too-few-points"),
    ],
)
def test_no_spike(values, higher_is_better) -> None:
    assert _spikes(values, higher_is_better) == []


@pytest.mark.parametrize(
    ("values", "higher_is_better", "step"),
    [
        pytest.param([10.0, 11.0, 12.0, 3.0, 13.0, 13.5, 14.0], True, 40, id="chrf-drop"),
        pytest.param([1.0, 1.1, 1.0, 5.0, 1.1, 1.0, 1.1], None, 40, id="unknown-direction"),
        pytest.param([2.0, 1.9, 1.8, 1.7, 1.6, 1.5, 9.0], False, 70, id="last-point"),
    ],
)
def test_spike_directions(values, higher_is_better, step) -> None:
    (finding,) = _spikes(values, higher_is_better)
    assert finding.evidence["steps"] == [step]


@pytest.mark.parametrize(
    ("values", "steps", "texts", "diverged", "severity"),
    [
        pytest.param([3.0, NAN, 2.0, 1.9], [20], ["nan"], False, "critical", id="nan-in-middle"),
        pytest.param([3.0, 2.0, math.inf, NAN], [30, 40], ["inf", "nan"], True, "critical",
                     id="diverged"),
        pytest.param([-math.inf], [10], ["-inf"], True, "warning", id="only-value"),
    ],
)
def test_detect_non_finite(values, steps, texts, diverged, severity) -> None:
    frame = synthetic_run(values).series("train", "loss")
    (finding,) = detect_non_finite(frame, split="train", metric="loss", label="training loss",
                                   panel="train_loss", critical=severity == "critical")
    assert finding.evidence["steps"] == steps
    assert finding.evidence["values"] == texts
    assert finding.evidence["diverged"] is diverged
    assert finding.severity.value == severity
    assert ("diverged" in finding.message) is (diverged and len(values) > 1)


def test_detect_non_finite_silent_on_finite_curves() -> None:
    frame = synthetic_run([3.0, 2.0]).series("train", "loss")
    args = dict(split="train", metric="loss", label="training loss", panel="train_loss")
    assert detect_non_finite(frame, **args) == []
    assert detect_non_finite(None, **args) == []


# --------------------------------------------------------------------------- best checkpoint


def _compare(val, metric, *, higher=True, best_model_checkpoint=None):
    run = synthetic_run([], val, metric)
    return compare_best_checkpoints(
        run.series("eval", "loss"), run.series("eval", "chrf"), metric="chrf",
        metric_label="chrF", higher_is_better=higher, best_model_checkpoint=best_model_checkpoint)


def test_best_checkpoints_agree_and_move_together() -> None:
    best, findings = _compare(IMPROVING_VAL, IMPROVING_CHRF)
    assert (best.step, best.epoch, best.by, best.agree) == (500, 10.0, "eval_loss", True)
    assert kinds(findings) == ["best_checkpoint", "metric_agrees_with_loss"]
    assert findings[1].evidence["spearman_rho"] == pytest.approx(-1.0)


def test_overfit_run_loss_and_chrf_disagree() -> None:
    best, findings = _compare(OVERFIT_VAL, OVERFIT_CHRF)
    assert best.by_loss.step == 250 and best.by_metric.step == 550 and best.agree is False
    # one disagreement finding, never two (and never an agreement beside it)
    assert kinds(findings) == ["best_checkpoint", "metric_disagrees_with_loss"]
    assert findings[1].evidence["reason"] == "best_checkpoints_differ"
    assert findings[1].evidence["spearman_rho"] is not None
    assert findings[1].evidence["metric_at_loss_best"] == 9.0
    assert findings[1].evidence["shortfall"] == pytest.approx(13.2 - 9.0)


def test_best_checkpoints_that_differ_within_noise_are_not_a_disagreement() -> None:
    # chrF peaks one evaluation before the loss minimum, by less than its noise.
    chrf = [3.0, 6.0, 5.0, 8.0, 7.5, 10.0, 9.0, 11.5, 11.0, 11.2]
    best, findings = _compare(IMPROVING_VAL, chrf)
    assert best.agree is False
    assert "metric_disagrees_with_loss" not in kinds(findings)
    # without predictions, no claim about noise either way (issue 11, pattern 7)
    assert "may be noise" not in findings[0].message
    assert "the log alone cannot tell" in findings[0].message
    assert findings[0].evidence["noise_claims"] == []


@pytest.mark.parametrize(("significant", "p_value", "kind_expected"), [
    (True, 0.001, ["metric_disagrees_with_loss"]),
    (False, 0.4, []),
])
def test_best_checkpoints_that_differ_use_the_paired_test_when_there_is_one(
        significant, p_value, kind_expected) -> None:
    chrf = [3.0, 6.0, 5.0, 8.0, 7.5, 10.0, 9.0, 11.5, 11.0, 11.2]
    run = synthetic_run([], IMPROVING_VAL, chrf)
    test = PairTest(frozenset({400, 500}), p_value, significant)
    _, findings = compare_best_checkpoints(
        run.series("eval", "loss"), run.series("eval", "chrf"), metric="chrf",
        metric_label="chrF", higher_is_better=True, tests=[test])
    assert f"p = {p_value:.3g}" in findings[0].message
    assert findings[0].evidence["noise_claims"] == [
        {"steps": [400, 500], "significant": significant, "p_value": p_value}]
    assert [k for k in kinds(findings) if k == "metric_disagrees_with_loss"] == kind_expected


def test_best_checkpoint_follows_the_runs_own_choice() -> None:
    best, _ = _compare(OVERFIT_VAL, OVERFIT_CHRF, best_model_checkpoint="out/checkpoint-550")
    assert (best.step, best.by, best.selected_by_run) == (550, "chrf", 550)
    best, _ = _compare(OVERFIT_VAL, OVERFIT_CHRF, best_model_checkpoint="out/checkpoint-250")
    assert (best.step, best.by) == (250, "eval_loss")


def test_correlation_needs_enough_evaluations() -> None:
    best, findings = _compare([3.0, 2.0, 1.5], [1.0, 2.0, 3.0])
    assert best.agree is True
    assert kinds(findings) == ["best_checkpoint", "inconclusive"]
    assert findings[1].evidence["about"] == "metric_vs_loss"


def test_best_checkpoint_with_loss_only_or_nothing() -> None:
    run = synthetic_run([], [3.0, 2.0, 2.5])
    best, findings = compare_best_checkpoints(run.series("eval", "loss"), None, metric=None,
                                              metric_label=None, higher_is_better=None)
    assert (best.step, best.by, best.agree, best.by_metric) == (100, "eval_loss", None, None)
    assert kinds(findings) == ["best_checkpoint"]
    assert compare_best_checkpoints(None, None, metric=None, metric_label=None,
                                    higher_is_better=None) == (None, [])


def test_lower_is_better_metric_agreement_is_oriented() -> None:
    run = synthetic_run([], IMPROVING_VAL, [0.9, 0.8, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.42, 0.4],
                        metric_name="wer")
    _, findings = compare_best_checkpoints(run.series("eval", "loss"), run.series("eval", "wer"),
                                           metric="wer", metric_label="WER",
                                           higher_is_better=False)
    assert kinds(findings)[-1] == "metric_agrees_with_loss"
    assert findings[-1].evidence["spearman_rho"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        ([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8),  # 1 - 6*4 / (5*24)
        ([1, 2, 3], [30, 20, 10], -1.0),
        ([1, 2, 3], [5, 5, 5], None),
        ([1], [2], None),
    ],
)
def test_spearman_rho(x, y, expected) -> None:
    got = spearman_rho(x, y)
    assert got == (None if expected is None else pytest.approx(expected))


def test_spearman_rho_rejects_unequal_lengths() -> None:
    with pytest.raises(ParameterError, match="same length, got 2 and 3"):
        spearman_rho([1, 2], [1, 2, 3])


@pytest.mark.parametrize(
    ("text", "step"),
    [("runs/x/checkpoint-630", 630), ("checkpoint-10/checkpoint-20", 20), ("best", None),
     (None, None)],
)
def test_checkpoint_step(text, step) -> None:
    assert checkpoint_step(text) == step


# --------------------------------------------------------------------------- caveats


def test_too_few_points_explains_hf_default_logging_steps() -> None:
    # HF's default logging_steps=500 on a 600-step run leaves one training-loss point.
    # (the one point at step 500, where logging_steps=500 puts it)
    run = Run(name="generated", path=Path("generated"), format="generated",
              scalars=make_scalars([dict(step=500, epoch=0.83, split="train", metric="loss",
                                         value=2.5, source_key="loss")]))
    summary = analyze_run(run).curves[("train", "loss")]
    (finding,) = detect_too_few_points(summary, label="training loss", total_steps=600,
                                       logging_steps=500)
    assert finding.kind is FindingKind.TOO_FEW_POINTS and finding.panel == "caveat"
    assert "1 finite logged point over 600 steps (logging_steps=500)" in finding.message
    assert finding.evidence["logging_steps"] == 500


def test_too_few_evaluations_name_the_logged_eval_steps() -> None:
    # A trainer_state.json records eval_steps: the caveat says why there are so few.
    # (evaluations once per epoch of 50 steps: eval_steps=50 is what placed them)
    run = synthetic_run([3.0, 2.5, 2.2, 2.0], val=[2.4, 2.3], meta={"eval_steps": 50})
    (finding,) = [f for f in analyze_run(run).findings
                  if f.kind is FindingKind.TOO_FEW_POINTS and f.evidence["split"] == "eval"]
    assert "(eval_steps=50)" in finding.message
    assert finding.evidence["eval_steps"] == 50


def test_too_few_points_silent_with_enough_points() -> None:
    summary = analyze_run(synthetic_run([3.0, 2.0, 1.0])).curves[("train", "loss")]
    assert detect_too_few_points(summary, label="training loss") == []


@pytest.mark.parametrize(
    ("n", "fires"),
    [(0, False), (2, False), (3, True), (FEW_EVALUATIONS - 1, True), (FEW_EVALUATIONS, False)],
)
def test_few_evaluations(n, fires) -> None:
    assert kinds(detect_few_evaluations(n)) == (["few_evaluations"] if fires else [])


@pytest.mark.parametrize(
    ("meta", "size", "source"),
    [
        ({"dataset": {"name": "x", "size": 500, "train_size": 450}}, 450, "dataset.train_size"),
        ({"dataset": {"size": "1,200"}}, 1200, "dataset.size"),
        ({"train_size": 80}, 80, "train_size"),
        ({"dataset": "some-name"}, None, None),
        ({"dataset": {"size": "many"}}, None, None),
        ({"dataset": {"size": True}}, None, None),
        ({}, None, None),
    ],
)
def test_dataset_sizes(meta, size, source) -> None:
    found = dataset_sizes(meta)
    assert (found["train_size"], found["source"]) == (size, source)


@pytest.mark.parametrize(
    ("meta", "fires"),
    [
        ({"dataset": {"train_size": 450, "eval_size": 50}}, ["small_dataset"]),
        ({"dataset": {"train_size": SMALL_DATASET_EXAMPLES}}, []),
        # unknown size: said, not guessed
        ({}, ["inconclusive"]),
    ],
)
def test_small_dataset(meta, fires) -> None:
    found = detect_small_dataset(meta, epochs=10.0)
    assert kinds(found) == fires
    if fires == ["small_dataset"]:
        assert "450 examples" in found[0].message and "10 epochs" in found[0].message


@pytest.mark.parametrize(
    ("epochs", "fires"),
    [(1.0, True), (2.5, True), (2.9966, False), (3.0, False), (None, False), (NAN, False)],
)
def test_few_epochs(epochs, fires) -> None:
    assert kinds(detect_few_epochs(epochs)) == (["few_epochs"] if fires else [])


# --------------------------------------------------------------------------- analyze_run


def test_analyze_run_overfit_shape() -> None:
    run = synthetic_run(falling_train(12), OVERFIT_VAL, OVERFIT_CHRF,
                        meta={"dataset": {"train_size": 60}, "num_train_epochs": 12},
                        warnings=("2 duplicate steps dropped",))
    analysis = analyze_run(run)
    assert analysis.panels == {"train_loss": ("train", "loss"), "val_loss": ("eval", "loss"),
                               "eval_metric": ("eval", "chrf")}
    assert analysis.eval_metric_name == "chrF"
    assert analysis.n_evaluations == 12
    assert analysis.has(FindingKind.OVERFITTING)
    assert analysis.has("metric_disagrees_with_loss")
    assert analysis.best_checkpoint.by_loss.step == 250
    caveat_kinds = kinds(analysis.findings_for("caveat"))
    assert caveat_kinds == ["small_dataset", "ingest_warning"]
    panels_in_order = [f.panel for f in analysis.findings]
    order = ["train_loss", "val_loss", "eval_metric", "overall", "caveat"]
    assert panels_in_order == sorted(panels_in_order, key=order.index)


def test_analyze_run_empty_run() -> None:
    analysis = analyze_run(synthetic_run())
    assert analysis.panels == {"train_loss": None, "val_loss": None, "eval_metric": None}
    assert analysis.best_checkpoint is None
    assert kinds(analysis.findings_for("train_loss")) == ["no_data"]
    assert kinds(analysis.findings_for("eval_metric")) == ["no_data"]
    assert analysis.curve("val_loss") is None


def test_analyze_run_nan_in_other_curves_is_reported() -> None:
    run = synthetic_run([3.0, 2.0, 1.0], extra_eval={"runtime": [1.0, NAN]})
    analysis = analyze_run(run)
    found = [f for f in analysis.findings if f.kind is FindingKind.NON_FINITE]
    assert len(found) == 1 and found[0].severity is Severity.WARNING
    assert found[0].curve == ("eval", "runtime")


def test_analyze_run_panel_errors() -> None:
    analysis = analyze_run(synthetic_run([1.0]))
    with pytest.raises(ParameterError, match="panel must be one of train_loss"):
        analysis.curve("overall")
    with pytest.raises(ParameterError, match="panel must be one of"):
        analysis.panel_title("caveat")


@pytest.mark.parametrize(
    ("eval_metrics", "expected"),
    [
        ({"bleu": [1.0], "chrf": [2.0]}, ("eval", "chrf")),
        ({"bleu": [1.0], "accuracy": [2.0]}, ("eval", "accuracy")),
        ({"wer": [0.5], "gen_len": [20.0]}, ("eval", "wer")),
        ({"runtime": [1.0], "samples_per_second": [3.0]}, None),
        ({"mystery": [1.0], "runtime": [1.0]}, ("eval", "mystery")),
    ],
)
def test_main_eval_metric(eval_metrics, expected) -> None:
    run = synthetic_run([], [2.0], extra_eval=eval_metrics)
    assert main_eval_metric(run) == expected


def test_evaluation_frame_takes_the_last_train_loss_at_or_before_each_evaluation() -> None:
    rows = [
        dict(step=10, epoch=0.5, split="train", metric="loss", value=3.0, source_key="loss"),
        dict(step=20, epoch=1.0, split="train", metric="loss", value=2.0, source_key="loss"),
        dict(step=20, epoch=1.0, split="eval", metric="loss", value=2.5, source_key="eval_loss"),
        dict(step=20, epoch=1.0, split="eval", metric="runtime", value=9.0, source_key="x"),
        dict(step=5, epoch=0.25, split="eval", metric="loss", value=4.0, source_key="eval_loss"),
        dict(step=30, epoch=1.5, split="eval", metric="chrf", value=7.0, source_key="eval_chrf"),
        dict(step=35, epoch=1.75, split="train", metric="loss", value=1.5, source_key="loss"),
    ]
    run = Run(name="t", path=Path("t"), format="synthetic", scalars=make_scalars(rows))
    frame = evaluation_frame(run)
    assert list(frame.columns) == ["step", "epoch", "train_loss", "loss", "chrf"]
    assert frame["step"].tolist() == [5, 20, 30]
    assert math.isnan(frame["train_loss"].iloc[0])  # nothing logged before step 5
    assert frame["train_loss"].iloc[1:].tolist() == [2.0, 2.0]
    assert frame["loss"].iloc[1] == 2.5 and math.isnan(frame["loss"].iloc[2])


@pytest.mark.parametrize(("scored", "phrase"), [
    (False, "the log alone cannot tell"),
    # predictions were scored, but not this pair: untested, not untestable
    (True, "did not compare these two checkpoints"),
])
def test_an_untested_pair_makes_no_noise_claim(scored: bool, phrase: str) -> None:
    chrf = [3.0, 6.0, 5.0, 8.0, 7.5, 10.0, 9.0, 11.5, 11.0, 11.2]
    run = synthetic_run([], IMPROVING_VAL, chrf)
    _, findings = compare_best_checkpoints(
        run.series("eval", "loss"), run.series("eval", "chrf"), metric="chrf",
        metric_label="chrF", higher_is_better=True, scored=scored)
    assert phrase in findings[0].message and "may be noise" not in findings[0].message


def test_an_eval_steps_the_evaluations_do_not_follow_is_not_named() -> None:
    # evaluations at steps 50 and 100 (once per epoch), the state's default eval_steps 500
    run = synthetic_run([3.0, 2.5, 2.2, 2.0], val=[2.4, 2.3], meta={"eval_steps": 500})
    (finding,) = [f for f in analyze_run(run).findings
                  if f.kind is FindingKind.TOO_FEW_POINTS and f.evidence["split"] == "eval"]
    assert "eval_steps=" not in finding.message and finding.evidence["eval_steps"] is None
