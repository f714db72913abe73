"""The rules that read curves and run facts and return findings.

Each ``detect_*`` function is pure: curve frames (columns step, epoch, value,
as :meth:`reportlib.run.Run.series` returns them) and plain values in, a list
of :class:`~reportlib.analysis.findings.Finding` out (empty when there is
nothing to say). Every threshold is a named constant below with the reason for
its value. When the evidence is too thin for a verdict the rule returns an
``inconclusive`` finding that says what is missing, instead of guessing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportlib.analysis.curves import (
    MAD_TO_SIGMA,
    MIN_POINTS_FOR_TREND,
    CurveSummary,
    noise_scale,
)
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.errors import ParameterError
from reportlib.formatting import (
    format_epoch,
    format_number,
    format_percent,
    format_position,
    plural,
)

# --------------------------------------------------------------------------- thresholds

MIN_EVALS_FOR_OVERFITTING = 4
"""Fewer finite validation-loss evaluations than this and overfitting is not judged:
a minimum, a rise after it and a noise estimate need at least four points."""

MIN_EVALS_AFTER_MINIMUM = 2
"""A rise seen at a single evaluation after the minimum is one point: it could be
noise, so at least two evaluations after the minimum are needed for a verdict."""

OVERFIT_NOISE_MULTIPLIER = 3.0
"""The rise of validation loss above its minimum must exceed this many noise
standard deviations (:func:`~reportlib.analysis.curves.noise_scale`): the minimum of
a noisy series is itself biased low, so a plain 2-sigma rule would fire on noise."""

OVERFIT_MIN_RELATIVE_RISE = 0.02
"""...and must exceed this fraction of the minimum: a rise under 2% does not change
which checkpoint to use in practice, even when the curve is very smooth."""

END_LEVEL_POINTS = 3
"""The level validation loss ends at is the median of at most this many last
evaluations, so one lucky or unlucky final evaluation does not decide the verdict."""

TAIL_FRACTION = 0.25
"""The "end of training" is the last quarter of a curve's points..."""

MIN_TAIL_POINTS = 3
"""...and at least three points, the fewest a slope can be fitted to with a residual."""

MIN_POINTS_FOR_END_VERDICT = 5
"""Fewer finite points than this and plateau / still improving is not judged:
the tail would be most of the curve and would mostly measure its start."""

TAIL_NOISE_MULTIPLIER = 2.0
"""The change fitted over the tail must exceed this many standard errors (about a
95% two-sided level for Gaussian noise) to count as improving or worsening."""

PLATEAU_RELATIVE_CHANGE = 0.02
"""...and must exceed this fraction of the tail's level; a curve whose change over
the last quarter of training stays within 2% of its level, even allowing for its
noise, has plateaued: another quarter of training would move it about as little."""

MIN_POINTS_FOR_SPIKES = 5
"""Fewer finite points than this and spikes are not looked for: a point needs
neighbours on both sides, and the noise estimate needs a few points."""

SPIKE_NEIGHBOURS = 2
"""A point is compared with the median of this many finite neighbours on each side:
two per side keeps one other spike from moving the baseline."""

SPIKE_NOISE_MULTIPLIER = 6.0
"""A spike departs from its neighbours' median by more than this many noise standard
deviations: far into the tail of Gaussian noise, so noisy per-step losses do not
flag a spike every few hundred points."""

SPIKE_MIN_RELATIVE_JUMP = 0.25
"""...and by more than this fraction of that median: smaller jumps are ordinary
batch-to-batch variation of a training loss."""

SPIKE_NOISE_WINDOW = 51
"""The noise a spike is judged against is local: the median over about 50 points
around it. Losses are noisier early, when they are large; 50 points give a
stable median yet follow the level of the curve."""

MAX_LISTED = 5
"""At most this many spikes or non-finite values are named in a sentence; the
evidence lists all of them."""

MIN_EVALS_FOR_CORRELATION = 5
"""Fewer paired evaluations than this and the rank correlation of the metric with
validation loss is not judged: with four points a Spearman rho of 0.8 is
reached by chance about one time in ten."""

AGREEMENT_MIN_RHO = 0.5
"""The metric "moves with" validation loss when the Spearman rank correlation,
oriented so that +1 means both improve together, is at least 0.5 (a strong
monotone association by the usual reading); below it they move apart."""

DISAGREEMENT_NOISE_MULTIPLIER = 2.0
"""The best checkpoints by loss and by the metric disagree in a way that matters
when the metric at the lowest-loss checkpoint falls short of the metric's best
by more than this many of the metric's noise standard deviations."""

FEW_EVALUATIONS = 5
"""A run evaluated fewer times than this gives trends and a best checkpoint that
rest on a handful of points (below :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`
the ``too_few_points`` finding already says so)."""

SMALL_DATASET_EXAMPLES = 1000
"""A training set under 1,000 examples is small for fine-tuning a language model:
curves are noisy and the model mostly adapts its format, not its skills."""

FEW_EPOCHS = 3
"""Fewer than three epochs gives a curve that shows little beyond the first
pass over the data (no plateau or overfitting can show yet)."""

TRAIN_LEVEL_POINTS = 3
"""The training loss "at" an evaluation is the median of at most the last three
training losses logged before it (since the previous evaluation): one logged
value is noisy, and a whole epoch's values would lag a fast-falling loss."""

#: The ``best_model_checkpoint`` of HF's trainer_state names the step like this.
_CHECKPOINT_STEP = re.compile(r"checkpoint-(\d+)")


