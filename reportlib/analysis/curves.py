"""One curve at a time: summary numbers, trend, noise level and TensorBoard smoothing.

A *curve* is the rows of one ``(split, metric)`` pair of a run's scalars, as
:meth:`reportlib.run.Run.series` returns them (columns step, epoch, value).
Everything here is a pure function of such a frame or of an array of values.
NaN and inf are kept in the input and counted, never dropped silently: the
statistics use the finite values and say how many others there were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportlib.analysis._common import finite_or_none
from reportlib.analysis.noise import as_float_array, noise_scale, resolution
from reportlib.errors import ParameterError
from reportlib.metrics import bounds_for
from reportlib.metrics import higher_is_better as _higher_is_better

#: Fewer finite points than this and a curve has no trend: with two points any
#: difference looks like a trend and there is no way to tell it from noise.
MIN_POINTS_FOR_TREND = 3

#: A curve whose start and end levels differ by less than this fraction of the
#: larger of the two is "flat". 2% is below the epoch-to-epoch change of a
#: training loss that is still learning, and above float noise and rounding.
FLAT_RELATIVE_CHANGE = 0.02

#: How many standard errors the change between start and end levels must
#: exceed for a trend: about a 95% two-sided level for Gaussian noise.
TREND_NOISE_MULTIPLIER = 2.0

TREND_END_POINTS = 3
"""The start / end level of a trend is the median of this many points at each end
(a quarter of the points when there are fewer than 12): three damp one noisy value,
yet stay at the ends, so a loss that drops fast and then flattens reads as falling."""

MIN_POINTS_FOR_FLAT = 5
"""Fewer finite points than this and a curve is never called flat: the noise
estimate rests on one or two second differences, so "within the noise" cannot
be told from "too few to tell" (a 3-point curve rising +243% is not flat)."""

SWING_RELATIVE = 0.25
"""A curve whose ends agree is not flat when its level in between departs from
them by more than a quarter of their level (and more than its noise): it swung
(a loss that climbed to 14x and came back), and "flat" would hide that."""

SWING_WINDOW_FRACTION = 0.1
"""The level in between is a running median over a tenth of the points (at least
3), so batch-to-batch noise of a per-step loss does not read as a swing."""

SWING_NOISE_MULTIPLIER = 4.0
"""...and by more than this many standard errors of that running median: the
largest of many running medians passes 2 standard errors by chance on a noisy
per-batch curve; 4 (a tail of about 1 in 16,000 per point) leaves that to real swings."""

HALVES_MIN_POINTS = 8
"""From this many finite points a curve whose ends do not show a change is also judged
by its halves (see :data:`HALVES_T`): four points a half give each its own spread."""

HALVES_T = 2.0
"""A curve whose second half's mean differs from its first half's by more than this many
standard errors (Welch's, from each half's own spread) and by
:data:`FLAT_RELATIVE_CHANGE` of the level moved, whatever its ends say: one or two
spikes in a short curve inflate the second-difference noise the ends are judged by
(validation loss 0.61, 0.96, 0.39, 0.33, 0.92, then 0.25, 0.43, 0.16, 0.17, 0.29 fell)."""

TREND_VALUES: tuple[str, ...] = ("decreasing", "increasing", "flat", "swinging", "too_few_points")
"""The values :func:`trend` returns."""


@dataclass(frozen=True)
class CurveSummary:
    """The summary numbers of one curve.

    Attributes
    ----------
    split, metric:
        Which curve (``"eval"``, ``"chrf"``).
    points:
        Number of logged rows, finite or not.
    n_finite, n_non_finite:
        How many of them are finite / NaN or infinite.
    first, last:
        The first and last *finite* values (None if there is none).
    first_step, first_epoch, last_step, last_epoch:
        Where those were logged (epoch None when unknown).
    ends_non_finite:
        Whether the last logged row is NaN or infinite (the run may have diverged).
    best:
        The best finite value: the minimum for losses and other lower-is-better
        metrics (WER...), the maximum for chrF, BLEU, accuracy...; None when the
        direction of the metric is unknown (learning rate, gradient norm).
    best_step, best_epoch:
        Where the best value was first reached.
    relative_change:
        ``(last - first) / |first|``; None with fewer than two finite points or a zero first value.
    trend:
        One of :data:`TREND_VALUES`.
    higher_is_better:
        True, False, or None when unknown.
    noise:
        Estimated standard deviation of the point-to-point noise (see :func:`noise_scale`), or None.
    resolution:
        The step of the log's rounding (``1e-4`` for values written to 4
        decimals; see :func:`resolution`), or None at full precision.
    bounds:
        The metric's natural ``(floor, ceiling)`` on the log's scale (accuracy
        in [0, 1] or [0, 100]), or None; a bounded higher-is-better metric's
        trend is judged on its error (ceiling - value).
    trend_evidence:
        The numbers behind ``trend`` (:class:`TrendEvidence`: the levels it
        compares, the change that would have counted, the halves' means when they
        decided it).
    """

    split: str
    metric: str
    points: int
    n_finite: int
    n_non_finite: int
    first: float | None
    first_step: int | None
    first_epoch: float | None
    last: float | None
    last_step: int | None
    last_epoch: float | None
    ends_non_finite: bool
    best: float | None
    best_step: int | None
    best_epoch: float | None
    relative_change: float | None
    trend: str
    higher_is_better: bool | None
    noise: float | None
    resolution: float | None = None
    bounds: tuple[float, float] | None = None
    trend_evidence: TrendEvidence | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(split, metric)``."""
        return (self.split, self.metric)


