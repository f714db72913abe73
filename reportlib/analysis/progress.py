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

import numpy as np
import pandas as pd

from reportlib.analysis._common import finite_or_none, finite_rows
from reportlib.analysis.curves import MIN_POINTS_FOR_FLAT, trend_evidence
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.templates import cap, format_number, format_percent, plural, say

START_GAPS = 1.5
"""A curve covers the start of training when its first point is logged within
1.5 of its median step gaps of step 0: the first logging interval (HF's first
``logging_steps``, Lightning's ``log_every_n_steps``, Keras's epoch 0 or 1), not
an excerpt or a resumed run that starts thousands of steps in."""

MAX_FIRST_EPOCH = 1.0
"""...and at an epoch of at most 1: within the first epoch counted from 0 (HF,
Lightning, Keras), or the first epoch counted from 1 (fairseq, mmengine)."""


def starts_at_beginning(steps: object, first_epoch: float | None = None) -> bool:
    """Whether the first of ``steps`` (sorted, finite rows) is the run's first logging interval.

    ``first_epoch``, the epoch logged with it when known, must be at most
    :data:`MAX_FIRST_EPOCH` too: a log that starts at epoch 5 is an excerpt, even
    when its steps are counted from its own first line (fairseq's 2018 layout).
    """
    if first_epoch is not None and first_epoch > MAX_FIRST_EPOCH:
        return False
    values = np.asarray(steps, dtype=float)
    if values.size < 2:
        return False
    gaps = np.diff(values)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
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
    if not starts_at_beginning(steps, finite_or_none(rows["epoch"].iloc[0])):
        return []
    evidence = trend_evidence(rows["value"].to_numpy(dtype=float), bounds=bounds,
                              higher_is_better=higher_is_better)
    worse = "increasing" if not higher_is_better else "decreasing"
    if evidence.verdict not in ("flat", worse) or evidence.change is None:
        return []
    k = evidence.k
    relative = (evidence.change / abs(evidence.start)
                if evidence.start not in (None, 0.0) else None)
    change_text = ("+" if evidence.change > 0 else "") + format_number(evidence.change)
    if relative is not None:
        change_text += f" ({format_percent(relative, signed=True)})"
    fields = dict(
        label=cap(label), verb="rise" if higher_is_better else "fall",
        units=f"{unit}s", first_step=int(steps[0]),
        first_text=plural(k, unit), last_text=plural(k, unit),
        first_steps=_step_range(steps[:k]), last_steps=_step_range(steps[-k:]),
        start=evidence.start, end=evidence.end, change=change_text,
        threshold=evidence.threshold,
    )
    key = "no_improvement.flat" if evidence.verdict == "flat" else "no_improvement.worse"
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


def _step_range(steps: np.ndarray) -> str:
    first, last = int(steps[0]), int(steps[-1])
    return f"step {first}" if first == last else f"steps {first}-{last}"


__all__ = ["MAX_FIRST_EPOCH", "START_GAPS", "detect_no_improvement", "starts_at_beginning"]