# --------------------------------------------------------------------------- helpers


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finite_rows(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The finite rows of a curve frame, sorted by step, with a fresh index."""
    if frame is None or frame.empty:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "epoch": pd.Series(dtype=float),
                             "value": pd.Series(dtype=float)})
    rows = frame.loc[np.isfinite(frame["value"].to_numpy(dtype=float)), ["step", "epoch", "value"]]
    return rows.sort_values("step", kind="stable").reset_index(drop=True)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _value_text(value: float) -> str:
    """A non-finite value as a JSON-safe string: ``"nan"``, ``"inf"`` or ``"-inf"``."""
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def _series(steps: list[int], more: int) -> str:
    text = ", ".join(str(s) for s in steps)
    return text + (f" and {more} more" if more > 0 else "")


def _train_level(train: pd.DataFrame, start_exclusive: float, end_inclusive: int) -> float | None:
    """The training-loss level at an evaluation step.

    The median of the last :data:`TRAIN_LEVEL_POINTS` training losses logged in
    (start, end]; when none was logged there, the last one at or before end.
    """
    if train.empty:
        return None
    steps = train["step"].to_numpy()
    values = train["value"].to_numpy(dtype=float)
    window = values[(steps > start_exclusive) & (steps <= end_inclusive)]
    if window.size:
        return float(np.median(window[-TRAIN_LEVEL_POINTS:]))
    before = values[steps <= end_inclusive]
    return float(before[-1]) if before.size else None


def _train_levels_at_evals(train: pd.DataFrame, eval_steps: list[int]) -> list[float | None]:
    """The training-loss level at each evaluation (median since the previous evaluation)."""
    levels = []
    previous = -math.inf
    for step in eval_steps:
        levels.append(_train_level(train, previous, step))
        previous = step
    return levels


# --------------------------------------------------------------------------- overfitting


def detect_overfitting(
    val_loss: pd.DataFrame | None,
    train_loss: pd.DataFrame | None = None,
) -> list[Finding]:
    """Whether validation loss bottomed out and then rose beyond its noise while training loss fell.

    The rise is the median of the last :data:`END_LEVEL_POINTS` evaluations
    after the minimum, minus the minimum. It counts when it exceeds both
    :data:`OVERFIT_NOISE_MULTIPLIER` noise standard deviations of the
    validation loss and :data:`OVERFIT_MIN_RELATIVE_RISE` of the minimum, over
    at least :data:`MIN_EVALS_AFTER_MINIMUM` evaluations. Training loss "kept
    falling" when its level at the last evaluation is below its level at the
    minimum (levels are medians of the training losses logged since the
    previous evaluation).

    Parameters
    ----------
    val_loss:
        The validation-loss curve (None or empty: no finding).
    train_loss:
        The training-loss curve, if logged.

    Returns
    -------
    One finding: ``overfitting`` (warning), ``val_loss_rising`` (warning: it
    rose but training loss did not keep falling), ``no_overfitting`` (info) or
    ``inconclusive`` (info, with the reason); or none when there is no
    validation loss.
    """
    val = _finite_rows(val_loss)
    n = len(val)
    if n == 0:
        return []
    base = {"split": "eval", "metric": "loss", "n_evaluations": n}
    raw = (val_loss.sort_values("step", kind="stable")["value"].to_numpy(dtype=float)
           if val_loss is not None else np.array([]))
    finite_word = "finite " if raw.size and not np.isfinite(raw[-1]) else ""
    if n < MIN_EVALS_FOR_OVERFITTING:
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            f"Validation loss has {plural(n, 'finite evaluation')}: too few to judge overfitting "
            f"(at least {MIN_EVALS_FOR_OVERFITTING} are needed).",
            {**base, "about": "overfitting", "needed": MIN_EVALS_FOR_OVERFITTING},
            panel="overall",
        )]
    values = val["value"].to_numpy(dtype=float)
    steps = [int(s) for s in val["step"]]
    epochs = val["epoch"].to_numpy(dtype=float)
    i_min = int(np.argmin(values))
    minimum = float(values[i_min])
    min_step, min_epoch = steps[i_min], _epoch(epochs[i_min])
    noise = noise_scale(values) or 0.0
    threshold = max(OVERFIT_NOISE_MULTIPLIER * noise, OVERFIT_MIN_RELATIVE_RISE * abs(minimum))
    where_min = format_position(min_step, min_epoch)
    evidence: dict[str, Any] = {
        **base,
        "min_value": minimum,
        "min_step": min_step,
        "min_epoch": min_epoch,
        "noise": noise,
        "threshold": threshold,
        "evaluations_after_min": n - 1 - i_min,
    }
    after = values[i_min + 1:]
    if after.size == 0:
        evidence.update(rise=0.0, relative_rise=0.0)
        return [Finding(
            FindingKind.NO_OVERFITTING, Severity.INFO,
            f"Validation loss was lowest at its last {finite_word}evaluation, {where_min}, at "
            f"{format_number(minimum)}: no sign of overfitting.",
            evidence, panel="overall",
        )]
    end_level = float(np.median(after[-END_LEVEL_POINTS:]))
    rise = end_level - minimum
    relative_rise = rise / abs(minimum) if minimum != 0 else None
    last_step, last_epoch = steps[-1], _epoch(epochs[-1])
    evidence.update(
        end_value=end_level,
        last_value=float(values[-1]),
        last_step=last_step,
        last_epoch=last_epoch,
        rise=rise,
        relative_rise=relative_rise,
    )
    rise_text = (f"{format_percent(relative_rise)} above the minimum" if relative_rise is not None
                 else f"{format_number(rise)} above the minimum")
    n_end = min(END_LEVEL_POINTS, int(after.size))
    end_text = (f"the last evaluation, {format_position(last_step, last_epoch)}, is at "
                f"{format_number(end_level)}" if n_end == 1 else
                f"its last {n_end} evaluations, up to {format_position(last_step, last_epoch)}, "
                f"have a median of {format_number(end_level)}")
    if rise <= threshold:
        return [Finding(
            FindingKind.NO_OVERFITTING, Severity.INFO,
            f"Validation loss reached its minimum of {format_number(minimum)} at {where_min}; "
            f"{end_text}, {rise_text}, which is within its noise (a rise must exceed "
            f"{format_number(threshold)}): no sign of overfitting.",
            evidence, panel="overall",
        )]
    if after.size < MIN_EVALS_AFTER_MINIMUM:
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            f"Validation loss rose to {format_number(end_level)}, {rise_text}, after its minimum "
            f"of {format_number(minimum)} at {where_min}, but only at the last evaluation: one "
            "point is too few to call it overfitting.",
            {**evidence, "about": "overfitting", "needed_after_min": MIN_EVALS_AFTER_MINIMUM},
            panel="overall",
        )]
    train = _finite_rows(train_loss)
    levels = _train_levels_at_evals(train, steps) if not train.empty else [None] * n
    train_at_min, train_at_end = levels[i_min], levels[-1]
    train_change = None
    if train_at_min is not None and train_at_end is not None:
        train_change = train_at_end - train_at_min
    evidence.update(train_loss_at_min=train_at_min, train_loss_at_end=train_at_end,
                    train_loss_change=train_change)
    rose = (f"Validation loss bottomed out at {format_number(minimum)} at {where_min}, then rose: "
            f"{end_text}, {rise_text} and more than its noise threshold of "
            f"{format_number(threshold)}")
    if train_change is None:
        return [Finding(
            FindingKind.OVERFITTING, Severity.WARNING,
            rose + "; training loss was not logged around these evaluations, so whether it kept "
            "falling is unknown: likely overfitting.",
            evidence, panel="overall",
        )]
    if train_change < 0:
        return [Finding(
            FindingKind.OVERFITTING, Severity.WARNING,
            rose + f", while training loss kept falling from {format_number(train_at_min)} to "
            f"{format_number(train_at_end)}: the model is overfitting after {where_min}.",
            evidence, panel="overall",
        )]
    return [Finding(
        FindingKind.VAL_LOSS_RISING, Severity.WARNING,
        rose + f", but training loss did not keep falling ({format_number(train_at_min)} to "
        f"{format_number(train_at_end)}): this is not the usual overfitting pattern; check the "
        "learning rate and the training curve for instability.",
        evidence, panel="overall",
    )]


def detect_train_val_gap(
    val_loss: pd.DataFrame | None,
    train_loss: pd.DataFrame | None,
) -> list[Finding]:
    """The gap between validation and training loss, and how it changed over the evaluations.

    At each evaluation the training-loss level is the median of the training
    losses logged since the previous evaluation (or the last one before it).
    Needs two evaluations with a training-loss level; otherwise no finding.

    Returns
    -------
    One ``train_val_gap`` finding (info) with the gaps per evaluation in its evidence, or none.
    """
    val = _finite_rows(val_loss)
    train = _finite_rows(train_loss)
    if len(val) < 2 or train.empty:
        return []
    steps = [int(s) for s in val["step"]]
    levels = _train_levels_at_evals(train, steps)
    val_values = val["value"].to_numpy(dtype=float)
    pairs = [(i, float(val_values[i]) - lvl) for i, lvl in enumerate(levels) if lvl is not None]
    if len(pairs) < 2:
        return []
    (i0, gap0), (i1, gap1) = pairs[0], pairs[-1]
    change = gap1 - gap0
    epochs = val["epoch"].to_numpy(dtype=float)
    if change > 0:
        how = f"the difference rose by {format_number(change)}"
    elif change < 0:
        how = f"the difference fell by {format_number(-change)}"
    else:
        how = "the difference did not change"
    evidence = {
        "split": "eval",
        "metric": "loss",
        "steps": [steps[i] for i, _ in pairs],
        "gaps": [g for _, g in pairs],
        "first_gap": gap0,
        "first_step": steps[i0],
        "first_epoch": _epoch(epochs[i0]),
        "last_gap": gap1,
        "last_step": steps[i1],
        "last_epoch": _epoch(epochs[i1]),
        "change": change,
    }
    return [Finding(
        FindingKind.TRAIN_VAL_GAP, Severity.INFO,
        f"Validation loss minus training loss went from {format_number(gap0)} at "
        f"{format_position(steps[i0], _epoch(epochs[i0]))} to {format_number(gap1)} at "
        f"{format_position(steps[i1], _epoch(epochs[i1]))}: {how}.",
        evidence, panel="overall",
    )]


# --------------------------------------------------------------------------- end of training

TAIL_VERDICTS: tuple[str, ...] = ("still_improving", "getting_worse", "plateau", "unclear")
"""What :attr:`TailChange.verdict` can be."""


@dataclass(frozen=True)
class TailChange:
    """The change of a curve over its last stretch, fitted by least squares on step.

    ``start_value``/``end_value`` are the fitted values at the first and last
    tail steps and ``change`` their difference; ``improvement`` is the same
    change signed so that positive means better (None when the direction is
    unknown); ``relative`` is ``change / |start_value|`` (None if 0); ``level``
    is the tail's mean; ``standard_error`` is the standard error of ``change``
    given the curve's noise; ``threshold`` is what a change must exceed to
    count (the larger of :data:`TAIL_NOISE_MULTIPLIER` standard errors and
    :data:`PLATEAU_RELATIVE_CHANGE` of the level) and ``band`` the relative
    bound alone.
    """

    n_points: int
    start_step: int
    end_step: int
    start_epoch: float | None
    end_epoch: float | None
    level: float
    start_value: float
    end_value: float
    change: float
    improvement: float | None
    relative: float | None
    standard_error: float
    threshold: float
    band: float

    @property
    def verdict(self) -> str:
        """How the curve ends, one of :data:`TAIL_VERDICTS`.

        ``still_improving`` / ``getting_worse``: the change exceeds ``threshold``
        in the good / bad direction (``unclear`` when the direction is unknown);
        ``plateau``: the change is within ``band`` (under
        :data:`PLATEAU_RELATIVE_CHANGE` of the level, and so not beyond the
        threshold either); ``unclear``: larger than the band but within the
        noise, so neither a change nor a plateau can be claimed.
        """
        if abs(self.change) > self.threshold:
            if self.improvement is None:
                return "unclear"
            return "still_improving" if self.improvement > 0 else "getting_worse"
        if abs(self.change) <= self.band:
            return "plateau"
        return "unclear"

    def evidence(self) -> dict[str, Any]:
        """The fields as a JSON-safe dict."""
        return {
            "tail_points": self.n_points,
            "tail_start_step": self.start_step,
            "tail_end_step": self.end_step,
            "tail_start_epoch": self.start_epoch,
            "tail_end_epoch": self.end_epoch,
            "tail_level": self.level,
            "tail_start_value": self.start_value,
            "tail_end_value": self.end_value,
            "tail_change": self.change,
            "tail_relative_change": self.relative,
            "tail_standard_error": self.standard_error,
            "tail_threshold": self.threshold,
            "tail_band": self.band,
            "verdict": self.verdict,
        }


def tail_change(frame: pd.DataFrame | None, *, higher_is_better: bool | None) -> TailChange | None:
    """Fit a line to the last :data:`TAIL_FRACTION` of a curve's finite points (at least
    :data:`MIN_TAIL_POINTS`) and measure how much it changed.

    The standard error of the change comes from the whole curve's noise
    (:func:`~reportlib.analysis.curves.noise_scale`) and the tail's steps.

    Returns
    -------
    TailChange, or None with fewer than :data:`MIN_POINTS_FOR_END_VERDICT`
    finite points (or a tail logged at a single step).
    """
    rows = _finite_rows(frame)
    n = len(rows)
    if n < MIN_POINTS_FOR_END_VERDICT:
        return None
    size = max(MIN_TAIL_POINTS, math.ceil(n * TAIL_FRACTION))
    tail = rows.iloc[-size:]
    x = tail["step"].to_numpy(dtype=float)
    y = tail["value"].to_numpy(dtype=float)
    x_centered = x - x.mean()
    sxx = float(np.sum(x_centered**2))
    span = float(x[-1] - x[0])
    if sxx == 0.0 or span == 0.0:
        return None
    slope = float(np.sum(x_centered * (y - y.mean())) / sxx)
    change = slope * span
    noise = noise_scale(rows["value"].to_numpy(dtype=float)) or 0.0
    standard_error = noise * span / math.sqrt(sxx)
    level = float(y.mean())
    start_value = level + slope * (x[0] - x.mean())
    relative = change / abs(start_value) if start_value != 0 else None
    improvement = None if higher_is_better is None else (change if higher_is_better else -change)
    band = PLATEAU_RELATIVE_CHANGE * abs(level)
    epochs = tail["epoch"].to_numpy(dtype=float)
    return TailChange(
        n_points=size,
        start_step=int(x[0]),
        end_step=int(x[-1]),
        start_epoch=_epoch(epochs[0]),
        end_epoch=_epoch(epochs[-1]),
        level=level,
        start_value=start_value,
        end_value=start_value + change,
        change=change,
        improvement=improvement,
        relative=relative,
        standard_error=standard_error,
        threshold=max(TAIL_NOISE_MULTIPLIER * standard_error, band),
        band=band,
    )


def _tail_where(tail: TailChange, unit: str) -> str:
    epochs = ""
    if tail.start_epoch is not None and tail.end_epoch is not None:
        epochs = f", epochs {format_epoch(tail.start_epoch)}-{format_epoch(tail.end_epoch)}"
    steps = f"steps {tail.start_step}-{tail.end_step}"
    return f"over its last {plural(tail.n_points, unit)} ({steps}{epochs})"


def _tail_change_text(tail: TailChange) -> str:
    text = f"from {format_number(tail.start_value)} to {format_number(tail.end_value)} (fitted"
    if tail.relative is not None:
        text += f", {format_percent(tail.relative, signed=True)}"
    return text + ")"


def _tail_finding(tail: TailChange, *, split: str, metric: str, label: str, panel: str,
                  unit: str) -> Finding:
    """The finding that states a tail's verdict."""
    went = f"{_cap(label)} went {_tail_change_text(tail)} {_tail_where(tail, unit)}"
    need = f"a change had to exceed {format_number(tail.threshold)}"
    evidence = {"split": split, "metric": metric, **tail.evidence()}
    verdict = tail.verdict
    if verdict == "still_improving":
        return Finding(FindingKind.STILL_IMPROVING, Severity.INFO,
                       f"{went}; {need} to count: it was still improving at the end, so more "
                       "training may help.", evidence, panel=panel)
    if verdict == "getting_worse":
        return Finding(FindingKind.GETTING_WORSE, Severity.WARNING,
                       f"{went}; {need} to count: it was getting worse at the end.",
                       evidence, panel=panel)
    if verdict == "plateau":
        return Finding(FindingKind.PLATEAU, Severity.INFO,
                       f"{went}, within {format_percent(PLATEAU_RELATIVE_CHANGE)} of its level "
                       f"({format_number(tail.band)}): it has plateaued.", evidence, panel=panel)
    return Finding(FindingKind.INCONCLUSIVE, Severity.INFO,
                   f"{went}; {need} to stand out from its noise, and stay within "
                   f"{format_number(tail.band)} ({format_percent(PLATEAU_RELATIVE_CHANGE)} of its "
                   "level) to count as a plateau: whether it was still changing at the end is "
                   "unclear.",
                   {**evidence, "about": "end_of_training"}, panel=panel)


