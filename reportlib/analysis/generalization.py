"""Rule family: generalization. Overfitting, the train/validation gap, early stopping.

Established criteria, and which this module adopts:

- Prechelt's generalization loss, GL(t) = 100 * (E_va(t) / E_opt(t) - 1)
  ("Early stopping, but when?", 1998), is the relative rise of validation loss
  above its minimum: :func:`detect_overfitting` uses that quantity
  (``relative_rise``), but asks it to exceed the curve's own noise too, since
  a fixed alpha would fire on noisy small validation sets.
- Prechelt's progress quotient PQ divides GL by the training progress over a
  strip of k training steps. It needs training loss on a regular grid of
  strips; logs here record it every ``logging_steps`` or per epoch, so PQ is
  not adopted. The direction of the training loss over the same span (did it
  keep falling?) plays its part: overfitting vs. an unstable run.
- Patience / min_delta as Keras and Lightning ``EarlyStopping`` define them:
  adopted for :func:`detect_early_stopping`, because that is the setting a
  reader can switch on in the next run; its patience is Lightning's default.
- PyTorch ``ReduceLROnPlateau``'s relative threshold (``threshold_mode="rel"``,
  1e-4): adopted as the min_delta, so an improvement in the last float digits
  does not reset the patience.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reportlib.analysis._common import finite_or_none, finite_rows, train_levels_at_evals
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.noise import noise_scale
from reportlib.analysis.templates import format_number as _fmt
from reportlib.analysis.templates import format_percent, format_position, plural, say

MIN_EVALS_FOR_OVERFITTING = 4
"""Fewer finite validation-loss evaluations than this and overfitting is not judged:
a minimum, a rise after it and a noise estimate need at least four points."""

MIN_EVALS_AFTER_MINIMUM = 2
"""A rise seen at a single evaluation after the minimum is one point: it could be
noise, so at least two evaluations after the minimum are needed for a verdict."""

OVERFIT_NOISE_MULTIPLIER = 3.0
"""The rise of validation loss above its minimum must exceed this many noise
standard deviations (:func:`~reportlib.analysis.noise.noise_scale`): the minimum of
a noisy series is itself biased low, so a plain 2-sigma rule would fire on noise."""

OVERFIT_MIN_RELATIVE_RISE = 0.02
"""...and must exceed this fraction of the minimum (Prechelt's GL above 2): a rise
under 2% does not change which checkpoint to use in practice."""

NO_SIGN_NOISE_MULTIPLIER = 1.0
""""No sign of overfitting" needs the end to sit within this many noise standard
deviations of the minimum (or within :data:`OVERFIT_MIN_RELATIVE_RISE` of it): a rise
of 1 to 3 deviations, and over 2%, is neither shown nor ruled out, and is said so (an
early spike or a zig-zag inflates the noise estimate: 'within its noise' then hides a
rise every later evaluation shows)."""

RISING_EVALS = 2
"""Prechelt's UP criterion with strips of one evaluation: a validation loss that rose
at each of this many last evaluations after its minimum (and by more than
:data:`OVERFIT_MIN_RELATIVE_RISE`) is not called "no sign of overfitting" even when
the rise stays under the noise threshold, which a steep early fall inflates; the
report says it cannot tell."""

END_LEVEL_POINTS = 3
"""The level validation loss ends at is the median of at most this many last
evaluations, so one lucky or unlucky final evaluation does not decide the verdict."""

EARLY_STOPPING_PATIENCE = 3
"""Evaluations without improvement before the rule stops: Lightning's
``EarlyStopping`` default (Keras's default of 0 stops at the first noisy bump)."""

EARLY_STOPPING_MIN_DELTA = 1e-4
"""An evaluation improves on the best so far when it is lower by more than this
fraction of it: ``ReduceLROnPlateau``'s default relative threshold."""

EARLY_STOPPING_NEAR_NOISE = 2.0
"""The checkpoint an early stop keeps is "near" the run's best when its loss is
within this many noise standard deviations of the lowest..."""

EARLY_STOPPING_NEAR_RELATIVE = 0.01
"""...or within 1% of it; otherwise stopping would have cost real quality and no
early-stopping finding is written."""

EARLY_STOPPING_MAX_RELATIVE = 0.10
"""...and never more than 10% above it, however noisy the curve: an audited run's noise
made 0.633 "near" its lowest of 0.276, and the stop would have kept a checkpoint with
more than twice the loss."""


def _levels(val_steps: list[int], train: pd.DataFrame, eval_time_train: pd.DataFrame | None
            ) -> tuple[list[float | None], str]:
    """Training-loss levels at the evaluations, and how they were measured.

    The log's own training loss measured at evaluation time (nanoGPT's
    ``step N: train loss X, val loss Y``, on the same number of batches as the
    validation loss) when it has one at every evaluation step; else the last
    training loss logged at or before each evaluation.
    """
    rows = finite_rows(eval_time_train)
    if not rows.empty:
        at = dict(zip(rows["step"].astype(int), rows["value"].astype(float), strict=True))
        if all(step in at for step in val_steps):
            return [at[step] for step in val_steps], "eval_time"
    return train_levels_at_evals(train, val_steps), "last_logged"


_SOURCE_WORDS = {"eval_time": " (the log's own training loss measured at evaluation time)",
                 "last_logged": " (each the last logged at or before its evaluation)"}


def _rises_at_the_end(values: np.ndarray) -> int:
    """How many of the last values each rose above the one before (0 if the last fell)."""
    count = 0
    for before, after in zip(values[-2::-1], values[:0:-1], strict=False):
        if after > before:
            count += 1
        else:
            break
    return count


def _rising_at_the_end(values: np.ndarray) -> bool:
    """Whether the curve rose at each of its last :data:`RISING_EVALS` evaluations."""
    return _rises_at_the_end(values) >= RISING_EVALS


def detect_overfitting(
    val_loss: pd.DataFrame | None,
    train_loss: pd.DataFrame | None = None,
    *,
    eval_time_train: pd.DataFrame | None = None,
) -> list[Finding]:
    """Whether validation loss bottomed out and then rose beyond its noise while training loss fell.

    The rise is the median of the last :data:`END_LEVEL_POINTS` evaluations
    after the minimum, minus the minimum. It counts when it exceeds both
    :data:`OVERFIT_NOISE_MULTIPLIER` noise standard deviations and
    :data:`OVERFIT_MIN_RELATIVE_RISE` of the minimum, over at least
    :data:`MIN_EVALS_AFTER_MINIMUM` evaluations. Training loss "kept falling"
    when its level at the last evaluation is below its level at the minimum.

    Parameters
    ----------
    val_loss:
        The validation-loss curve (None or empty: no finding).
    train_loss:
        The training-loss curve, if logged.
    eval_time_train:
        The log's training loss measured at evaluation time, if it has one.

    Returns
    -------
    One finding: ``overfitting`` (warning), ``val_loss_rising`` (warning),
    ``no_overfitting`` (info) or ``inconclusive`` (info); none without validation loss.
    """
    val = finite_rows(val_loss)
    n = len(val)
    if n == 0:
        return []
    base: dict[str, Any] = {"split": "eval", "metric": "loss", "n_evaluations": n,
                            "rule": "overfitting",
                            "parameters": {"noise_multiplier": OVERFIT_NOISE_MULTIPLIER,
                                           "min_relative_rise": OVERFIT_MIN_RELATIVE_RISE,
                                           "end_level_points": END_LEVEL_POINTS,
                                           "min_evals_after_min": MIN_EVALS_AFTER_MINIMUM}}
    raw = (val_loss.sort_values("step", kind="stable")["value"].to_numpy(dtype=float)
           if val_loss is not None else np.array([]))
    finite_word = "finite " if raw.size and not np.isfinite(raw[-1]) else ""
    if n < MIN_EVALS_FOR_OVERFITTING:
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("overfitting.too_few", n_text=plural(n, "finite evaluation"),
                needed=MIN_EVALS_FOR_OVERFITTING),
            {**base, "about": "overfitting", "needed": MIN_EVALS_FOR_OVERFITTING},
            panel="overall",
        )]
    values = val["value"].to_numpy(dtype=float)
    steps = [int(s) for s in val["step"]]
    epochs = val["epoch"].to_numpy(dtype=float)
    i_min = int(np.argmin(values))
    minimum = float(values[i_min])
    min_step, min_epoch = steps[i_min], finite_or_none(epochs[i_min])
    noise = noise_scale(values) or 0.0
    threshold = max(OVERFIT_NOISE_MULTIPLIER * noise, OVERFIT_MIN_RELATIVE_RISE * abs(minimum))
    where_min = format_position(min_step, min_epoch)
    evidence: dict[str, Any] = {
        **base, "min_value": minimum, "min_step": min_step, "min_epoch": min_epoch,
        "noise": noise, "threshold": threshold, "evaluations_after_min": n - 1 - i_min,
        "steps": [min_step],
    }
    after = values[i_min + 1:]
    if after.size == 0:
        evidence.update(rise=0.0, relative_rise=0.0)
        return [Finding(
            FindingKind.NO_OVERFITTING, Severity.INFO,
            say("overfitting.min_is_last", finite_word=finite_word, where_min=where_min,
                minimum=minimum),
            evidence, panel="overall",
        )]
    end_level = float(np.median(after[-END_LEVEL_POINTS:]))
    rise = end_level - minimum
    relative_rise = rise / abs(minimum) if minimum != 0 else None
    last_step, last_epoch = steps[-1], finite_or_none(epochs[-1])
    evidence.update(end_value=end_level, last_value=float(values[-1]), last_step=last_step,
                    last_epoch=last_epoch, rise=rise, relative_rise=relative_rise,
                    steps=[min_step, last_step])
    rise_text = (f"{format_percent(relative_rise)} above the minimum" if relative_rise is not None
                 else f"{_fmt(rise)} above the minimum")
    n_end = min(END_LEVEL_POINTS, int(after.size))
    end_text = (f"the last evaluation, {format_position(last_step, last_epoch)}, is at "
                f"{_fmt(end_level)}" if n_end == 1 else
                f"its last {n_end} evaluations, up to {format_position(last_step, last_epoch)}, "
                f"have a median of {_fmt(end_level)}")
    if rise <= threshold and _rising_at_the_end(values[i_min:]) \
            and relative_rise is not None and relative_rise > OVERFIT_MIN_RELATIVE_RISE:
        n_up = _rises_at_the_end(values[i_min:])
        last_rise = float(values[-1]) - minimum
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("overfitting.rising_within_noise", minimum=minimum, where_min=where_min,
                n_up=n_up, last=float(values[-1]),
                where_last=format_position(last_step, last_epoch),
                rise_text=f"{format_percent(last_rise / abs(minimum))} above the minimum",
                threshold=threshold),
            {**evidence, "about": "overfitting", "rule": "rising_within_noise",
             "rises_at_the_end": n_up},
            panel="overall",
        )]
    noise_threshold = OVERFIT_NOISE_MULTIPLIER * noise
    if noise_threshold < rise <= threshold:
        # Beyond its noise, yet under the 2% that counts: a small rise, said as such
        # ("within its noise" would be false, and so would "no sign of overfitting").
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("overfitting.small_rise", minimum=minimum, where_min=where_min,
                end_text=end_text, rise_text=rise_text, noise_threshold=noise_threshold,
                relative=format_percent(OVERFIT_MIN_RELATIVE_RISE), threshold=threshold),
            {**evidence, "about": "overfitting", "rule": "small_rise",
             "noise_threshold": noise_threshold}, panel="overall",
        )]
    no_sign = max(NO_SIGN_NOISE_MULTIPLIER * noise, OVERFIT_MIN_RELATIVE_RISE * abs(minimum))
    if no_sign < rise <= threshold:
        above = values[i_min + 1:]
        first = say("overfitting.min_first", n_after=int(above.size), low=float(above.min()),
                    high=float(above.max())) if i_min == 0 and n >= MIN_EVALS_FOR_OVERFITTING \
            else ""
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("overfitting.above_within_noise", minimum=minimum, where_min=where_min,
                end_text=end_text, rise_text=rise_text, noise=noise, threshold=threshold,
                first=first),
            {**evidence, "about": "overfitting", "rule": "above_within_noise",
             "no_sign_threshold": no_sign}, panel="overall",
        )]
    if rise <= threshold:
        return [Finding(
            FindingKind.NO_OVERFITTING, Severity.INFO,
            say("overfitting.within_noise", minimum=minimum, where_min=where_min,
                end_text=end_text, rise_text=rise_text, threshold=threshold),
            evidence, panel="overall",
        )]
    if after.size < MIN_EVALS_AFTER_MINIMUM:
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("overfitting.one_point", end_level=end_level, rise_text=rise_text,
                minimum=minimum, where_min=where_min),
            {**evidence, "about": "overfitting", "needed_after_min": MIN_EVALS_AFTER_MINIMUM},
            panel="overall",
        )]
    levels, source = _levels(steps, finite_rows(train_loss), eval_time_train)
    train_at_min, train_at_end = levels[i_min], levels[-1]
    train_change = None
    if train_at_min is not None and train_at_end is not None:
        train_change = train_at_end - train_at_min
    evidence.update(train_loss_at_min=train_at_min, train_loss_at_end=train_at_end,
                    train_loss_change=train_change, train_loss_source=source)
    # The overfitting sentences name the minimum's position first; the other says it here.
    rose_there = say("overfitting.rose", minimum=minimum, at=" there", end_text=end_text,
                     rise_text=rise_text)
    if train_change is None:
        return [Finding(FindingKind.OVERFITTING, Severity.WARNING,
                        say("overfitting.train_unknown", rose=rose_there, where_min=where_min,
                            threshold=threshold), evidence, panel="overall")]
    words = dict(train_at_min=train_at_min, train_at_end=train_at_end,
                 source=_SOURCE_WORDS[source], where_min=where_min, threshold=threshold)
    if train_change < 0:
        return [Finding(FindingKind.OVERFITTING, Severity.WARNING,
                        say("overfitting.train_fell", rose=rose_there, **words), evidence,
                        panel="overall")]
    rose = say("overfitting.rose", minimum=minimum, at=f" at {where_min}", end_text=end_text,
               rise_text=rise_text)
    return [Finding(FindingKind.VAL_LOSS_RISING, Severity.WARNING,
                    say("overfitting.train_did_not_fall", rose=rose, **words), evidence,
                    panel="overall")]


