"""Rule family: how a curve ends. Still improving, getting worse, plateaued, or unclear.

The last quarter of a curve (its *tail*) is split in thirds; the change is
the mean of its last third minus the mean of its first third: observed
values, the very numbers the sentence quotes (a fitted line's end points can
lie outside everything logged). That change is judged against its standard
error (from the curve's noise) and against the log's rounding step. When the
quarter is too noisy to tell, a longer window sized by the noise may still show a
plateau (:data:`INFORMATIVE_MARGIN_SHARE`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportlib.analysis._common import finite_or_none, finite_rows
from reportlib.analysis.curves import MIN_POINTS_FOR_TREND, near_ceiling
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.noise import noise_scale, resolution
from reportlib.analysis.templates import (
    cap,
    format_epoch,
    format_number,
    format_percent,
    plural,
    say,
)

TAIL_FRACTION = 0.25
"""The "end of training" is the last quarter of a curve's points..."""

MIN_TAIL_POINTS = 3
"""...and at least three points, so that its first and last thirds are distinct points."""

MIN_POINTS_FOR_END_VERDICT = 5
"""Fewer finite points than this and plateau / still improving is not judged:
the tail would be most of the curve and would mostly measure its start."""

TAIL_NOISE_MULTIPLIER = 2.0
"""The change over the tail must exceed this many standard errors (about a 95%
two-sided level for Gaussian noise) to count as improving or worsening."""

TAIL_OWN_NOISE_POINTS = 10
"""A tail of at least this many points is judged against its own noise (second
differences of the tail alone): a loss is noisier early, when it is large, and
the whole curve's estimate also carries the curvature of its fast start. A
shorter tail gives too few second differences, and borrows the whole curve's."""

MIN_RELATIVE_CHANGE = 0.0025
"""A change over the tail under 0.25% of its level (of the error, for a metric judged by
its error) never counts as improving or worsening, however small the noise: a long
log's noise estimate can make 0.09% over the last quarter of training "significant"
(an audited SFT log), and float32 values wobble by parts in ten million; another
quarter of training would move such a curve by as little, which is a plateau in
every sense that matters (it still needs its interval inside the 2% band to be
called one). A steady fall of 0.1-0.2% at every evaluation clears it over a tail."""

PLATEAU_INTERVAL_LEVEL = 0.90
"""A plateau is shown, not assumed: the change's 90% interval must lie inside the
plateau band. This is Schuirmann's two one-sided tests (TOST) for equivalence at
the 5% level, the standard way to show that a difference is small rather than
failing to show that it is large."""

PLATEAU_EQUIVALENCE_Z = 1.6448536269514722
"""The standard normal quantile of a two-sided :data:`PLATEAU_INTERVAL_LEVEL`
interval (the 95th percentile): its half-width in standard errors."""

PLATEAU_RELATIVE_CHANGE = 0.02
"""The plateau band: a curve whose change over the last quarter of training is,
with its uncertainty, within 2% of its level (or two rounding steps of the log,
whichever is larger) has plateaued: another quarter would move it as little."""

MAX_TAIL_FRACTION = 0.5
"""A noisy curve's end window may grow from the last quarter up to the last half
of its points (see :data:`INFORMATIVE_MARGIN_SHARE`), never further: an earlier
stretch would mostly measure the fast start of training, not its end."""

INFORMATIVE_MARGIN_SHARE = 0.5
"""A window is informative about a plateau when its interval's half-width is at
most half the plateau band: then a truly flat curve (change ~ N(0, se)) is shown
flat whenever ``|change| <= band / 2``, at least 90% of the time. When the last
quarter's interval is wider and its verdict ``unclear``, a window of the size the
noise requires
(chosen from the noise and the band alone, never from the change, so it does not
fish for a verdict), up to :data:`MAX_TAIL_FRACTION`, is tested for a plateau
only; a curve still too noisy, or not flat over it, stays ``unclear``."""

TAIL_VERDICTS: tuple[str, ...] = ("still_improving", "getting_worse", "plateau", "unclear")
"""What :attr:`TailChange.verdict` can be."""