def detect_plateau(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
    unit: str = "point",
) -> list[Finding]:
    """Whether a curve stopped changing at the end (:attr:`TailChange.verdict` is ``plateau``).

    Parameters
    ----------
    frame:
        The curve.
    split, metric:
        Which curve (copied into the evidence).
    label:
        How the curve is named in a sentence (``"validation loss"``).
    panel:
        The report panel the finding goes to.
    higher_is_better:
        The metric's direction (None if unknown).
    unit:
        What a point is called (``"evaluation"``, ``"logged point"``).

    Returns
    -------
    ``[plateau finding]`` (info) or ``[]`` (also with too few points).
    """
    tail = tail_change(frame, higher_is_better=higher_is_better)
    if tail is None or tail.verdict != "plateau":
        return []
    return [_tail_finding(tail, split=split, metric=metric, label=label, panel=panel, unit=unit)]


def detect_still_improving(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
    unit: str = "point",
) -> list[Finding]:
    """Whether a curve was still improving at the end beyond its noise (would more epochs help?).

    Parameters are those of :func:`detect_plateau`.

    Returns
    -------
    ``[still_improving finding]`` (info) or ``[]`` (also when the direction is
    unknown or there are too few points).
    """
    tail = tail_change(frame, higher_is_better=higher_is_better)
    if tail is None or tail.verdict != "still_improving":
        return []
    return [_tail_finding(tail, split=split, metric=metric, label=label, panel=panel, unit=unit)]


