"""Tests of reportlib.analysis.curves: smoothing, noise, trend and curve summaries.

Every series here is generated test data (synthetic, seeded), not a real run.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportlib.analysis.curves import (
    FLAT_RELATIVE_CHANGE,
    MIN_POINTS_FOR_TREND,
    smooth_ema,
    summarize_curve,
    trend,
)
from reportlib.analysis.noise import noise_scale, resolution
from reportlib.errors import ParameterError


def tensorboard_reference(values: list[float], weight: float) -> list[float]:
    """A line-by-line transcription of TensorBoard's scalar smoothing (resmoothDataset)::

        let last = numValues > 0 ? 0 : NaN; let numAccum = 0;
        const isConstant = data.every(v => v == data[0]);
        data.forEach(d => { const nextVal = d.y;
          if (isConstant || !Number.isFinite(nextVal)) { d.smoothed = nextVal; }
          else { last = last * smoothingWeight + (1 - smoothingWeight) * nextVal; numAccum++;
                 let debiasWeight = 1;
                 if (smoothingWeight !== 1) {
                   debiasWeight = 1 - Math.pow(smoothingWeight, numAccum); }
                 d.smoothed = last / debiasWeight; } });
    """
    last = 0.0 if len(values) > 0 else math.nan
    num_accum = 0
    is_constant = all(v == values[0] for v in values)
    out = []
    for next_val in values:
        if is_constant or not math.isfinite(next_val):
            out.append(next_val)
        else:
            last = last * weight + (1 - weight) * next_val
            num_accum += 1
            debias_weight = 1.0
            if weight != 1:
                debias_weight = 1 - math.pow(weight, num_accum)
            out.append(last / debias_weight)
    return out


NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    ("values", "weight"),
    [
        pytest.param([3.0, 2.0, 2.5, 1.0, 1.2], 0.6, id="plain"),
        pytest.param([3.0, NAN, 2.0, NAN, 1.0], 0.6, id="nan-in-middle"),
        pytest.param([3.0, INF, 2.0, -INF, 1.0], 0.6, id="inf-in-middle"),
        pytest.param([NAN, 4.0, 3.0, 2.0], 0.6, id="leading-nan"),
        pytest.param([NAN, NAN, NAN], 0.6, id="all-nan"),
        pytest.param([2.0, 2.0, 2.0, 2.0], 0.6, id="constant"),
        pytest.param([INF, INF], 0.6, id="constant-inf"),
        pytest.param([3.0, 1.0, 2.0, 5.0], 0.0, id="weight-0"),
        pytest.param([3.0, 1.0, 2.0, 5.0, 4.0, 4.5], 0.99, id="weight-0.99"),
        pytest.param([3.0, 1.0, 2.0], 1.0, id="weight-1"),
        pytest.param([7.5], 0.6, id="single"),
        pytest.param([], 0.6, id="empty"),
    ],
)
def test_smooth_ema_matches_tensorboard_transcription(values: list[float], weight: float) -> None:
    got = smooth_ema(values, weight)
    expected = np.asarray(tensorboard_reference(values, weight), dtype=float)
    np.testing.assert_array_equal(got, expected)
    assert len(got) == len(values)


def test_smooth_ema_hand_computed() -> None:
    # weight 0.5 on [1, 2]: the debiased EMA is the weighted mean (0.5*1 + 1*2) / 1.5.
    np.testing.assert_allclose(smooth_ema([1.0, 2.0], 0.5), [1.0, 2.5 / 1.5])


def test_smooth_ema_nan_does_not_advance_debias_count() -> None:
    # With the NaN skipped, the last value must equal the smoothing of [1, 3] alone.
    with_gap = smooth_ema([1.0, NAN, 3.0], 0.6)
    without = smooth_ema([1.0, 3.0], 0.6)
    assert math.isnan(with_gap[1])
    assert with_gap[2] == without[1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=40),
    st.floats(0.0, 0.95),
)
def test_smooth_ema_is_the_adjusted_exponential_mean(values: list[float], weight: float) -> None:
    """An independent oracle: TensorBoard's debiased EMA equals pandas' adjusted EWM
    (a weighted mean with weights weight**age) for finite, non-constant series."""
    if all(v == values[0] for v in values):
        return
    expected = pd.Series(values).ewm(alpha=1.0 - weight, adjust=True).mean().to_numpy()
    np.testing.assert_allclose(smooth_ema(values, weight), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("values", "weight", "match"),
    [
        ([1.0, 2.0], -0.1, r"smoothing weight must be in \[0, 1\], got -0\.1"),
        ([1.0, 2.0], 1.5, r"smoothing weight must be in \[0, 1\], got 1\.5"),
        ([[1.0, 2.0], [3.0, 4.0]], 0.6, r"one-dimensional.*shape \(2, 2\)"),
    ],
)
def test_smooth_ema_rejects_bad_input(values: object, weight: float, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        smooth_ema(values, weight)


def test_noise_scale_estimates_gaussian_noise_under_a_trend() -> None:
    rng = np.random.default_rng(7)
    steps = np.arange(4000)
    values = 5.0 - 0.001 * steps + rng.normal(0.0, 0.1, steps.size)
    estimate = noise_scale(values)
    assert estimate == pytest.approx(0.1, rel=0.1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([1.0, 2.0], None),
        ([1.0, NAN, 2.0], None),  # two finite values
        ([1.0, 2.0, 3.0, 4.0], 0.0),  # a straight line has no noise
        ([5.0, 5.0, 5.0], 0.0),
    ],
)
def test_noise_scale_edge_cases(values: list[float], expected: float | None) -> None:
    assert noise_scale(values) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], "too_few_points"),
        ([3.0], "too_few_points"),
        ([3.0, 2.0], "too_few_points"),
        ([3.0, NAN, 2.0], "too_few_points"),
        ([3.0, 2.5, 2.1, 1.9, 1.8], "decreasing"),
        ([1.0, 3.0, 5.0, 8.0, 9.0, 11.0], "increasing"),
        # four points: too few to tell flat from noisy (issue 11, pattern 5)
        ([2.0, 2.0, 2.0, 2.0], "too_few_points"),
        ([2.0, 2.0, 2.0, 2.0, 2.0], "flat"),
        # a 3-point curve rising +243% monotonically is not "flat"
        ([1.0, 1.5, 3.43], "too_few_points"),
        ([0.07, 0.12, 0.24], "increasing"),
        # changes by 1% end to end: under FLAT_RELATIVE_CHANGE (2%)
        ([2.0, 2.005, 1.995, 2.01, 2.02, 2.02], "flat"),
        # noisy around a constant level: the quarter medians differ within the noise
        ([2.0, 2.6, 1.5, 2.4, 1.7, 2.5, 1.6, 2.2], "flat"),
        ([3.0, NAN, 2.5, INF, 2.0, 1.5], "decreasing"),
    ],
)
def test_trend(values: list[float], expected: str) -> None:
    assert trend(values) == expected


def _diverge_and_recover(seed: int = 0) -> list[float]:
    """Generated (seeded): a loss that warms up too hot, climbs to 14x its start and comes back."""
    rng = np.random.default_rng(seed)
    up = np.linspace(1.0, 14.0, 30)
    down = np.linspace(14.0, 1.0, 30)
    flat = np.full(20, 1.0)
    return list(np.concatenate([flat, up, down, flat]) * (1 + 0.02 * rng.standard_normal(100)))


def _accuracy_rising(seed: int = 1) -> list[float]:
    """Generated (seeded): accuracy rising at most epochs from 98.50% to 98.84% (issue 11, 5)."""
    rng = np.random.default_rng(seed)
    steady = np.linspace(98.50, 98.84, 23)
    return list(steady + 0.003 * rng.standard_normal(23))


@pytest.mark.parametrize(
    ("values", "kwargs", "expected"),
    [
        # ends close, a 14x excursion between: never "flat" (issue 11, pattern 1)
        (_diverge_and_recover(), {}, "swinging"),
        # the error 1.50 -> 1.16 fell by a fifth: accuracy rose (pattern 5)
        (_accuracy_rising(), {"bounds": (0.0, 100.0), "higher_is_better": True}, "increasing"),
        # without its ceiling the same curve is within 2% of its level: flat
        (_accuracy_rising(), {}, "flat"),
        # far from its ceiling (chrF 2 of 100) a bounded metric is judged on its value
        ([2.0, 2.05, 2.1, 2.15, 2.2, 2.25], {"bounds": (0.0, 100.0), "higher_is_better": True},
         "increasing"),
        # must NOT trigger: a bounded metric that is really flat stays flat
        ([98.5 + 0.001 * (i % 2) for i in range(20)],
         {"bounds": (0.0, 100.0), "higher_is_better": True}, "flat"),
        # must NOT trigger: per-step noise around one level is flat, not a swing
        (list(2.0 + 0.3 * np.random.default_rng(5).standard_normal(500)), {}, "flat"),
    ],
)
def test_trend_swings_and_bounded_metrics(values, kwargs, expected) -> None:
    assert trend(values, **kwargs) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.0001, 0.0002, 0.0001, 0.0003], 1e-4),
        ([1.2345, 2.5, 3.0], 1e-4),
        ([2.0, 3.0], 1.0),
        ([0.123456789012345, 1.0], None),
        ([math.nan, math.inf], None),
        # accuracy over 384 examples, stored as float32: steps of 1/384
        ([np.float32(k / 384) for k in (312, 312, 312, 313, 312, 312, 311, 312)], 1 / 384),
        # continuous values that never repeat: full precision
        (list(np.random.default_rng(3).random(20)), None),
    ],
)
def test_resolution(values, expected) -> None:
    got = resolution(values)
    assert got == expected if expected is None else got == pytest.approx(expected, rel=1e-4)


def test_trend_thresholds_are_consistent() -> None:
    assert MIN_POINTS_FOR_TREND >= 3
    # a 5% fall over a clean line is beyond the flat tolerance
    assert FLAT_RELATIVE_CHANGE < 0.05
    assert trend(np.linspace(2.0, 1.9, 12)) == "decreasing"


def _frame(values: list[float], steps: list[int] | None = None,
           epochs: list[float] | None = None) -> pd.DataFrame:
    steps = steps if steps is not None else [10 * (i + 1) for i in range(len(values))]
    epochs = epochs if epochs is not None else [s / 100 for s in steps]
    return pd.DataFrame({"step": steps, "epoch": epochs, "value": values})


@pytest.mark.parametrize(
    ("metric", "values", "expected"),
    [
        # loss: best is the minimum, first occurrence
        ("loss", [3.0, 2.0, 2.5, 2.0], dict(best=2.0, best_step=20, first=3.0, last=2.0,
                                              relative_change=-1 / 3, higher_is_better=False)),
        # chrF: best is the maximum
        ("chrf", [3.0, 9.0, 12.0, 11.0], dict(best=12.0, best_step=30, relative_change=8 / 3,
                                                higher_is_better=True)),
        # WER is recognised as lower-is-better
        ("wer", [0.5, 0.3, 0.4], dict(best=0.3, best_step=20, higher_is_better=False)),
        # a metric of unknown direction has no best
        ("learning_rate", [1e-3, 5e-4, 1e-4], dict(best=None, best_step=None,
                                                    higher_is_better=None)),
        # non-finite values are counted, first/last/best are finite
        ("loss", [NAN, 3.0, INF, 2.0, NAN], dict(points=5, n_finite=2, n_non_finite=3,
                                                  first=3.0, first_step=20, last=2.0,
                                                  last_step=40, ends_non_finite=True, best=2.0)),
        # one point: no change, no trend
        ("loss", [4.2], dict(points=1, first=4.2, last=4.2, relative_change=None,
                             trend="too_few_points", best_step=10)),
        # a zero first value has no relative change
        ("loss", [0.0, 1.0, 2.0], dict(relative_change=None)),
        # nothing finite
        ("loss", [NAN, NAN], dict(first=None, last=None, best=None, n_finite=0,
                                  ends_non_finite=True, trend="too_few_points")),
    ],
)
def test_summarize_curve(metric: str, values: list[float], expected: dict) -> None:
    summary = summarize_curve(_frame(values), split="eval", metric=metric)
    for name, value in expected.items():
        got = getattr(summary, name)
        if isinstance(value, float):
            assert got == pytest.approx(value), name
        else:
            assert got == value, name
    assert summary.key == ("eval", metric)
    assert summary.points == len(values)


def test_summarize_curve_reports_epochs_and_sorts_by_step() -> None:
    frame = _frame([2.0, 3.0, 1.5], steps=[200, 100, 300], epochs=[2.0, 1.0, NAN])
    summary = summarize_curve(frame, split="eval", metric="loss")
    assert (summary.first, summary.first_step, summary.first_epoch) == (3.0, 100, 1.0)
    assert (summary.best, summary.best_step, summary.best_epoch) == (1.5, 300, None)


def test_summarize_curve_empty_frame() -> None:
    summary = summarize_curve(_frame([]), split="train", metric="loss")
    assert (summary.points, summary.first, summary.trend, summary.ends_non_finite) == (
        0, None, "too_few_points", False)


def test_summarize_curve_direction_override() -> None:
    summary = summarize_curve(_frame([1.0, 5.0, 3.0]), split="eval", metric="score",
                              higher_is_better=True)
    assert summary.best == 5.0


def test_summarize_curve_rejects_a_frame_without_columns() -> None:
    with pytest.raises(ParameterError, match=r"lacks column\(s\) epoch"):
        summarize_curve(pd.DataFrame({"step": [1], "value": [1.0]}), split="eval", metric="loss")


def test_per_batch_accuracy_noise_is_not_a_swing() -> None:
    # per-step accuracy of a batch of 32 (values in 1/32 steps), from the public Lightning
    # log tests/data/lightning/pl_metrics_csv__Goreg12345__... (see PROVENANCE.tsv)
    values = [0.375, 0.188, 0.062, 0.188, 0.156, 0.125, 0.062, 0.094, 0.156, 0.0, 0.062, 0.125,
              0.281, 0.031, 0.094, 0.219, 0.062, 0.031, 0.062, 0.156, 0.125, 0.125, 0.094,
              0.062, 0.031, 0.219, 0.094, 0.125]
    assert trend(values, bounds=(0.0, 1.0), higher_is_better=True) == "flat"


def test_a_quantised_metric_that_mostly_repeats_is_not_noiseless() -> None:
    # accuracy over 16 examples: steps of 1/16, most evaluations repeat the last value
    values = [0.8125] * 10 + [0.875, 0.8125, 0.8125, 0.75, 0.8125] + [0.8125] * 10
    assert noise_scale(values) > 0
    assert noise_scale([0.8125] * 25) == 0.0