@dataclass(frozen=True)
class TailChange:
    """The change of a curve over its last stretch.

    ``first_mean``/``last_mean`` are the observed means of the first and last
    thirds of the tail (halves in the longer plateau window), ``k_end`` points
    each; ``change`` is ``last_mean - first_mean``; ``improvement`` the same signed so that
    positive means better (None when the direction is unknown); ``relative`` is
    ``change / |level|`` (None if 0); ``level`` is the tail's mean;
    ``standard_error`` the standard error of ``change`` given the curve's noise;
    ``resolution`` the log's rounding step (None at full precision);
    ``threshold`` what a change must exceed to count (the largest of
    :data:`TAIL_NOISE_MULTIPLIER` standard errors, one rounding step and
    :data:`MIN_RELATIVE_CHANGE` of the level) and
    ``band`` the plateau band.
    """

    n_points: int
    start_step: int
    end_step: int
    start_epoch: float | None
    end_epoch: float | None
    level: float
    first_mean: float
    last_mean: float
    k_end: int
    change: float
    improvement: float | None
    relative: float | None
    standard_error: float
    resolution: float | None
    threshold: float
    band: float
    error_based: bool = False

    @property
    def margin(self) -> float:
        """Half-width of the change's 90% interval (the plateau test), at least one
        rounding step of the log."""
        return max(PLATEAU_EQUIVALENCE_Z * self.standard_error, self.resolution or 0.0)

    @property
    def verdict(self) -> str:
        """How the curve ends, one of :data:`TAIL_VERDICTS`.

        ``still_improving`` / ``getting_worse``: the change exceeds ``threshold``
        in the good / bad direction (``unclear`` when the direction is unknown);
        ``plateau``: the change's interval (``change`` +- :attr:`margin`) lies
        within ``band`` (equivalence by two one-sided tests); ``unclear``
        otherwise (neither a change nor a plateau can be shown).
        """
        if abs(self.change) > self.threshold:
            if self.improvement is None:
                return "unclear"
            return "still_improving" if self.improvement > 0 else "getting_worse"
        if abs(self.change) + self.margin <= self.band:
            return "plateau"
        return "unclear"

    def evidence(self) -> dict[str, Any]:
        """The fields as a JSON-safe dict."""
        return {
            "tail_points": self.n_points, "tail_start_step": self.start_step,
            "tail_end_step": self.end_step, "tail_start_epoch": self.start_epoch,
            "tail_end_epoch": self.end_epoch, "tail_level": self.level,
            "tail_first_mean": self.first_mean, "tail_last_mean": self.last_mean,
            "tail_end_points": self.k_end, "tail_change": self.change,
            "tail_relative_change": self.relative,
            "tail_standard_error": self.standard_error, "resolution": self.resolution,
            "tail_threshold": self.threshold, "tail_band": self.band,
            "tail_margin": self.margin,
            "tail_band_of_error": self.error_based, "verdict": self.verdict,
            "steps": [self.start_step, self.end_step],
        }


def tail_change(
    frame: pd.DataFrame | None,
    *,
    higher_is_better: bool | None,
    bounds: tuple[float, float] | None = None,
) -> TailChange | None:
    """How much the last :data:`TAIL_FRACTION` of a curve's finite points (at least
    :data:`MIN_TAIL_POINTS`) changed: the mean of their last third minus the mean of
    their first third, with its standard error ``noise * sqrt(2 / k)`` for thirds
    of ``k`` points (the noise from :func:`~reportlib.analysis.noise.noise_scale`,
    of the tail itself from :data:`TAIL_OWN_NOISE_POINTS` points on). When that
    is ``unclear`` and its interval uninformative, a longer window (see
    :data:`INFORMATIVE_MARGIN_SHARE`) replaces it if it shows a plateau.

    For a higher-is-better metric nearer its ceiling than its floor (``bounds``:
    accuracy at 98.8%), the plateau band is a share of its error (ceiling -
    level), not of its level: 2% of 98.8 points would call every change of a
    near-perfect metric a plateau.

    Returns
    -------
    TailChange, or None with fewer than :data:`MIN_POINTS_FOR_END_VERDICT`
    finite points (or a tail logged at a single step).
    """
    rows = finite_rows(frame)
    n = len(rows)
    if n < MIN_POINTS_FOR_END_VERDICT:
        return None
    size = max(MIN_TAIL_POINTS, math.ceil(n * TAIL_FRACTION))
    tail = _tail_over(rows, size, higher_is_better=higher_is_better, bounds=bounds)
    if (tail is None or tail.verdict != "unclear"
            or tail.margin <= INFORMATIVE_MARGIN_SHARE * tail.band):
        return tail
    # Thirds of k points give a half-width z * noise * sqrt(2 / k): the k that
    # brings it to the informative share of the band, from this window's noise.
    noise = tail.standard_error / math.sqrt(2.0 / tail.k_end)
    needed = 2.0 * (PLATEAU_EQUIVALENCE_Z * noise / (INFORMATIVE_MARGIN_SHARE * tail.band)) ** 2
    if not math.isfinite(needed):  # values near the float limit: no window is informative
        return tail
    grown = min(2 * math.ceil(needed), math.floor(n * MAX_TAIL_FRACTION))
    longer = (_tail_over(rows, grown, higher_is_better=higher_is_better, bounds=bounds,
                         parts=2) if grown > size else None)
    # Only a plateau is read from the longer window: flat over the last half is flat
    # at the end, but a fall over the last half says little about the last quarter.
    return longer if longer is not None and longer.verdict == "plateau" else tail