def detect_end_of_training(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
    unit: str = "point",
) -> list[Finding]:
    """How a curve ends: plateaued, still improving, getting worse, or unclear.

    Parameters are those of :func:`detect_plateau`.

    Returns
    -------
    At most one finding: ``plateau`` (info), ``still_improving`` (info),
    ``getting_worse`` (warning) or ``inconclusive`` (info; noise too large for
    a verdict, or between :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`
    and :data:`MIN_POINTS_FOR_END_VERDICT` finite points). Below that, nothing:
    the ``too_few_points`` caveat speaks for the curve.
    """
    tail = tail_change(frame, higher_is_better=higher_is_better)
    if tail is not None:
        return [_tail_finding(tail, split=split, metric=metric, label=label, panel=panel,
                              unit=unit)]
    n = len(_finite_rows(frame))
    if MIN_POINTS_FOR_TREND <= n < MIN_POINTS_FOR_END_VERDICT:
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            f"{_cap(label)} has {plural(n, unit)}: too few to tell whether it plateaued or was "
            f"still improving at the end (at least {MIN_POINTS_FOR_END_VERDICT} are needed).",
            {"split": split, "metric": metric, "about": "end_of_training", "points": n,
             "needed": MIN_POINTS_FOR_END_VERDICT},
            panel=panel,
        )]
    return []


# --------------------------------------------------------------------------- spikes and NaN