def detect_train_val_gap(
    val_loss: pd.DataFrame | None,
    train_loss: pd.DataFrame | None,
    *,
    eval_time_train: pd.DataFrame | None = None,
) -> list[Finding]:
    """The gap between validation and training loss, and how it changed over the evaluations.

    At each evaluation the training loss is the log's own eval-time training
    loss when it has one (nanoGPT), else the median of the training losses
    logged since the previous evaluation. Needs two evaluations with a
    training-loss level; otherwise no finding.

    Returns
    -------
    One ``train_val_gap`` finding (info) with the gaps per evaluation in its evidence, or none.
    """
    val = finite_rows(val_loss)
    train = finite_rows(train_loss)
    if len(val) < 2 or (train.empty and finite_rows(eval_time_train).empty):
        return []
    steps = [int(s) for s in val["step"]]
    levels, source = _levels(steps, train, eval_time_train)
    val_values = val["value"].to_numpy(dtype=float)
    pairs = [(i, float(val_values[i]) - lvl) for i, lvl in enumerate(levels) if lvl is not None]
    if len(pairs) < 2:
        return []
    (i0, gap0), (i1, gap1) = pairs[0], pairs[-1]
    change = gap1 - gap0
    epochs = val["epoch"].to_numpy(dtype=float)
    if change > 0:
        how = f"the difference rose by {_fmt(change)}"
    elif change < 0:
        how = f"the difference fell by {_fmt(-change)}"
    else:
        how = "the difference did not change"
    evidence = {
        "split": "eval", "metric": "loss", "rule": "train_val_gap",
        "parameters": {"train_level": source},
        "steps": [steps[i] for i, _ in pairs], "gaps": [g for _, g in pairs],
        "first_gap": gap0, "first_step": steps[i0], "first_epoch": finite_or_none(epochs[i0]),
        "last_gap": gap1, "last_step": steps[i1], "last_epoch": finite_or_none(epochs[i1]),
        "change": change, "train_loss_source": source,
    }
    return [Finding(
        FindingKind.TRAIN_VAL_GAP, Severity.INFO,
        say("gap", source=_SOURCE_WORDS[source], gap0=gap0,
            where0=format_position(steps[i0], finite_or_none(epochs[i0])), gap1=gap1,
            where1=format_position(steps[i1], finite_or_none(epochs[i1])), how=how),
        evidence, panel="overall",
    )]