def _tail_over(
    rows: pd.DataFrame,
    size: int,
    *,
    higher_is_better: bool | None,
    bounds: tuple[float, float] | None,
    parts: int = 3,
) -> TailChange | None:
    """The :class:`TailChange` over the last ``size`` finite rows (None at one step):
    the mean of its last ``1/parts`` minus that of its first. Thirds (the default)
    leave a gap that makes a trend stand out; halves (the plateau test of a longer
    window) give the difference of means its smallest standard error for the points
    there are, which is what an equivalence test needs."""
    tail = rows.iloc[-size:]
    x = tail["step"].to_numpy(dtype=float)
    y = tail["value"].to_numpy(dtype=float)
    if float(x[-1] - x[0]) == 0.0:
        return None
    k = max(1, size // parts)
    first_mean, last_mean = float(y[:k].mean()), float(y[-k:].mean())
    change = last_mean - first_mean
    all_values = rows["value"].to_numpy(dtype=float)
    noise = noise_scale(y if size >= TAIL_OWN_NOISE_POINTS else all_values) or 0.0
    step = resolution(all_values)
    standard_error = noise * math.sqrt(2.0 / k)
    level = float(y.mean())
    improvement = None if higher_is_better is None else (change if higher_is_better else -change)
    epochs = tail["epoch"].to_numpy(dtype=float)
    error_based = near_ceiling(all_values, bounds, higher_is_better)
    basis = bounds[1] - level if error_based and bounds is not None else level
    return TailChange(
        n_points=size, start_step=int(x[0]), end_step=int(x[-1]),
        start_epoch=finite_or_none(epochs[0]), end_epoch=finite_or_none(epochs[-1]),
        level=level, first_mean=first_mean, last_mean=last_mean, k_end=k,
        change=change, improvement=improvement,
        relative=change / abs(level) if level != 0 else None,
        standard_error=standard_error, resolution=step,
        threshold=max(TAIL_NOISE_MULTIPLIER * standard_error, step or 0.0,
                      MIN_RELATIVE_CHANGE * abs(basis)),
        # At least two rounding steps: with one, an interval of +- one step could never
        # lie inside it, and a loss printed at its floor (0.0008 to 4 decimals) that moves
        # by one step at most could never be a plateau.
        band=max(PLATEAU_RELATIVE_CHANGE * abs(basis), 2 * (step or 0.0)),
        error_based=error_based,
    )


def _went(tail: TailChange, unit: str) -> str:
    epochs = ""
    if tail.start_epoch is not None and tail.end_epoch is not None:
        epochs = f", epochs {format_epoch(tail.start_epoch)}-{format_epoch(tail.end_epoch)}"
    what = f"the mean of the first {tail.k_end} of them" if tail.k_end > 1 else "the first"
    last_what = f"the mean of the last {tail.k_end} of them" if tail.k_end > 1 else "the last"
    change = format_number(tail.change)
    if tail.relative is not None:
        change += f" ({format_percent(tail.relative, signed=True)} of the tail's mean)"
    return say("tail.went", first_mean=tail.first_mean,
               first_what=what, last_mean=tail.last_mean, last_what=last_what,
               n_text=plural(tail.n_points, unit),
               steps=f"steps {tail.start_step}-{tail.end_step}", epochs=epochs, change=change)


def detect_end_of_training(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
    unit: str = "point",
    advise: bool = False,
    blocked_by: str | None = None,
    bounds: tuple[float, float] | None = None,
) -> list[Finding]:
    """How a curve ends: plateaued, still improving, getting worse, or unclear.

    Parameters
    ----------
    frame:
        The curve (for a per-step training loss with a per-epoch mean in the same
        log, the caller passes the per-epoch curve).
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
    advise:
        Whether a ``still_improving`` verdict may advise training longer: only
        for the validation curves (a falling training loss alone says nothing
        about whether more training helps).
    blocked_by:
        Why no advice may be given although ``advise`` is set (overfitting,
        divergence, non-finite values elsewhere in the report), said in the sentence.
    bounds:
        The metric's ``(floor, ceiling)`` when it has one (see :func:`tail_change`).

    Returns
    -------
    At most one finding: ``plateau`` (info), ``still_improving`` (info),
    ``getting_worse`` (warning) or ``inconclusive`` (info). Below
    :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND` points, nothing: the
    ``too_few_points`` caveat speaks for the curve.
    """
    base = {"split": split, "metric": metric, "rule": "end_of_training",
            "parameters": {"tail_fraction": TAIL_FRACTION,
                           "noise_multiplier": TAIL_NOISE_MULTIPLIER,
                           "plateau_equivalence_z": PLATEAU_EQUIVALENCE_Z,
                           "plateau_relative_change": PLATEAU_RELATIVE_CHANGE}}
    tail = tail_change(frame, higher_is_better=higher_is_better, bounds=bounds)
    if tail is None:
        n = len(finite_rows(frame))
        if not MIN_POINTS_FOR_TREND <= n < MIN_POINTS_FOR_END_VERDICT:
            return []
        return [Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("tail.too_few", label=cap(label), n_text=plural(n, unit),
                needed=MIN_POINTS_FOR_END_VERDICT),
            {**base, "about": "end_of_training", "points": n,
             "needed": MIN_POINTS_FOR_END_VERDICT}, panel=panel)]
    went = _went(tail, unit)
    evidence: dict[str, Any] = {**base, **tail.evidence(), "advice": None}
    interval = f"{format_number(tail.change)} ± {format_number(tail.margin)}"
    basis = "error below its ceiling" if tail.error_based else "level"
    by_rounding = bool(tail.resolution) and tail.band == 2 * tail.resolution  # type: ignore[operator]
    band_words = dict(band=tail.band, level=format_percent(PLATEAU_INTERVAL_LEVEL),
                      band_percent=("two rounding steps of the log" if by_rounding else
                                    f"{format_percent(PLATEAU_RELATIVE_CHANGE)} of its {basis}"))
    verdict = tail.verdict
    if verdict == "still_improving":
        advice = blocked = ""
        if advise and blocked_by is None:
            advice, evidence["advice"] = say("advice.train_longer"), "train_longer"
        elif advise:
            blocked = say("advice.blocked", reason=blocked_by)
            evidence["advice_blocked_by"] = blocked_by
        return [Finding(FindingKind.STILL_IMPROVING, Severity.INFO,
                        say("tail.still_improving", label=cap(label), went=went,
                            threshold=tail.threshold, advice=advice, blocked=blocked),
                        evidence, panel=panel)]
    if verdict == "getting_worse":
        return [Finding(FindingKind.GETTING_WORSE, Severity.WARNING,
                        say("tail.getting_worse", label=cap(label), went=went,
                            threshold=tail.threshold),
                        evidence, panel=panel)]
    if verdict == "plateau":
        return [Finding(FindingKind.PLATEAU, Severity.INFO,
                        say("tail.plateau", label=cap(label), went=went, interval=interval,
                            **band_words),
                        evidence, panel=panel)]
    if abs(tail.change) > tail.threshold:  # a real change, of a metric of unknown direction
        return [Finding(FindingKind.INCONCLUSIVE, Severity.INFO,
                        say("tail.changing", label=cap(label), went=went,
                            threshold=tail.threshold,
                            way="rising" if tail.change > 0 else "falling"),
                        {**evidence, "about": "end_of_training", "reason": "direction_unknown"},
                        panel=panel)]
    return [Finding(FindingKind.INCONCLUSIVE, Severity.INFO,
                    say("tail.unclear", label_lower=label, went=went, threshold=tail.threshold,
                        interval=interval,
                        rounding=(" and the log's rounding"
                                  if tail.resolution and tail.threshold <= tail.resolution else ""),
                        **band_words),
                    {**evidence, "about": "end_of_training"}, panel=panel)]


__all__ = [
    "INFORMATIVE_MARGIN_SHARE",
    "MIN_RELATIVE_CHANGE",
    "MAX_TAIL_FRACTION",
    "MIN_POINTS_FOR_END_VERDICT",
    "MIN_TAIL_POINTS",
    "PLATEAU_EQUIVALENCE_Z",
    "PLATEAU_INTERVAL_LEVEL",
    "PLATEAU_RELATIVE_CHANGE",
    "TAIL_FRACTION",
    "TAIL_NOISE_MULTIPLIER",
    "TAIL_OWN_NOISE_POINTS",
    "TAIL_VERDICTS",
    "TailChange",
    "detect_end_of_training",
    "tail_change",
]
