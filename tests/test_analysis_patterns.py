"""Issue 11, patterns 1-9: each false-verdict pattern on a real-shaped curve, with the
cases that must NOT trigger. All curves here are generated test data (seeded numpy),
shaped like the public runs the issue describes; the code that makes them is below."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportlib.analysis import FindingKind, analyze_run
from reportlib.analysis._common import train_levels_at_evals
from reportlib.analysis.generalization import EARLY_STOPPING_PATIENCE, detect_early_stopping
from reportlib.run import Run, make_scalars


def make_run(curves: dict[tuple[str, str], tuple[list[int], list[float]]],
             meta: dict | None = None) -> Run:
    """Generated test data: a run with the given curves (steps, values); epoch = step / 100."""
    rows = [dict(step=int(s), epoch=s / 100.0, split=split, metric=metric, value=float(v),
                 source_key=f"{split}_{metric}")
            for (split, metric), (steps, values) in curves.items()
            for s, v in zip(steps, values, strict=True)]
    return Run(name="generated", path=Path("generated"), format="generated",
               scalars=make_scalars(rows), meta=dict(meta or {}))


def kinds_of(analysis, panel: str | None = None) -> list[str]:
    return [f.kind.value for f in analysis.findings if panel is None or f.panel == panel]


def find(analysis, kind: FindingKind, panel: str | None = None):
    return [f for f in analysis.findings if f.kind is kind and (panel is None or f.panel == panel)]


def falling(n: int, start: float, end: float, noise: float, seed: int) -> list[float]:
    """Generated: an exponential-looking fall from start to end with relative noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n)
    curve = end + (start - end) * np.exp(-5 * t)
    return list(curve * (1 + noise * rng.standard_normal(n)))


# --------------------------------------------------------------------------- 1. divergence


def diverging_run(seed: int = 0) -> Run:
    """Generated: warm-up to a learning rate too high; training loss climbs to 14x its
    start, validation loss to 11x, then both partly recover (issue 11, pattern 1)."""
    rng = np.random.default_rng(seed)
    steps = list(range(10, 1010, 10))
    fall = np.linspace(10.0, 3.0, 20)
    climb = np.linspace(3.0, 140.0, 30)
    back = np.linspace(140.0, 9.5, 50)
    train = np.concatenate([fall, climb, back]) * (1 + 0.03 * rng.standard_normal(100))
    lr = [min(0.05, 0.05 * s / 300) for s in steps]
    val_steps = list(range(100, 1100, 100))
    val = [9.0, 3.5, 20.0, 99.0, 60.0, 30.0, 15.0, 11.0, 10.0, 9.8]
    return make_run({("train", "loss"): (steps, list(train)),
                     ("train", "learning_rate"): (steps, lr),
                     ("eval", "loss"): (val_steps, val)})


def test_divergence_is_found_with_its_evidence() -> None:
    analysis = analyze_run(diverging_run())
    (train,) = find(analysis, FindingKind.DIVERGENCE, "train_loss")
    ev = train.evidence
    assert ev["ratio_to_first"] > 10 and ev["peak_step"] > ev["start_step"]
    # it partly recovered: back to 9.5, under half its peak, above twice its best level
    assert ev["recovered"] is False and ev["partly_recovered"] is True
    assert ev["learning_rate"] is not None and train.severity.value == "warning"
    assert "partly recovered" in train.message
    # the overfitting rule does not read the divergence's swings as noise
    assert "no_overfitting" not in kinds_of(analysis)
    assert find(analysis, FindingKind.DIVERGENCE, "val_loss")
    # no "flat" trend for a curve that swung to 14x, no spikes inside the divergence
    assert analysis.curve("train_loss").trend != "flat"
    for spike in find(analysis, FindingKind.SPIKE):
        assert all(not ev["start_step"] <= s <= ev["end_step"] for s in spike.evidence["steps"])
    # and no advice to train longer next to a divergence
    assert not any(f.evidence.get("advice") == "train_longer" for f in analysis.findings)
    assert not any("more training may help" in f.message for f in analysis.findings)