def detect_early_stopping(
    val_loss: pd.DataFrame | None, *, total_steps: int | None = None
) -> list[Finding]:
    """Where Lightning-style early stopping on validation loss would have stopped.

    Replays ``EarlyStopping(monitor="val_loss", patience=EARLY_STOPPING_PATIENCE,
    min_delta=EARLY_STOPPING_MIN_DELTA * best)`` over the logged evaluations. A
    finding is written only when the rule would have stopped before the last
    evaluation and the checkpoint it keeps (the best so far) is the run's best
    or within :data:`EARLY_STOPPING_NEAR_NOISE` noise deviations /
    :data:`EARLY_STOPPING_NEAR_RELATIVE` of it.

    Parameters
    ----------
    val_loss:
        The validation-loss curve.
    total_steps:
        How long the run trained (the saving is measured against it; the last
        evaluation's step when unknown or smaller).

    Returns
    -------
    ``[early_stopping finding]`` (info) or ``[]``.
    """
    val = finite_rows(val_loss)
    n = len(val)
    if n < max(MIN_EVALS_FOR_OVERFITTING, EARLY_STOPPING_PATIENCE + 2):
        return []
    values = val["value"].to_numpy(dtype=float)
    steps = [int(s) for s in val["step"]]
    epochs = val["epoch"].to_numpy(dtype=float)
    best_i, wait, stop_i = 0, 0, None
    for i in range(1, n):
        if values[i] < values[best_i] - EARLY_STOPPING_MIN_DELTA * abs(values[best_i]):
            best_i, wait = i, 0
            continue
        wait += 1
        if wait >= EARLY_STOPPING_PATIENCE:
            stop_i = i
            break
    if stop_i is None or stop_i == n - 1:
        return []
    lowest_i = int(np.argmin(values))
    noise = noise_scale(values) or 0.0
    near = min(max(EARLY_STOPPING_NEAR_NOISE * noise,
                   EARLY_STOPPING_NEAR_RELATIVE * abs(float(values[lowest_i]))),
               EARLY_STOPPING_MAX_RELATIVE * abs(float(values[lowest_i])))
    shortfall = float(values[best_i] - values[lowest_i])
    if shortfall > near:
        return []
    total = max(int(total_steps or 0), steps[-1])
    if total <= 0:
        return []
    saved = (total - steps[stop_i]) / total
    near_text = ("the run's lowest" if best_i == lowest_i else
                 f"within {_fmt(near)} of the run's lowest, {_fmt(float(values[lowest_i]))} at "
                 f"{format_position(steps[lowest_i], finite_or_none(epochs[lowest_i]))}")
    evidence = {
        "split": "eval", "metric": "loss", "rule": "early_stopping",
        "parameters": {"patience": EARLY_STOPPING_PATIENCE,
                       "min_delta_relative": EARLY_STOPPING_MIN_DELTA,
                       "near_noise": EARLY_STOPPING_NEAR_NOISE,
                       "near_relative": EARLY_STOPPING_NEAR_RELATIVE},
        "steps": [steps[best_i], steps[stop_i]], "stop_step": steps[stop_i],
        "stop_epoch": finite_or_none(epochs[stop_i]), "kept_step": steps[best_i],
        "kept_value": float(values[best_i]), "lowest_step": steps[lowest_i],
        "lowest_value": float(values[lowest_i]), "shortfall": shortfall, "near": near,
        "total_steps": total, "saved_fraction": saved,
    }
    return [Finding(
        FindingKind.EARLY_STOPPING, Severity.INFO,
        say("early_stopping", patience=EARLY_STOPPING_PATIENCE,
            min_delta=format_percent(EARLY_STOPPING_MIN_DELTA),
            where_stop=format_position(steps[stop_i], finite_or_none(epochs[stop_i])),
            where_best=format_position(steps[best_i], finite_or_none(epochs[best_i])),
            best=float(values[best_i]), near=near_text, saved=format_percent(saved),
            total=total),
        evidence, panel="overall",
    )]


__all__ = [
    "EARLY_STOPPING_MIN_DELTA",
    "EARLY_STOPPING_NEAR_NOISE",
    "EARLY_STOPPING_MAX_RELATIVE",
    "EARLY_STOPPING_NEAR_RELATIVE",
    "EARLY_STOPPING_PATIENCE",
    "END_LEVEL_POINTS",
    "MIN_EVALS_AFTER_MINIMUM",
    "MIN_EVALS_FOR_OVERFITTING",
    "NO_SIGN_NOISE_MULTIPLIER",
    "OVERFIT_MIN_RELATIVE_RISE",
    "OVERFIT_NOISE_MULTIPLIER",
    "detect_early_stopping",
    "detect_overfitting",
    "detect_train_val_gap",
]