def _local_noise(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Noise standard deviation around each point, from the kept points only.

    The second-difference estimate of :func:`~reportlib.analysis.curves.noise_scale`,
    taken as a rolling median over :data:`SPIKE_NOISE_WINDOW` points, so a loss
    that is noisier early (when it is large) is judged against its own noise.
    """
    kept_positions = np.flatnonzero(keep)
    kept = values[keep]
    if kept.size < 3:
        return np.zeros(values.size)
    second = np.abs(kept[2:] - 2.0 * kept[1:-1] + kept[:-2]) / (MAD_TO_SIGMA * math.sqrt(6.0))
    rolling = pd.Series(second).rolling(SPIKE_NOISE_WINDOW, center=True, min_periods=1).median()
    # second[j] is centred on kept[j + 1]; the ends reuse their neighbour's estimate.
    per_kept = np.concatenate([[rolling.iloc[0]], rolling.to_numpy(), [rolling.iloc[-1]]])
    nearest = np.clip(np.searchsorted(kept_positions, np.arange(values.size)), 0, kept.size - 1)
    return per_kept[nearest]


def detect_spikes(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
) -> list[Finding]:
    """Isolated values far from their neighbours, in the bad direction.

    A finite point (any but the first) is a spike when it departs from the
    baseline of its :data:`SPIKE_NEIGHBOURS` finite neighbours on each side
    (their median or mean, whichever is nearer the spike's side) by more than
    :data:`SPIKE_MIN_RELATIVE_JUMP` of that baseline and by more than
    :data:`SPIKE_NOISE_MULTIPLIER` standard deviations of the local noise
    (estimated over :data:`SPIKE_NOISE_WINDOW` points, without the points that
    pass the first test), upwards for a
    lower-is-better metric (loss), downwards for a higher-is-better one, either
    way when the direction is unknown.

    Returns
    -------
    ``[spike finding]`` (warning) with ``steps``, ``epochs``, ``values`` and
    ``baselines`` in its evidence, or ``[]`` (also below
    :data:`MIN_POINTS_FOR_SPIKES` finite points).
    """
    rows = _finite_rows(frame)
    n = len(rows)
    if n < MIN_POINTS_FOR_SPIKES:
        return []
    values = rows["value"].to_numpy(dtype=float)
    # First pass: points that jump by the relative amount in the bad direction.
    # Row i of `neighbours` holds the SPIKE_NEIGHBOURS finite values on each side
    # of point i (NaN past the ends).
    padded = np.concatenate([np.full(SPIKE_NEIGHBOURS, np.nan), values,
                             np.full(SPIKE_NEIGHBOURS, np.nan)])
    offsets = [o for o in range(-SPIKE_NEIGHBOURS, SPIKE_NEIGHBOURS + 1) if o != 0]
    neighbours = np.stack([padded[SPIKE_NEIGHBOURS + o: SPIKE_NEIGHBOURS + o + n]
                           for o in offsets], axis=1)
    median = np.nanmedian(neighbours, axis=1)
    mean = np.nanmean(neighbours, axis=1)
    # The baseline leans towards the spike's side: on a convex falling loss the
    # neighbours' mean lies above the point, their median may lie below it.
    if higher_is_better is True:
        baseline = np.minimum(median, mean)
        deviation = baseline - values
    elif higher_is_better is False:
        baseline = np.maximum(median, mean)
        deviation = values - baseline
    else:
        nearer_median = np.abs(values - median) <= np.abs(values - mean)
        baseline = np.where(nearer_median, median, mean)
        deviation = np.abs(values - baseline)
    passes = deviation > SPIKE_MIN_RELATIVE_JUMP * np.abs(baseline)
    # The first point is skipped: a curve starts steeply, so it always stands out
    # from the points after it, and there is nothing before it to compare with.
    passes[0] = False
    candidates = [(int(i), float(baseline[i]), float(deviation[i]))
                  for i in np.flatnonzero(passes)]
    # Second pass: the noise is estimated without the candidates (in a short curve a
    # spike would otherwise inflate it enough to hide itself), and must be exceeded too.
    if not candidates:
        return []
    keep = np.ones(n, dtype=bool)
    keep[[i for i, _, _ in candidates]] = False
    local_noise = _local_noise(values, keep)
    hits = [(i, baseline) for i, baseline, deviation in candidates
            if deviation > SPIKE_NOISE_MULTIPLIER * local_noise[i]]
    if not hits:
        return []
    steps = [int(rows["step"].iloc[i]) for i, _ in hits]
    epochs = [_epoch(rows["epoch"].iloc[i]) for i, _ in hits]
    spike_values = [float(values[i]) for i, _ in hits]
    baselines = [b for _, b in hits]
    named = "; ".join(
        f"{format_number(v)} at {format_position(s, e)}, where its neighbours are about "
        f"{format_number(b)}"
        for s, e, v, b in zip(steps[:MAX_LISTED], epochs, spike_values, baselines, strict=False)
    )
    more = len(hits) - MAX_LISTED
    if more > 0:
        named += f"; and {more} more"
    return [Finding(
        FindingKind.SPIKE, Severity.WARNING,
        f"{_cap(label)} has {plural(len(hits), 'spike')}: {named}.",
        {"split": split, "metric": metric, "steps": steps, "epochs": epochs,
         "values": spike_values, "baselines": baselines,
         "noise": [float(local_noise[i]) for i, _ in hits], "count": len(hits)},
        panel=panel,
    )]


def detect_non_finite(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    critical: bool = True,
) -> list[Finding]:
    """NaN and infinite values in a curve, and where they are.

    Parameters
    ----------
    frame, split, metric, label, panel:
        As for :func:`detect_plateau`.
    critical:
        Severity ``critical`` (a loss or the main metric) rather than ``warning``.

    Returns
    -------
    ``[non_finite finding]`` with ``steps``, ``epochs`` and ``values`` (as
    ``"nan"``/``"inf"``/``"-inf"``) in its evidence, and whether every value
    from the first non-finite one on is non-finite (``diverged``); or ``[]``.
    """
    if frame is None or frame.empty:
        return []
    rows = frame.sort_values("step", kind="stable").reset_index(drop=True)
    values = rows["value"].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if not bad.any():
        return []
    idx = np.flatnonzero(bad)
    steps = [int(rows["step"].iloc[i]) for i in idx]
    epochs = [_epoch(rows["epoch"].iloc[i]) for i in idx]
    texts = [_value_text(float(values[i])) for i in idx]
    diverged = bool(bad[idx[0]:].all())
    kinds = ", ".join(sorted({"NaN" if t == "nan" else t for t in texts}))
    more = len(steps) - MAX_LISTED
    sentence = (f"{_cap(label)} has {plural(len(steps), 'non-finite value')} ({kinds}) at "
                f"step {_series(steps[:MAX_LISTED], more)}")
    if diverged and len(values) > 1:
        sentence += (f"; from {format_position(steps[0], epochs[0])} on every logged value is "
                     "non-finite: the run diverged")
    elif diverged:
        sentence += "; no finite value was logged"
    return [Finding(
        FindingKind.NON_FINITE, Severity.CRITICAL if critical else Severity.WARNING,
        sentence + ".",
        {"split": split, "metric": metric, "steps": steps, "epochs": epochs, "values": texts,
         "count": len(steps), "points": len(values), "diverged": diverged},
        panel=panel,
    )]


# --------------------------------------------------------------------------- best checkpoint


@dataclass(frozen=True)
class CheckpointChoice:
    """The best evaluation by one criterion: where it is and its value."""

    step: int
    epoch: float | None
    value: float
    criterion: str


@dataclass(frozen=True)
class BestCheckpoint:
    """The best checkpoint of a run, by validation loss and by the evaluation metric.

    ``step``/``epoch``/``by`` is the one chosen: the criterion the run itself
    used when its ``best_model_checkpoint`` names one of the two, else
    validation loss (HF Trainer's default criterion), else the metric. ``by`` is
    ``"eval_loss"`` or the metric's normalised name (``"chrf"``). ``agree`` is
    whether both criteria pick the same step (None when only one exists).
    """

    step: int
    epoch: float | None
    by: str
    value: float
    by_loss: CheckpointChoice | None
    by_metric: CheckpointChoice | None
    agree: bool | None
    selected_by_run: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: step, epoch, by, value, by_loss, by_metric, agree, selected_by_run."""
        def choice(c: CheckpointChoice | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {"step": c.step, "epoch": c.epoch, "value": c.value, "criterion": c.criterion}

        return {
            "step": self.step,
            "epoch": self.epoch,
            "by": self.by,
            "value": self.value,
            "by_loss": choice(self.by_loss),
            "by_metric": choice(self.by_metric),
            "agree": self.agree,
            "selected_by_run": self.selected_by_run,
        }


def _best_choice(
    frame: pd.DataFrame | None, criterion: str, higher: bool
) -> CheckpointChoice | None:
    rows = _finite_rows(frame)
    if rows.empty:
        return None
    values = rows["value"].to_numpy(dtype=float)
    i = int(np.argmax(values) if higher else np.argmin(values))
    return CheckpointChoice(int(rows["step"].iloc[i]), _epoch(rows["epoch"].iloc[i]),
                            float(values[i]), criterion)


def checkpoint_step(best_model_checkpoint: Any) -> int | None:
    """The step in HF's ``best_model_checkpoint`` (``".../checkpoint-630"`` -> 630), or None."""
    if not isinstance(best_model_checkpoint, str):
        return None
    found = _CHECKPOINT_STEP.findall(best_model_checkpoint)
    return int(found[-1]) if found else None


def paired_evaluations(val_loss: pd.DataFrame | None, metric: pd.DataFrame | None) -> pd.DataFrame:
    """Validation loss and the metric side by side, one row per evaluation where both are finite.

    Rows are matched on step; when no step matches but both have epochs, on the
    epoch rounded to 2 decimals (a metric computed from prediction files may be
    keyed by epoch). Columns: step, epoch, loss, metric.
    """
    loss_rows, metric_rows = _finite_rows(val_loss), _finite_rows(metric)
    merged = loss_rows.merge(metric_rows, on="step", suffixes=("_loss", "_metric"))
    if merged.empty and not loss_rows.empty and not metric_rows.empty:
        left = loss_rows.assign(key=loss_rows["epoch"].round(2)).dropna(subset=["key"])
        right = metric_rows.assign(key=metric_rows["epoch"].round(2)).dropna(subset=["key"])
        merged = left.merge(right.drop(columns=["step"]), on="key", suffixes=("_loss", "_metric"))
    if merged.empty:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "epoch": pd.Series(dtype=float),
                             "loss": pd.Series(dtype=float), "metric": pd.Series(dtype=float)})
    merged = merged.drop_duplicates("step", keep="last")
    return pd.DataFrame({
        "step": merged["step"].astype("int64").to_numpy(),
        "epoch": merged["epoch_loss"].to_numpy(dtype=float),
        "loss": merged["value_loss"].to_numpy(dtype=float),
        "metric": merged["value_metric"].to_numpy(dtype=float),
    })


def spearman_rho(x: Any, y: Any) -> float | None:
    """Spearman's rank correlation of two equal-length sequences (average ranks for ties).

    Returns
    -------
    float in [-1, 1], or None with fewer than 2 points or when either side is constant.
    """
    a, b = pd.Series(np.asarray(x, dtype=float)), pd.Series(np.asarray(y, dtype=float))
    if len(a) != len(b):
        raise ParameterError(f"x and y must have the same length, got {len(a)} and {len(b)}")
    if len(a) < 2:
        return None
    ra, rb = a.rank(method="average"), b.rank(method="average")
    if ra.std(ddof=0) == 0 or rb.std(ddof=0) == 0:
        return None
    return float(np.corrcoef(ra.to_numpy(), rb.to_numpy())[0, 1])


def compare_best_checkpoints(
    val_loss: pd.DataFrame | None,
    metric_frame: pd.DataFrame | None,
    *,
    metric: str | None,
    metric_label: str | None,
    higher_is_better: bool | None,
    best_model_checkpoint: Any = None,
) -> tuple[BestCheckpoint | None, list[Finding]]:
    """The best checkpoint by validation loss and by the metric; do they agree and move together?

    Parameters
    ----------
    val_loss:
        The validation-loss curve (None if not logged).
    metric_frame:
        The main evaluation metric's curve (None if there is none).
    metric, metric_label:
        Its normalised name (``"chrf"``) and display name (``"chrF"``).
    higher_is_better:
        The metric's direction (None if unknown: no best by metric is picked).
    best_model_checkpoint:
        The run's own choice (HF ``best_model_checkpoint``), if known.

    Returns
    -------
    (BestCheckpoint or None, findings): a ``best_checkpoint`` finding (info);
    ``metric_disagrees_with_loss`` (warning) when the metric at the lowest-loss
    checkpoint falls short of its best beyond :data:`DISAGREEMENT_NOISE_MULTIPLIER`
    noise deviations, and when the oriented Spearman correlation over the
    paired evaluations is below :data:`AGREEMENT_MIN_RHO`;
    ``metric_agrees_with_loss`` (info) otherwise; ``inconclusive`` with fewer
    than :data:`MIN_EVALS_FOR_CORRELATION` paired evaluations.
    """
    by_loss = _best_choice(val_loss, "eval_loss", higher=False)
    by_metric = None
    if metric is not None and higher_is_better is not None:
        by_metric = _best_choice(metric_frame, metric, higher=higher_is_better)
    if by_loss is None and by_metric is None:
        return None, []
    name = metric_label or metric or "the metric"
    selected = checkpoint_step(best_model_checkpoint)
    chosen: CheckpointChoice = by_loss if by_loss is not None else by_metric  # type: ignore[assignment]
    if by_loss is not None and by_metric is not None and selected is not None:
        if selected == by_metric.step and selected != by_loss.step:
            chosen = by_metric
    agree = None if by_loss is None or by_metric is None else by_loss.step == by_metric.step
    best = BestCheckpoint(
        step=chosen.step, epoch=chosen.epoch, by=chosen.criterion, value=chosen.value,
        by_loss=by_loss, by_metric=by_metric, agree=agree, selected_by_run=selected,
    )
    pairs = paired_evaluations(val_loss, metric_frame)
    base: dict[str, Any] = {"split": "eval", "metric": metric, "n_evaluations": len(pairs)}
    shortfall: float | None = None
    value_there: float | None = None
    noise = 0.0
    threshold = 0.0
    if agree is False and by_loss is not None and by_metric is not None:
        at_loss_best = pairs.loc[pairs["step"] == by_loss.step, "metric"]
        noise = noise_scale(_finite_rows(metric_frame)["value"].to_numpy(dtype=float)) or 0.0
        threshold = DISAGREEMENT_NOISE_MULTIPLIER * noise
        if not at_loss_best.empty:
            value_there = float(at_loss_best.iloc[-1])
            shortfall = by_metric.value - value_there
            if not higher_is_better:
                shortfall = -shortfall

    parts = []
    if by_loss is not None:
        parts.append(f"by validation loss, {format_position(by_loss.step, by_loss.epoch)} with "
                     f"loss {format_number(by_loss.value)}")
    if by_metric is not None:
        parts.append(f"by {name}, {format_position(by_metric.step, by_metric.epoch)} with "
                     f"{name} {format_number(by_metric.value)}")
    sentence = "Best checkpoint " + "; ".join(parts)
    if agree is True:
        sentence += ": the two criteria agree"
    elif agree is False and shortfall is not None and shortfall <= threshold:
        sentence += (f": they differ, but {name} at the lowest-loss checkpoint, "
                     f"{format_number(value_there)}, is within {format_number(threshold)} of its "
                     f"best ({DISAGREEMENT_NOISE_MULTIPLIER:g} times its noise), so the difference "
                     "may be noise")
    elif agree is False:
        sentence += ": the two criteria pick different checkpoints"
    if selected is not None:
        sentence += f"; the run itself kept step {selected} as its best model"
    evidence = {"best_checkpoint": best.to_dict(), "metric": metric,
                "metric_at_loss_best": value_there, "shortfall": shortfall,
                "noise": noise, "threshold": threshold}
    findings = [Finding(FindingKind.BEST_CHECKPOINT, Severity.INFO, sentence + ".", evidence,
                        panel="overall")]
    if by_loss is None or by_metric is None:
        return best, findings

    if shortfall is not None and shortfall > threshold:
        findings.append(Finding(
            FindingKind.METRIC_DISAGREES_WITH_LOSS, Severity.WARNING,
            f"At the checkpoint with the lowest validation loss, "
            f"{format_position(by_loss.step, by_loss.epoch)}, {name} was "
            f"{format_number(value_there)}: {format_number(shortfall)} worse than its best of "
            f"{format_number(by_metric.value)} at "
            f"{format_position(by_metric.step, by_metric.epoch)}, more than "
            f"{DISAGREEMENT_NOISE_MULTIPLIER:g} times its noise of "
            f"{format_number(noise)}. Validation loss and {name} point at different checkpoints; "
            "choose by the one that matters for how the model will be used.",
            {**base, "reason": "best_checkpoints_differ", "metric_at_loss_best": value_there,
             "metric_best": by_metric.value, "shortfall": shortfall, "noise": noise,
             "threshold": threshold, "best_step_by_loss": by_loss.step,
             "best_step_by_metric": by_metric.step},
            panel="overall",
        ))
    n = len(pairs)
    if n < MIN_EVALS_FOR_CORRELATION:
        findings.append(Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            f"Validation {name} and validation loss share {plural(n, 'evaluation')}: too few to "
            f"tell whether they move together (at least {MIN_EVALS_FOR_CORRELATION} are needed).",
            {**base, "about": "metric_vs_loss", "needed": MIN_EVALS_FOR_CORRELATION},
            panel="overall",
        ))
        return best, findings
    rho = spearman_rho(pairs["loss"], pairs["metric"])
    if rho is None:
        findings.append(Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            f"Validation {name} or validation loss is constant over the "
            f"{plural(n, 'evaluation')}: their rank correlation is undefined.",
            {**base, "about": "metric_vs_loss"}, panel="overall",
        ))
        return best, findings
    oriented = -rho if higher_is_better else rho
    expected = "-1" if higher_is_better else "+1"
    evidence = {**base, "reason": "rank_correlation", "spearman_rho": rho,
                "oriented_rho": oriented, "min_oriented_rho": AGREEMENT_MIN_RHO}
    rho_text = f"{rho:+.2f}"
    if oriented >= AGREEMENT_MIN_RHO:
        findings.append(Finding(
            FindingKind.METRIC_AGREES_WITH_LOSS, Severity.INFO,
            f"Validation {name} and validation loss move together: their Spearman rank "
            f"correlation is {rho_text} over {plural(n, 'evaluation')} (perfect agreement would "
            f"be {expected}).",
            evidence, panel="overall",
        ))
    else:
        findings.append(Finding(
            FindingKind.METRIC_DISAGREES_WITH_LOSS, Severity.WARNING,
            f"Validation {name} and validation loss do not move together: their Spearman rank "
            f"correlation is {rho_text} over {plural(n, 'evaluation')} (agreement would be near "
            f"{expected}), so a lower validation loss did not reliably mean a better {name}.",
            evidence, panel="overall",
        ))
    return best, findings