def smooth_ema(values: object, weight: float = 0.6) -> np.ndarray:
    """TensorBoard's debiased exponential moving average, exactly.

    A transcription of TensorBoard's scalar-chart smoothing: ``last`` starts at
    0; each finite value updates ``last = last * weight + (1 - weight) * value``
    and the output is ``last / (1 - weight ** n)`` where ``n`` counts the finite
    values seen so far (the debiasing, so the first point is not pulled towards
    0). NaN and inf pass through unchanged and do not advance ``n``. A constant
    series (every value equal to the first) is returned unchanged.

    Parameters
    ----------
    values:
        A one-dimensional sequence of numbers (NaN and inf allowed).
    weight:
        The smoothing weight in [0, 1]; 0 returns the values, TensorBoard's default is 0.6.

    Returns
    -------
    numpy.ndarray of float, the same length as ``values``.

    Raises
    ------
    reportlib.errors.ParameterError
        ``weight`` outside [0, 1] or ``values`` not one-dimensional.
    """
    w = float(weight)
    if not 0.0 <= w <= 1.0:
        raise ParameterError(
            f"smoothing weight must be in [0, 1], got {weight!r}",
            hint="use 0 for no smoothing and 0.6 for TensorBoard's default",
        )
    data = as_float_array(values)
    out = data.copy()
    if data.size == 0:
        return out
    # TensorBoard's `data.every(v => v == data[0])`: NaN never equals itself.
    if bool(np.all(data == data[0])):
        return out
    last = 0.0
    count = 0
    for i, value in enumerate(data.tolist()):
        if not math.isfinite(value):
            continue
        last = last * w + (1.0 - w) * value
        count += 1
        debias = 1.0 if w == 1.0 else 1.0 - w**count
        out[i] = last / debias
    return out


def near_ceiling(values: np.ndarray, bounds: tuple[float, float] | None,
                 higher_is_better: bool | None) -> bool:
    """Whether a higher-is-better bounded metric sits nearer its ceiling than its floor
    (median of its finite values): then its error (ceiling - value) is the scale its
    changes are judged on (accuracy 98.5% -> 98.8% is a fifth less error, not +0.3%);
    far from the ceiling (chrF 11 of 100) the value itself is."""
    finite = values[np.isfinite(values)]
    if bounds is None or higher_is_better is not True or finite.size == 0:
        return False
    return float(np.median(finite)) > (bounds[0] + bounds[1]) / 2.0


@dataclass(frozen=True)
class TrendEvidence:
    """The numbers behind a :func:`trend` verdict, on the curve's own scale: ``verdict``
    (one of :data:`TREND_VALUES`), ``n`` finite values, ``start`` and ``end`` the
    medians of the first and last ``k`` of them, ``change = end - start``, and the
    ``threshold`` a change had to exceed to count (the larger of
    :data:`FLAT_RELATIVE_CHANGE` of the larger level and :data:`TREND_NOISE_MULTIPLIER`
    standard errors of the change, from ``noise``, see :func:`noise_scale`; the latter
    is ``noise_threshold``). The numbers are None (``k`` 0) below
    :data:`MIN_POINTS_FOR_TREND` points. ``halves`` holds the means of the first and
    last half when they, not the ends, decided the direction (see :data:`HALVES_T`)."""

    verdict: str
    n: int
    k: int = 0
    start: float | None = None
    end: float | None = None
    change: float | None = None
    threshold: float | None = None
    noise: float | None = None
    noise_threshold: float | None = None
    halves: tuple[float, float] | None = None