def test_divergence_never_recovered_is_critical() -> None:
    steps = list(range(10, 510, 10))
    values = list(np.linspace(5.0, 2.0, 25)) + list(np.linspace(2.5, 60.0, 25))
    analysis = analyze_run(make_run({("train", "loss"): (steps, values)}))
    (found,) = find(analysis, FindingKind.DIVERGENCE)
    assert found.evidence["recovered"] is False and found.severity.value == "critical"
    assert "had not come back" in found.message


def test_divergence_that_recovered_says_so() -> None:
    steps = list(range(10, 810, 10))
    values = (list(np.linspace(5.0, 2.0, 25)) + list(np.linspace(2.5, 30.0, 15))
              + list(np.linspace(30.0, 1.8, 20)) + list(np.linspace(1.8, 1.6, 20)))
    analysis = analyze_run(make_run({("train", "loss"): (steps, values)}))
    (found,) = find(analysis, FindingKind.DIVERGENCE)
    assert found.evidence["recovered"] is True and found.severity.value == "warning"
    assert "came back below twice that level" in found.message


@pytest.mark.parametrize("case", ["healthy", "overfitting_val", "two_point_spike", "floor"])
def test_divergence_must_not_trigger(case: str) -> None:
    steps = list(range(10, 1010, 10))
    val_steps = list(range(100, 1100, 100))
    curves: dict = {}
    if case == "healthy":
        curves[("train", "loss")] = (steps, falling(100, 8.0, 1.5, 0.05, seed=1))
    elif case == "overfitting_val":
        # validation loss 2.5x its minimum while training loss falls: overfitting, not divergence
        curves[("train", "loss")] = (steps, falling(100, 4.0, 0.2, 0.02, seed=2))
        curves[("eval", "loss")] = (val_steps, [3.0, 1.5, 1.2, 1.3, 1.6, 2.0, 2.4, 2.7, 2.9, 3.0])
    elif case == "two_point_spike":
        values = falling(100, 6.0, 2.0, 0.02, seed=3)
        values[60] = values[61] = 30.0
        curves[("train", "loss")] = (steps, values)
    else:
        # fell from 2.0 to 0.001, then wobbles at 0.002-0.003: tripled, lost nothing that matters
        values = list(np.linspace(2.0, 0.001, 50)) + [0.003, 0.002] * 25
        curves[("train", "loss")] = (steps, values)
    analysis = analyze_run(make_run(curves))
    assert "divergence" not in kinds_of(analysis)


# --------------------------------------------------------------------------- 2. observed values


def test_end_of_training_quotes_observed_values_not_fitted_ones() -> None:
    # A tail that drops fast then flattens: a line through it starts above 25 and ends
    # below the lowest logged value, which the sentence must not quote.
    tail = [25.1, 12.0, 8.0, 7.0, 6.8, 6.7, 6.65, 6.62, 6.61, 6.60]
    values = list(np.linspace(60.0, 26.0, 30)) + tail
    steps = list(range(10, 410, 10))
    analysis = analyze_run(make_run({("train", "loss"): (steps, values)}))
    (finding,) = [f for f in analysis.findings_for("train_loss")
                  if f.evidence.get("rule") == "end_of_training"]
    assert "fitted)" not in finding.message
    quoted = re.search(r"went from ([\d.]+) \(.*?\) to ([\d.]+) \(", finding.message)
    assert quoted is not None
    first, last = (float(x) for x in quoted.groups())
    ev = finding.evidence
    assert first == pytest.approx(ev["tail_first_mean"], rel=5e-3)
    assert last == pytest.approx(ev["tail_last_mean"], rel=5e-3)
    logged_tail = values[-ev["tail_points"]:]
    assert min(logged_tail) <= last <= first <= max(logged_tail)


# --------------------------------------------------------------------------- 3. advice


def _improving_val_run(train_values: list[float] | None = None) -> Run:
    steps = list(range(10, 1010, 10))
    val_steps = list(range(100, 1100, 100))
    return make_run({
        ("train", "loss"): (steps, train_values or falling(100, 5.0, 1.0, 0.01, seed=4)),
        ("eval", "loss"): (val_steps, [4.0, 3.0, 2.5, 2.2, 2.0, 1.85, 1.72, 1.6, 1.5, 1.41]),
    })


def test_advice_to_train_longer_comes_from_the_validation_curve() -> None:
    analysis = analyze_run(_improving_val_run())
    (val,) = find(analysis, FindingKind.STILL_IMPROVING, "val_loss")
    assert val.evidence["advice"] == "train_longer" and "more training may help" in val.message
    for finding in find(analysis, FindingKind.STILL_IMPROVING, "train_loss"):
        assert finding.evidence["advice"] is None
        assert "more training may help" not in finding.message