# --------------------------------------------------------------------------- caveats


def detect_too_few_points(
    summary: CurveSummary,
    *,
    label: str,
    total_steps: int | None = None,
    logging_steps: int | None = None,
    eval_steps: int | None = None,
) -> list[Finding]:
    """A curve with fewer finite points than
    :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`.

    Parameters
    ----------
    summary:
        The curve's summary.
    label:
        How the curve is named in a sentence.
    total_steps, logging_steps, eval_steps:
        From the log's metadata when known, to explain why (HF's default
        ``logging_steps=500`` leaves a 600-step run with one training-loss point).

    Returns
    -------
    ``[too_few_points finding]`` (warning, caveat) or ``[]``.
    """
    if summary.n_finite >= MIN_POINTS_FOR_TREND or summary.points == 0:
        return []
    n = summary.n_finite
    unit = "finite logged point" if summary.split == "train" else "finite evaluation"
    text = f"{_cap(label)} has {plural(n, unit)}"
    if total_steps:
        text += f" over {plural(int(total_steps), 'step')}"
    setting = logging_steps if summary.split == "train" else eval_steps
    setting_name = "logging_steps" if summary.split == "train" else "eval_steps"
    if setting:
        text += f" ({setting_name}={int(setting)})"
    text += f": too few to show a trend (at least {MIN_POINTS_FOR_TREND} are needed)"
    if summary.split == "train":
        text += "; log more often (a smaller logging_steps) to see the curve."
    else:
        text += "; evaluate more often (eval_strategy/eval_steps) to see the curve."
    return [Finding(
        FindingKind.TOO_FEW_POINTS, Severity.WARNING, text,
        {"split": summary.split, "metric": summary.metric, "points": summary.points,
         "n_finite": n, "needed": MIN_POINTS_FOR_TREND, "total_steps": total_steps,
         setting_name: setting},
        panel="caveat",
    )]