def trend(
    values: object,
    *,
    bounds: tuple[float, float] | None = None,
    higher_is_better: bool | None = None,
) -> str:
    """Whether a curve goes down, up, stays flat, or swings: :func:`trend_evidence`'s verdict."""
    return trend_evidence(values, bounds=bounds, higher_is_better=higher_is_better).verdict


def trend_evidence(
    values: object,
    *,
    bounds: tuple[float, float] | None = None,
    higher_is_better: bool | None = None,
) -> TrendEvidence:
    """Whether a curve goes down, up, stays flat, or swings and comes back, with its numbers.

    The start and end levels are the medians of the first and last
    :data:`TREND_END_POINTS` finite values (a quarter of them, at least one,
    for short curves). A change counts when it exceeds both
    :data:`FLAT_RELATIVE_CHANGE` of the larger level and
    :data:`TREND_NOISE_MULTIPLIER` standard errors of that difference given the
    curve's noise (:func:`noise_scale`). When it does not, the curve is
    ``"swinging"`` if its running level in between departed from the ends by
    more than :data:`SWING_RELATIVE` of their level and the noise, ``"flat"``
    otherwise, or ``"too_few_points"`` below :data:`MIN_POINTS_FOR_FLAT` points
    (too few to tell flat from noisy).

    Parameters
    ----------
    values:
        The curve's values in step order (non-finite ones are ignored).
    bounds, higher_is_better:
        A higher-is-better metric with a ceiling (accuracy, F1, IoU) that sits
        nearer the ceiling is judged on its error, ceiling - value (see
        :func:`near_ceiling`): 98.50% -> 98.84% is a 23% smaller error, not a
        0.3% change of a flat curve. The returned direction is the metric's.

    Returns
    -------
    TrendEvidence; its verdict is ``"too_few_points"`` (and its numbers None)
    with fewer than :data:`MIN_POINTS_FOR_TREND` finite values.
    """
    data = as_float_array(values)
    finite = data[np.isfinite(data)]
    n = finite.size
    if n < MIN_POINTS_FOR_TREND:
        return TrendEvidence("too_few_points", n)
    flipped = near_ceiling(finite, bounds, higher_is_better)
    work = (bounds[1] - finite) if flipped else finite  # type: ignore[index]
    k = max(1, min(TREND_END_POINTS, n // 4))
    start = float(np.median(work[:k]))
    end = float(np.median(work[-k:]))
    change = end - start
    scale = max(abs(start), abs(end))
    noise = noise_scale(work)
    # Standard error of a median of k points is about sigma * sqrt(pi / 2k);
    # of the difference of two such medians, sigma * sqrt(pi / k).
    standard_error = 0.0 if noise is None else noise * math.sqrt(math.pi / k)
    threshold = max(FLAT_RELATIVE_CHANGE * scale, TREND_NOISE_MULTIPLIER * standard_error)
    real = scale > 0.0 and abs(change) > FLAT_RELATIVE_CHANGE * scale \
        and abs(change) > TREND_NOISE_MULTIPLIER * standard_error
    # The levels on the curve's own scale (the median of ceiling - v is ceiling - the median).
    first, last = float(np.median(finite[:k])), float(np.median(finite[-k:]))
    shown = dict(n=n, k=k, start=first, end=last, change=last - first, threshold=threshold,
                 noise=noise, noise_threshold=TREND_NOISE_MULTIPLIER * standard_error)
    if real:
        if flipped:
            change = -change
        return TrendEvidence("decreasing" if change < 0 else "increasing", **shown)
    if n >= HALVES_MIN_POINTS:
        half = n // 2
        first_half, last_half = work[:half], work[n - half:]
        moved = float(last_half.mean() - first_half.mean())
        error = math.sqrt(float(first_half.var(ddof=1) + last_half.var(ddof=1)) / half)
        level = max(abs(float(first_half.mean())), abs(float(last_half.mean())))
        if abs(moved) > HALVES_T * error and abs(moved) > FLAT_RELATIVE_CHANGE * level:
            means = (float(finite[:half].mean()), float(finite[n - half:].mean()))
            direction = (-moved if flipped else moved) < 0
            return TrendEvidence("decreasing" if direction else "increasing",
                                 **{**shown, "halves": means})
    if n < MIN_POINTS_FOR_FLAT:
        return TrendEvidence("too_few_points", **shown)
    window = max(3, int(n * SWING_WINDOW_FRACTION))
    level = pd.Series(work).rolling(window, center=True, min_periods=1).median().to_numpy()
    departure = float(np.max(np.abs(level - (start + end) / 2.0)))
    # Standard error of a running median of `window` points: sigma * sqrt(pi / 2 window).
    level_error = 0.0 if noise is None else noise * math.sqrt(math.pi / (2 * window))
    if departure > max(SWING_RELATIVE * scale, SWING_NOISE_MULTIPLIER * level_error):
        return TrendEvidence("swinging", **shown)
    return TrendEvidence("flat", **shown)


def summarize_curve(
    frame: pd.DataFrame,
    *,
    split: str,
    metric: str,
    higher_is_better: bool | None = None,
) -> CurveSummary:
    """Summarise one curve: counts, first/last/best values and where, change and trend.

    Parameters
    ----------
    frame:
        The curve's rows with columns ``step``, ``epoch`` and ``value`` (as
        :meth:`reportlib.run.Run.series` returns them); sorted here by step.
    split, metric:
        Which curve it is.
    higher_is_better:
        The metric's direction; looked up with :func:`reportlib.metrics.higher_is_better`
        when None.

    Returns
    -------
    CurveSummary

    Raises
    ------
    reportlib.errors.ParameterError
        ``frame`` lacks one of the columns step, epoch, value.
    """
    missing = [c for c in ("step", "epoch", "value") if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"the curve frame lacks column(s) {', '.join(missing)}; it has {list(frame.columns)}",
            hint="pass the frame Run.series(split, metric) returns",
        )
    direction = _higher_is_better(metric) if higher_is_better is None else higher_is_better
    rows = frame.sort_values("step", kind="stable")
    values = rows["value"].to_numpy(dtype=float)
    bounds = bounds_for(metric, values)
    steps = rows["step"].to_numpy()
    epochs = rows["epoch"].to_numpy(dtype=float)
    finite_mask = np.isfinite(values)
    finite_idx = np.flatnonzero(finite_mask)
    n_finite = int(finite_idx.size)

    def at(i: int | None) -> tuple[float | None, int | None, float | None]:
        if i is None:
            return None, None, None
        return float(values[i]), int(steps[i]), finite_or_none(epochs[i])

    first_i = int(finite_idx[0]) if n_finite else None
    last_i = int(finite_idx[-1]) if n_finite else None
    best_i: int | None = None
    if n_finite and direction is not None:
        finite_values = values[finite_idx]
        pick = np.argmax(finite_values) if direction else np.argmin(finite_values)
        best_i = int(finite_idx[int(pick)])
    first, first_step, first_epoch = at(first_i)
    last, last_step, last_epoch = at(last_i)
    best, best_step, best_epoch = at(best_i)
    evidence = trend_evidence(values, bounds=bounds, higher_is_better=direction)
    relative_change = None
    if n_finite >= 2 and first not in (None, 0.0):
        relative_change = (last - first) / abs(first)  # type: ignore[operator]
    return CurveSummary(
        split=split,
        metric=metric,
        points=int(values.size),
        n_finite=n_finite,
        n_non_finite=int(values.size - n_finite),
        first=first,
        first_step=first_step,
        first_epoch=first_epoch,
        last=last,
        last_step=last_step,
        last_epoch=last_epoch,
        ends_non_finite=bool(values.size and not finite_mask[-1]),
        best=best,
        best_step=best_step,
        best_epoch=best_epoch,
        relative_change=relative_change,
        trend=evidence.verdict,
        higher_is_better=direction,
        noise=noise_scale(values),
        resolution=resolution(values),
        bounds=bounds,
        trend_evidence=evidence,
    )


__all__ = [
    "FLAT_RELATIVE_CHANGE",
    "HALVES_MIN_POINTS",
    "HALVES_T",
    "MIN_POINTS_FOR_FLAT",
    "MIN_POINTS_FOR_TREND",
    "SWING_NOISE_MULTIPLIER",
    "SWING_RELATIVE",
    "SWING_WINDOW_FRACTION",
    "TREND_END_POINTS",
    "TREND_NOISE_MULTIPLIER",
    "TREND_VALUES",
    "CurveSummary",
    "TrendEvidence",
    "near_ceiling",
    "smooth_ema",
    "summarize_curve",
    "trend",
    "trend_evidence",
]