def test_no_advice_next_to_nan() -> None:
    train = falling(100, 5.0, 1.0, 0.01, seed=4)
    train[40] = math.nan
    analysis = analyze_run(_improving_val_run(train))
    (val,) = find(analysis, FindingKind.STILL_IMPROVING, "val_loss")
    assert val.evidence["advice"] is None and "no advice to train longer" in val.message


def test_no_advice_after_overfitting() -> None:
    steps = list(range(10, 1210, 10))
    val_steps = list(range(100, 1300, 100))
    # validation loss overfits, then a late dip: the end improves, but the run overfitted
    val = [3.0, 2.5, 2.2, 2.05, 2.0, 2.2, 2.5, 2.9, 3.2, 3.1, 2.95, 2.8]
    analysis = analyze_run(make_run({("train", "loss"): (steps, falling(120, 4, 0.3, 0.01, 5)),
                                     ("eval", "loss"): (val_steps, val)}))
    assert find(analysis, FindingKind.OVERFITTING)
    assert not any(f.evidence.get("advice") == "train_longer" for f in analysis.findings)


def test_training_loss_at_the_rounding_floor_is_not_still_improving() -> None:
    # 4 decimals near 1e-4: the last quarter moves by single rounding steps
    rng = np.random.default_rng(6)
    head = list(np.round(np.linspace(0.5, 0.0004, 60), 4))
    floor = list(np.round(rng.choice([0.0001, 0.0002, 0.0003], 40, p=[0.3, 0.5, 0.2]), 4))
    steps = list(range(10, 1010, 10))
    analysis = analyze_run(make_run({("train", "loss"): (steps, head + floor)}))
    assert "still_improving" not in kinds_of(analysis, "train_loss")
    assert "spike" not in kinds_of(analysis, "train_loss")  # pattern 6 too


# --------------------------------------------------------------------------- 4. plateau


def test_a_small_but_real_fall_is_not_a_plateau() -> None:
    # validation loss fell at every one of 20 evaluations, by well over its noise
    rng = np.random.default_rng(7)
    val = list(1.0 - 0.0008 * np.arange(20) + 2e-5 * rng.standard_normal(20))
    analysis = analyze_run(make_run({("eval", "loss"): (list(range(100, 2100, 100)), val)}))
    assert "plateau" not in kinds_of(analysis, "val_loss")
    assert "still_improving" in kinds_of(analysis, "val_loss")


def test_a_flat_curve_with_small_noise_is_a_plateau() -> None:
    rng = np.random.default_rng(8)
    val = list(np.concatenate([np.linspace(3.0, 1.5, 8), np.full(16, 1.5)])
               * (1 + 0.001 * rng.standard_normal(24)))
    analysis = analyze_run(make_run({("eval", "loss"): (list(range(100, 2500, 100)), val)}))
    assert "plateau" in kinds_of(analysis, "val_loss")


def test_the_end_of_training_is_judged_on_the_per_epoch_mean_when_logged() -> None:
    # per-step loss: noisy (sd 0.4) around a slowly falling level; its per-epoch mean
    # (Lightning's train_loss_epoch) falls at every epoch
    rng = np.random.default_rng(9)
    steps = list(range(1, 2001))
    level = np.linspace(3.0, 2.0, 2000)
    per_step = list(level + 0.4 * rng.standard_normal(2000))
    epoch_steps = list(range(100, 2100, 100))
    per_epoch = [float(np.mean(per_step[s - 100:s])) for s in epoch_steps]
    analysis = analyze_run(make_run({("train", "loss"): (steps, per_step),
                                     ("train", "loss_epoch"): (epoch_steps, per_epoch)}))
    (end,) = [f for f in analysis.findings_for("train_loss")
              if f.evidence.get("rule") == "end_of_training"]
    assert end.evidence["metric"] == "loss_epoch" and "per-epoch mean" in end.message
    assert end.kind is FindingKind.STILL_IMPROVING


# --------------------------------------------------------------------------- 5. bounded metrics