def detect_few_evaluations(n_evaluations: int) -> list[Finding]:
    """A run evaluated at least :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`
    but fewer than :data:`FEW_EVALUATIONS` times.

    Returns
    -------
    ``[few_evaluations finding]`` (warning, caveat) or ``[]``.
    """
    if not MIN_POINTS_FOR_TREND <= n_evaluations < FEW_EVALUATIONS:
        return []
    return [Finding(
        FindingKind.FEW_EVALUATIONS, Severity.WARNING,
        f"The run was evaluated only {plural(n_evaluations, 'time')}: trends and the best "
        f"checkpoint rest on few points (at least {FEW_EVALUATIONS} evaluations make them firmer).",
        {"n_evaluations": n_evaluations, "threshold": FEW_EVALUATIONS},
        panel="caveat",
    )]


def _positive_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
        return x if math.isfinite(x) and x > 0 else None
    if isinstance(value, str):
        try:
            x = float(value.replace(",", "").replace("_", ""))
        except ValueError:
            return None
        return x if math.isfinite(x) and x > 0 else None
    return None


def dataset_sizes(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Training and evaluation set sizes from run metadata, and where they came from.

    Looks at ``dataset.train_size``, ``dataset.size`` (run.yaml), then at
    top-level ``train_size``, ``dataset_size``, ``num_train_examples``, and at
    ``dataset.eval_size`` / ``eval_size`` for the evaluation set.

    Returns
    -------
    dict with ``train_size``, ``eval_size`` (int or None), ``source`` (the key used) and ``name``.
    """
    dataset = meta.get("dataset")
    dataset = dataset if isinstance(dataset, Mapping) else {}
    found: dict[str, Any] = {"train_size": None, "eval_size": None, "source": None,
                             "name": dataset.get("name") if dataset else meta.get("dataset")}
    if found["name"] is not None and not isinstance(found["name"], str):
        found["name"] = str(found["name"])
    for where, mapping, key in (("dataset.train_size", dataset, "train_size"),
                                ("dataset.size", dataset, "size"),
                                ("train_size", meta, "train_size"),
                                ("dataset_size", meta, "dataset_size"),
                                ("num_train_examples", meta, "num_train_examples")):
        size = _positive_number(mapping.get(key))
        if size is not None:
            found["train_size"], found["source"] = int(size), where
            break
    for mapping, key in ((dataset, "eval_size"), (meta, "eval_size")):
        size = _positive_number(mapping.get(key))
        if size is not None:
            found["eval_size"] = int(size)
            break
    return found


def detect_small_dataset(meta: Mapping[str, Any], *, epochs: float | None = None) -> list[Finding]:
    """A training set smaller than :data:`SMALL_DATASET_EXAMPLES`, from run metadata.

    Parameters
    ----------
    meta:
        The run's meta (run.yaml's ``dataset`` mapping...).
    epochs:
        How many epochs it trained, to say how often each example was seen.

    Returns
    -------
    ``[small_dataset finding]`` (info, caveat) or ``[]`` (also when the size is unknown).
    """
    sizes = dataset_sizes(meta)
    size = sizes["train_size"]
    if size is None or size >= SMALL_DATASET_EXAMPLES:
        return []
    text = f"The training set is small: {plural(size, 'example')} (from {sizes['source']})"
    if epochs:
        text += f", each seen about {format_epoch(epochs)} times ({format_epoch(epochs)} epochs)"
    if sizes["eval_size"]:
        text += f"; the evaluation set has {plural(sizes['eval_size'], 'example')}"
    text += (". Curves from so few examples are noisy, and gains measured on them may not carry "
             "over to other data.")
    return [Finding(
        FindingKind.SMALL_DATASET, Severity.INFO, text,
        {"train_size": size, "eval_size": sizes["eval_size"], "source": sizes["source"],
         "epochs": epochs, "threshold": SMALL_DATASET_EXAMPLES},
        panel="caveat",
    )]


def detect_few_epochs(epochs: float | None, *, source: str | None = None) -> list[Finding]:
    """A run that trained fewer than :data:`FEW_EPOCHS` epochs.

    Returns
    -------
    ``[few_epochs finding]`` (info, caveat) or ``[]`` (also when unknown).
    """
    if epochs is None or not math.isfinite(epochs) or epochs <= 0:
        return []
    if round(epochs, 2) >= FEW_EPOCHS:
        return []
    origin = f" (from {source})" if source else ""
    return [Finding(
        FindingKind.FEW_EPOCHS, Severity.INFO,
        f"Training ran {format_epoch(epochs)} epoch{'s' if round(epochs, 2) != 1 else ''}{origin}: "
        "too short for a plateau or overfitting to show, so their absence says little.",
        {"epochs": epochs, "threshold": FEW_EPOCHS, "source": source},
        panel="caveat",
    )]


__all__ = [
    "AGREEMENT_MIN_RHO",
    "DISAGREEMENT_NOISE_MULTIPLIER",
    "END_LEVEL_POINTS",
    "FEW_EPOCHS",
    "FEW_EVALUATIONS",
    "MAX_LISTED",
    "MIN_EVALS_AFTER_MINIMUM",
    "MIN_EVALS_FOR_CORRELATION",
    "MIN_EVALS_FOR_OVERFITTING",
    "MIN_POINTS_FOR_END_VERDICT",
    "MIN_POINTS_FOR_SPIKES",
    "MIN_TAIL_POINTS",
    "OVERFIT_MIN_RELATIVE_RISE",
    "OVERFIT_NOISE_MULTIPLIER",
    "PLATEAU_RELATIVE_CHANGE",
    "SMALL_DATASET_EXAMPLES",
    "SPIKE_MIN_RELATIVE_JUMP",
    "SPIKE_NEIGHBOURS",
    "SPIKE_NOISE_WINDOW",
    "SPIKE_NOISE_MULTIPLIER",
    "TAIL_FRACTION",
    "TAIL_NOISE_MULTIPLIER",
    "TAIL_VERDICTS",
    "TRAIN_LEVEL_POINTS",
    "BestCheckpoint",
    "CheckpointChoice",
    "TailChange",
    "checkpoint_step",
    "compare_best_checkpoints",
    "dataset_sizes",
    "detect_end_of_training",
    "detect_few_epochs",
    "detect_few_evaluations",
    "detect_non_finite",
    "detect_overfitting",
    "detect_plateau",
    "detect_small_dataset",
    "detect_spikes",
    "detect_still_improving",
    "detect_too_few_points",
    "detect_train_val_gap",
    "paired_evaluations",
    "spearman_rho",
    "tail_change",
]
