"""Sanity of the objective: a loss curve that cannot be a loss being minimised.

Two patterns, each a :data:`~reportlib.analysis.findings.FindingKind.BROKEN_OBJECTIVE`
finding with the numbers:

- **unbounded below**: the loss goes negative, stays negative and keeps
  growing in magnitude (a sign error, or a custom loss with no lower bound:
  the optimiser "improves" it without end). A negative loss alone is not
  broken (the negative log-likelihood of a continuous density is often
  negative); one that grows :data:`NEGATIVE_GROWTH`-fold and is still
  growing :data:`LATE_GROWTH`-fold over its last half is not converging to anything;
- **exactly constant**: every logged value is the same number, so the model
  learned nothing measurable (a frozen model, a detached graph, a zero
  learning rate). When the value is ln(k) for a whole k, it is the loss of a
  uniform guess over k classes, and the message says so, with the accuracy of
  the same split when it is logged.

The trend, overfitting and gap findings built on a broken curve are dropped
(:data:`SUPPRESSED_KINDS`): "still improving" said of a loss racing to minus
infinity is false advice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.templates import say
from reportlib.run import Run

NEGATIVE_GROWTH = 100.0
"""Growth in magnitude, from the first negative value to the last, that marks a loss
unbounded below: two orders of magnitude. A converging negative log-likelihood
moves by a few units (-0.5 to -3); a loss with no lower bound doubles again and
again (the issue's Keras run grew a thousandfold)."""

LATE_GROWTH = 2.0
"""Growth in magnitude over the second half of the negative stretch that marks it
as still growing (not levelling off): it at least doubled in the last half."""

MIN_POINTS = 4
"""Fewest negative points before calling a loss unbounded below: fewer make no trend."""

MIN_CONSTANT_POINTS = 5
"""Fewest logged points, all equal, before calling a loss exactly constant: a few
equal values of a loss printed with few decimals can be a plateau; five or more
in a row, and nothing else, is a loss that never moved."""

MAX_CLASSES = 100_000
"""Largest class count tried when matching a constant loss to ln(k)."""

LN_TOLERANCE = 5e-4
"""Relative tolerance of that match: logs print 4 to 6 significant digits."""

CHANCE_TOLERANCE = 0.1
"""Accuracy within 10% (relative) of 1/k counts as chance for k classes: a model
that learned nothing scores 1/k up to the sampling noise of the evaluation set."""

SUPPRESSED_KINDS = frozenset({
    FindingKind.STILL_IMPROVING, FindingKind.PLATEAU, FindingKind.GETTING_WORSE,
    FindingKind.OVERFITTING, FindingKind.VAL_LOSS_RISING, FindingKind.NO_OVERFITTING,
    FindingKind.TRAIN_VAL_GAP, FindingKind.NO_IMPROVEMENT,
})
"""Findings that claim a trend, overfitting or a gap: not made from a broken loss
(with the checkpoint rankings by a broken validation loss)."""

#: Findings of these kinds compare both losses: dropped when either is broken.
_BOTH_LOSSES = frozenset({FindingKind.OVERFITTING, FindingKind.VAL_LOSS_RISING,
                          FindingKind.NO_OVERFITTING, FindingKind.TRAIN_VAL_GAP})
#: Findings that rank checkpoints by the validation loss: dropped when it is broken
#: (the "best" of a loss racing to minus infinity is its last value).
_BY_VAL_LOSS = frozenset({FindingKind.BEST_CHECKPOINT, FindingKind.METRIC_AGREES_WITH_LOSS,
                          FindingKind.METRIC_DISAGREES_WITH_LOSS, FindingKind.EARLY_STOPPING})

_LOSS_PANELS = {"train_loss": "training loss", "val_loss": "validation loss"}


def broken_objectives(run: Run, panels: Mapping[str, tuple[str, str] | None]) -> list[Finding]:
    """A BROKEN_OBJECTIVE finding for each loss panel whose loss cannot be what training minimised.

    Parameters
    ----------
    run:
        The run (for the loss curves and a same-split accuracy).
    panels:
        The analysis' panels (``"train_loss"``, ``"val_loss"`` -> curve or None).
    """
    broken: list[Finding] = []
    for panel, label in _LOSS_PANELS.items():
        key = panels.get(panel)
        if key is None:
            continue
        frame = run.series(*key)
        finding = _unbounded_below(frame, key, label, panel) or _constant(run, frame, key, label,
                                                                         panel)
        if finding is not None:
            broken.append(finding)
    return broken


def without_claims_on(findings: Iterable[Finding], broken: Sequence[Finding]) -> list[Finding]:
    """``findings`` less the claims a broken loss cannot support (:data:`SUPPRESSED_KINDS`...).

    The analysis applies it to each rule family's findings before the next family
    reads them, so no later finding is worded on a claim that is then dropped.
    """
    if not broken:
        return list(findings)
    curves = {(f.evidence["split"], f.evidence["metric"]) for f in broken}
    return [
        f for f in findings
        if not (f.kind in SUPPRESSED_KINDS
                and (f.kind in _BOTH_LOSSES
                     or (f.evidence.get("split"), f.evidence.get("metric")) in curves))
        and not (f.kind in _BY_VAL_LOSS and ("eval", "loss") in curves)
        # "Too few evaluations" or "cannot tell" about overfitting is moot on a broken loss.
        and not (f.kind is FindingKind.INCONCLUSIVE and f.evidence.get("about") == "overfitting")
    ]


def _unbounded_below(frame, key: tuple[str, str], label: str, panel: str) -> Finding | None:
    values = frame["value"].to_numpy(dtype=float)
    steps = frame["step"].to_numpy()
    finite = np.isfinite(values)
    values, steps = values[finite], steps[finite]
    negative = np.flatnonzero(values >= 0)
    start = int(negative[-1]) + 1 if len(negative) else 0  # the final all-negative stretch
    tail, tail_steps = values[start:], steps[start:]
    if len(tail) < MIN_POINTS:
        return None
    first, last, middle = abs(tail[0]), abs(tail[-1]), abs(tail[len(tail) // 2])
    if first == 0 or last < NEGATIVE_GROWTH * first or last < LATE_GROWTH * middle:
        return None
    growth, late = last / first, last / middle
    message = say("broken_objective.unbounded_below", label=label, first=float(tail[0]),
                  first_step=int(tail_steps[0]), last=float(tail[-1]),
                  last_step=int(tail_steps[-1]), growth=float(growth), late=float(late))
    evidence = {"rule": "broken_objective", "split": key[0], "metric": key[1],
                "pattern": "unbounded_below",
                "first_negative": float(tail[0]), "first_negative_step": int(tail_steps[0]),
                "last": float(tail[-1]), "last_step": int(tail_steps[-1]),
                "growth": float(growth), "late_growth": float(late)}
    return Finding(FindingKind.BROKEN_OBJECTIVE, Severity.CRITICAL, message, evidence, panel=panel)


def _constant(run: Run, frame, key: tuple[str, str], label: str, panel: str) -> Finding | None:
    values = frame["value"].to_numpy(dtype=float)
    if len(values) < MIN_CONSTANT_POINTS or not np.isfinite(values).all() \
            or values.min() != values.max():
        return None
    value = float(values[0])
    shown = f"{value:.6g}"  # as the log wrote it (up to 6 digits), no padding zeros
    evidence: dict[str, object] = {"rule": "broken_objective", "split": key[0],
                                   "metric": key[1], "pattern": "constant", "value": value,
                                   "points": len(values)}
    classes_text = accuracy_text = ""
    classes = _uniform_guess_classes(value)
    if classes is not None:
        classes_text = say("broken_objective.classes", value=shown, classes=classes)
        evidence["classes"] = classes
        accuracy = run.series(key[0], "accuracy")["value"].to_numpy(dtype=float)
        if len(accuracy) and np.isfinite(accuracy).all():
            mean = float(accuracy.mean())
            scale = 100.0 if accuracy.max() > 1 else 1.0  # accuracy logged in percent
            at_chance = abs(mean / scale - 1.0 / classes) <= CHANCE_TOLERANCE / classes
            accuracy_text = say(
                "broken_objective.accuracy",
                split="training" if key[0] == "train" else "validation", mean=mean,
                chance=say("broken_objective.chance", classes=classes) if at_chance else "")
            evidence["accuracy_mean"] = mean
    steps = frame["step"].to_numpy()
    message = say("broken_objective.constant", label=label, value=shown, points=len(values),
                  first_step=int(steps[0]), last_step=int(steps[-1]), classes=classes_text,
                  accuracy=accuracy_text)
    return Finding(FindingKind.BROKEN_OBJECTIVE, Severity.CRITICAL, message, evidence, panel=panel)


def _uniform_guess_classes(value: float) -> int | None:
    """k when ``value`` is ln(k) for a whole k from 2 to :data:`MAX_CLASSES`, else None."""
    if not 0 < value <= math.log(MAX_CLASSES) + 1:
        return None
    k = round(math.exp(value))
    if 2 <= k <= MAX_CLASSES and abs(math.log(k) - value) <= LN_TOLERANCE * value:
        return int(k)
    return None