def _accuracy_run(values: list[float]) -> Run:
    steps = list(range(100, 100 * (len(values) + 1), 100))
    return make_run({("eval", "loss"): (steps, list(np.linspace(0.1, 0.05, len(values)))),
                     ("eval", "accuracy"): (steps, values)})


@pytest.mark.parametrize(("values", "expected"), [
    # rose at 22 of 23 epochs, 98.50% -> 98.84%: the error fell by a fifth
    (list(np.linspace(98.50, 98.84, 23)), "increasing"),
    (list(np.linspace(0.9850, 0.9884, 23)), "increasing"),
    # must NOT trigger: an accuracy that only wobbles near its level stays flat
    ([98.5 + 0.002 * ((-1) ** i) for i in range(23)], "flat"),
])
def test_bounded_metrics_are_judged_by_their_error(values, expected) -> None:
    analysis = analyze_run(_accuracy_run(values))
    assert analysis.curve("eval_metric").trend == expected


def test_three_points_are_too_few_never_flat() -> None:
    analysis = analyze_run(_accuracy_run([0.07, 0.12, 0.24]))
    assert analysis.curve("eval_metric").trend != "flat"


# --------------------------------------------------------------------------- 6. rounding


def test_a_real_spike_in_a_rounded_log_is_still_found() -> None:
    values = [round(v, 4) for v in falling(100, 3.0, 0.5, 0.01, seed=10)]
    values[70] = 3.0
    analysis = analyze_run(make_run({("train", "loss"): (list(range(10, 1010, 10)), values)}))
    (spike,) = find(analysis, FindingKind.SPIKE)
    assert spike.evidence["steps"] == [710]
    assert spike.evidence["parameters"]["resolution"] == pytest.approx(1e-4)


# --------------------------------------------------------------------------- 8. loss-derived


def test_perplexity_is_not_the_quality_metric() -> None:
    steps = list(range(100, 1100, 100))
    loss = list(np.linspace(3.0, 2.0, 10))
    analysis = analyze_run(make_run({("eval", "loss"): (steps, loss),
                                     ("eval", "perplexity"): (steps, list(np.exp(loss)))}))
    assert analysis.panels["eval_metric"] is None
    assert "metric_agrees_with_loss" not in kinds_of(analysis)
    (no_data,) = find(analysis, FindingKind.NO_DATA, "eval_metric")
    assert "perplexity" in no_data.message


def test_a_real_metric_is_chosen_over_perplexity() -> None:
    steps = list(range(100, 1100, 100))
    loss = list(np.linspace(3.0, 2.0, 10))
    analysis = analyze_run(make_run({("eval", "loss"): (steps, loss),
                                     ("eval", "perplexity"): (steps, list(np.exp(loss))),
                                     ("eval", "bleu"): (steps, list(np.linspace(5, 20, 10)))}))
    assert analysis.panels["eval_metric"] == ("eval", "bleu")


# ----------------------------------------------------------------- 9. eval-time train loss


