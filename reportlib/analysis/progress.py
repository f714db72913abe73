"""Rule family: did a curve improve at all over the run?

The first question about a run is whether training loss fell (and validation
loss with it, and the metric rose). A curve whose whole-run trend
(:func:`~reportlib.analysis.curves.trend_evidence`, the verdict its panel
states) is flat, or went the wrong way, while its log covers the start of
training, gets a ``no_improvement`` warning quoting the trend's own numbers:
the medians of its first and last few points and the change that would have
counted. A log that begins late (an excerpt, a resumed run whose earlier
history is elsewhere) says nothing about the start, so no claim is made on it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reportlib.analysis._common import finite_rows
from reportlib.analysis.curves import (
    FLAT_RELATIVE_CHANGE,
    MIN_POINTS_FOR_FLAT,
    SWING_NOISE_MULTIPLIER,
    SWING_WINDOW_FRACTION,
    TrendEvidence,
    trend_evidence,
)
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.templates import cap, format_number, format_percent, plural, say
from reportlib.formatting import step_range

START_GAPS = 1.5
"""A curve covers the start of training when its first point is logged within
1.5 of its median step gaps of step 0: the first logging interval (HF's first
``logging_steps``, Lightning's ``log_every_n_steps``, Keras's epoch 0 or 1), not
an excerpt or a resumed run that starts thousands of steps in."""

MAX_FIRST_EPOCH = 1.0
"""...and, when its epoch is logged, at an epoch of at most 1 (within the first epoch
counted from 0, as HF, Lightning and Keras do, or the first counted from 1, as
fairseq and mmengine do) or within 1.5 of its median epoch gaps (a run of tiny
epochs logged every 25 of them)."""


def starts_at_beginning(steps: object, epochs: object = None) -> bool:
    """Whether the first of ``steps`` (sorted, finite rows) is the run's first logging interval.

    ``epochs``, logged with them (NaN where unknown), must start early too (see
    :data:`MAX_FIRST_EPOCH`): a log that starts at epoch 5 is an excerpt, even when
    its steps are counted from its own first line (fairseq's 2018 layout).
    """
    if not _starts_early(steps):
        return False
    known = np.asarray([] if epochs is None else epochs, dtype=float)
    known = known[np.isfinite(known)]
    return bool(known.size == 0 or known[0] <= MAX_FIRST_EPOCH or _starts_early(known))


def _starts_early(positions: object) -> bool:
    """Whether the first position is within :data:`START_GAPS` median gaps of zero."""
    values = np.asarray(positions, dtype=float)
    gaps = np.diff(values)
    gaps = gaps[gaps > 0]
    if values.size < 2 or gaps.size == 0:
        return False
    return bool(values[0] <= START_GAPS * float(np.median(gaps)))


def detect_no_improvement(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
    bounds: tuple[float, float] | None = None,
    unit: str = "logged point",
    evidence: TrendEvidence | None = None,
) -> list[Finding]:
    """A ``no_improvement`` warning when the curve ended no better than it began.

    Parameters
    ----------
    frame:
        The curve (columns step, epoch, value); non-finite rows are ignored.
    split, metric, label, panel:
        Which curve, its display label ("Training loss") and its report panel.
    higher_is_better:
        The metric's direction; None (unknown) makes no claim.
    bounds:
        The metric's natural range, for a metric judged on its error near its ceiling.
    unit:
        What one point is called in the sentence ("logged point", "evaluation").
    evidence:
        The curve's trend as its summary already holds it (``CurveSummary.trend_evidence``);
        computed here when not given.

    Returns
    -------
    One warning, or nothing: with fewer than :data:`MIN_POINTS_FOR_FLAT` finite
    points, an unknown direction, a log that does not start at the start of
    training, or a trend that improved or swung (see :func:`trend_evidence`).
    """
    rows = finite_rows(frame)
    if higher_is_better is None or len(rows) < MIN_POINTS_FOR_FLAT:
        return []
    steps = rows["step"].to_numpy()
    if not starts_at_beginning(steps, rows["epoch"].to_numpy(dtype=float)):
        return []
    values = rows["value"].to_numpy(dtype=float)
    if evidence is None:
        evidence = trend_evidence(values, bounds=bounds, higher_is_better=higher_is_better)
    worse = "increasing" if not higher_is_better else "decreasing"
    if evidence.verdict not in ("flat", worse) or evidence.change is None:
        return []
    k = evidence.k
    if evidence.halves is not None:
        return []  # worse by its halves only: the ends this sentence quotes do not show it
    if evidence.verdict == "flat" and (_improved_between(values, evidence, higher_is_better)
                                       or _best_at_the_end(values, evidence, higher_is_better)):
        return []
    relative = (evidence.change / abs(evidence.start)
                if evidence.start not in (None, 0.0) else None)
    change_text = ("+" if evidence.change > 0 else "") + format_number(evidence.change)
    if relative is not None:
        change_text += f" ({format_percent(relative, signed=True)})"
    fields = dict(
        label=cap(label), verb="rise" if higher_is_better else "fall",
        units=f"{unit}s", first_step=int(steps[0]),
        ends=say("no_improvement.ends" if k > 1 else "no_improvement.ends_one",
                 first_text=plural(k, unit), last_text=plural(k, unit), unit=unit,
                 first_steps=step_range(steps[:k]), last_steps=step_range(steps[-k:]),
                 start=evidence.start, end=evidence.end),
        change=change_text,
        threshold=evidence.threshold,
    )
    key = "no_improvement.flat" if evidence.verdict == "flat" else "no_improvement.worse"
    if key == "no_improvement.flat":
        floor = evidence.threshold > (evidence.noise_threshold or 0.0)
        fields["within"] = (say("no_improvement.within_floor",
                                relative=format_percent(FLAT_RELATIVE_CHANGE))
                            if floor else say("no_improvement.within_noise"))
    return [Finding(
        FindingKind.NO_IMPROVEMENT, Severity.WARNING, say(key, **fields),
        {"split": split, "metric": metric, "rule": "no_improvement", "trend": evidence.verdict,
         "parameters": {"end_points": k, "start_gaps": START_GAPS,
                        "min_points": MIN_POINTS_FOR_FLAT},
         "start": evidence.start, "end": evidence.end, "change": evidence.change,
         "threshold": evidence.threshold, "noise": evidence.noise,
         "steps": [int(s) for s in (*steps[:k], *steps[-k:])]},
        panel=panel,
    )]


def _improved_between(values: np.ndarray, evidence: TrendEvidence,
                      higher_is_better: bool) -> bool:
    """Whether the curve's level in between beat its start by more than the trend's
    threshold: then it improved and gave it back, which the overfitting and
    end-of-training findings describe, and "training did not improve it" would be false.

    The level is a running median over a tenth of the points (at least 3), and the gain
    of its best over the start must also clear :data:`SWING_NOISE_MULTIPLIER` standard
    errors of that difference, as a swing must: the best of many running medians of pure
    noise lies away from the start by chance.
    """
    window = max(3, int(values.size * SWING_WINDOW_FRACTION))
    level = pd.Series(values).rolling(window, center=True).median().dropna().to_numpy()
    if level.size == 0 or evidence.start is None or evidence.threshold is None:
        return False
    best = float(level.max() if higher_is_better else level.min())
    gain = best - evidence.start if higher_is_better else evidence.start - best
    # Standard errors of a median of n points: sigma * sqrt(pi / 2n), for the start's k
    # points and the running median's window.
    error = (evidence.noise or 0.0) * math.sqrt(math.pi / (2 * evidence.k)
                                                + math.pi / (2 * window))
    return gain > max(evidence.threshold, SWING_NOISE_MULTIPLIER * error)


def _best_at_the_end(values: np.ndarray, evidence: TrendEvidence,
                     higher_is_better: bool) -> bool:
    """Whether the curve's best value is among its last ``k`` points and beats its start
    by more than :data:`FLAT_RELATIVE_CHANGE`: "did not improve" would then contradict
    "lowest at its last evaluation" (a noisy middle can make such a curve read flat)."""
    if evidence.start is None or not evidence.k:
        return False
    best = float(values.max() if higher_is_better else values.min())
    at_end = best in values[-evidence.k:]
    gain = best - evidence.start if higher_is_better else evidence.start - best
    return bool(at_end and gain > FLAT_RELATIVE_CHANGE * abs(evidence.start))


__all__ = ["MAX_FIRST_EPOCH", "START_GAPS", "detect_no_improvement", "starts_at_beginning"]