def test_the_gap_uses_the_logs_eval_time_train_loss() -> None:
    # nanoGPT: "step N: train loss X, val loss Y" (X over many batches), and a per-iteration
    # loss that happens to be high at the evaluation steps (one noisy batch)
    steps = list(range(10, 1010, 10))
    per_iter = falling(100, 4.0, 1.8, 0.01, seed=11)
    eval_steps = list(range(100, 1100, 100))
    for s in eval_steps:
        per_iter[s // 10 - 1] = 3.5
    estimate = list(np.linspace(3.0, 1.8, 10))
    val = [e + 0.1 for e in estimate]
    run = make_run({("train", "loss"): (steps, per_iter),
                    ("train", "loss_estimate"): (eval_steps, estimate),
                    ("eval", "loss"): (eval_steps, val)})
    (gap,) = find(analyze_run(run), FindingKind.TRAIN_VAL_GAP)
    assert gap.evidence["train_loss_source"] == "eval_time"
    assert gap.evidence["gaps"] == pytest.approx([0.1] * 10)
    assert "measured at evaluation time" in gap.message


# --------------------------------------------------------------------------- early stopping


def _val_frame(values: list[float]) -> pd.DataFrame:
    steps = list(range(100, 100 * (len(values) + 1), 100))
    return pd.DataFrame({"step": steps, "epoch": [s / 100 for s in steps], "value": values})


def test_early_stopping_says_where_it_would_have_stopped() -> None:
    val = [3.0, 2.5, 2.2, 2.05, 2.0, 2.03, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6]
    (found,) = detect_early_stopping(_val_frame(val), total_steps=1200)
    ev = found.evidence
    assert ev["kept_step"] == 500 and ev["stop_step"] == 500 + 100 * EARLY_STOPPING_PATIENCE
    assert ev["saved_fraction"] == pytest.approx((1200 - ev["stop_step"]) / 1200)
    assert found.severity.value == "info" and "patience 3" in found.message


@pytest.mark.parametrize("val", [
    # never stops: improves at every evaluation
    [3.0, 2.6, 2.35, 2.2, 2.1, 2.02, 1.96, 1.91, 1.87, 1.84],
    # would stop on a plateau, keeping a checkpoint far worse than the run's best
    [3.0, 2.0, 2.01, 2.02, 2.03, 1.5, 1.2, 1.0, 0.9, 0.85],
    # stops only at the last evaluation: saves nothing
    [3.0, 2.5, 2.2, 2.1, 2.0, 2.01, 2.02, 2.03],
    # too few evaluations
    [3.0, 2.0, 2.1],
])
def test_early_stopping_must_not_trigger(val) -> None:
    assert detect_early_stopping(_val_frame(val)) == []


# --------------------------------------------------------------------------- performance


def _brute_force_levels(train: pd.DataFrame, eval_steps: list[int]) -> list[float | None]:
    """A scan per evaluation, as the reference: the last training loss at or before it."""
    steps, values = train["step"].to_numpy(), train["value"].to_numpy(dtype=float)
    out = []
    for step in eval_steps:
        before = values[steps <= step]
        out.append(float(before[-1]) if before.size else None)
    return out


def test_the_gap_uses_training_losses_found_in_the_log() -> None:
    """Regression (a Lightning log): a median over the interval lagged a fast-falling loss
    and flipped the sign of the gap's trend; the last logged value does not."""
    train = pd.DataFrame({"step": [90, 100, 190, 200], "value": [0.90, 0.60, 0.45, 0.30]})
    assert train_levels_at_evals(train, [100, 200, 50]) == [0.60, 0.30, None]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_levels_match_the_scan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    steps = np.unique(rng.integers(0, 5000, 800))
    train = pd.DataFrame({"step": steps, "value": rng.random(steps.size)})
    eval_steps = sorted(int(s) for s in rng.integers(-10, 5100, 60))
    assert train_levels_at_evals(train, eval_steps) == _brute_force_levels(train, eval_steps)


def test_train_levels_scale_to_a_million_points() -> None:
    train = pd.DataFrame({"step": np.arange(1_000_000), "value": np.linspace(5, 1, 1_000_000)})
    eval_steps = list(range(500, 1_000_000, 500))
    start = time.perf_counter()
    levels = train_levels_at_evals(train, eval_steps)
    assert len(levels) == len(eval_steps)
    assert time.perf_counter() - start < 1.0  # the scan took > 1.5 s on a fast machine


@pytest.mark.parametrize("seed", [0, 1])
def test_row_median_matches_numpy(seed: int) -> None:
    from reportlib.analysis.anomalies import _row_nanmedian

    rng = np.random.default_rng(seed)
    rows = rng.random((500, 4))
    rows[rng.random((500, 4)) < 0.3] = np.nan
    rows[:, 0] = np.where(np.isnan(rows).all(axis=1), 0.5, rows[:, 0])
    assert np.allclose(_row_nanmedian(rows), np.nanmedian(rows, axis=1))


def test_a_bounded_metric_rising_near_its_ceiling_is_not_a_plateau() -> None:
    # accuracy rising 98.50 -> 98.84 under small noise: the last quarter gains about
    # 0.09 points, inside 2% of the level (1.98 points) but not of the error (0.024)
    rng = np.random.default_rng(12)
    values = list(np.linspace(98.50, 98.84, 23) + 0.01 * rng.standard_normal(23))
    analysis = analyze_run(_accuracy_run(values))
    (end,) = [f for f in analysis.findings_for("eval_metric")
              if f.evidence.get("rule") == "end_of_training"]
    assert end.kind is not FindingKind.PLATEAU
    ev = end.evidence
    assert ev["tail_band_of_error"] is True
    assert ev["tail_band"] == pytest.approx(0.02 * (100 - ev["tail_level"]))
    assert "error below its ceiling" in end.message or end.kind is FindingKind.STILL_IMPROVING


def test_no_early_stopping_when_the_validation_curve_still_improves() -> None:
    # a stall of 3 evaluations, then a slow steady fall: early stopping keeps a checkpoint
    # within 1% of the best, yet the curve was still improving at the end
    val = [3.0, 2.5, 2.2, 2.21, 2.22, 2.23, 2.205, 2.2, 2.195, 2.19, 2.185, 2.18]
    steps = list(range(100, 1300, 100))
    assert detect_early_stopping(_val_frame(val))  # the rule alone would fire...
    analysis = analyze_run(make_run({("eval", "loss"): (steps, val)}))
    assert "still_improving" in kinds_of(analysis, "val_loss")
    assert "early_stopping" not in kinds_of(analysis)  # ...but not beside "train longer"


def test_a_noisy_per_step_loss_on_a_plateau_is_a_plateau() -> None:
    # generated: 1000 per-step losses at 2.0 with 2.5% noise; the change over the last
    # quarter is shown small by its 90% interval (TOST)
    rng = np.random.default_rng(13)
    values = list(2.0 + 0.05 * rng.standard_normal(1000))
    analysis = analyze_run(make_run({("train", "loss"): (list(range(1, 1001)), values)}))
    assert "plateau" in kinds_of(analysis, "train_loss")


@pytest.mark.parametrize("make", [diverging_run, _improving_val_run])
def test_generated_shapes_have_json_safe_evidence(make) -> None:
    import json

    for finding in analyze_run(make()).findings:
        json.dumps(finding.to_dict())


def _overfit_then_dip() -> Run:
    """Generated: overfitting, then a late dip of validation loss (tempts 'train longer')."""
    steps = list(range(10, 1210, 10))
    val = [3.0, 2.5, 2.2, 2.05, 2.0, 2.2, 2.5, 2.9, 3.2, 3.1, 2.95, 2.8]
    return make_run({("train", "loss"): (steps, falling(120, 4, 0.3, 0.01, 5)),
                     ("eval", "loss"): (list(range(100, 1300, 100)), val)})


@pytest.mark.parametrize("make", [diverging_run, _improving_val_run, _overfit_then_dip])
def test_generated_shapes_do_not_contradict_themselves(make) -> None:
    from test_analysis_contradictions import contradictions

    assert contradictions(analyze_run(make()).findings) == []


def test_a_quantised_accuracy_stuck_at_one_value_is_not_still_improving() -> None:
    # generated: accuracy over 384 examples (float32, like Lightning writes it), stuck at
    # 312/384 with a few one-example moves: less than one step of change is no improvement
    rng = np.random.default_rng(14)
    counts = list(np.linspace(130, 312, 40).round()) + list(
        312 + rng.choice([0, 0, 0, 0, 1, -1], 60))
    acc = [float(np.float32(c / 384)) for c in counts]
    steps = list(range(10, 1010, 10))
    loss = list(np.linspace(2.0, 0.7, 100))
    analysis = analyze_run(make_run({("eval", "loss"): (steps, loss),
                                     ("eval", "accuracy"): (steps, acc)}))
    kinds = kinds_of(analysis, "eval_metric")
    assert "still_improving" not in kinds and "getting_worse" not in kinds


def test_the_evaluation_table_uses_the_eval_time_train_loss() -> None:
    from reportlib.analysis import evaluation_frame

    steps = list(range(10, 1010, 10))
    eval_steps = list(range(100, 1100, 100))
    estimate = list(np.linspace(3.0, 1.8, 10))
    run = make_run({("train", "loss"): (steps, [9.0] * 100),
                    ("train", "loss_estimate"): (eval_steps, estimate),
                    ("eval", "loss"): (eval_steps, [e + 0.1 for e in estimate])})
    assert evaluation_frame(run)["train_loss"].tolist() == pytest.approx(estimate)


def test_no_end_verdict_on_a_curve_still_coming_back_from_a_divergence() -> None:
    analysis = analyze_run(diverging_run())
    assert not [f for f in analysis.findings_for("train_loss")
                if f.evidence.get("rule") == "end_of_training"]
