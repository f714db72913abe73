"""Rule family: anomalies. Spikes, NaN / inf values, and divergence.

A *spike* is one isolated value far from its neighbours; a *divergence* is a
sustained stretch far above the curve's best level so far (a learning rate
too high for the model); NaN or inf is a run that broke. The log's rounding
step is the floor of the noise every rule here judges against.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from reportlib.analysis._common import finite_or_none, finite_rows, value_at_or_before, value_text
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.noise import MAD_TO_SIGMA, resolution
from reportlib.analysis.templates import (
    cap,
    format_number,
    format_percent,
    format_position,
    plural,
    ratio,
    say,
    step_list,
)

MIN_POINTS_FOR_SPIKES = 5
"""Fewer finite points than this and spikes are not looked for: a point needs
neighbours on both sides, and the noise estimate needs a few points."""

SPIKE_NEIGHBOURS = 2
"""A point is compared with the median of this many finite neighbours on each side:
two per side keeps one other spike from moving the baseline."""

SPIKE_NOISE_MULTIPLIER = 6.0
"""A spike departs from its neighbours' median by more than this many noise standard
deviations (the log's rounding step at least): far into the tail of Gaussian
noise, so noisy per-step losses do not flag a spike every few hundred points."""

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

DIVERGENCE_RATIO = 2.0
"""A loss diverges when its level climbs to at least twice its best level so far...
Averaged training losses do not double by noise once they have fallen; a
warm-up too hot takes them to several times their start (14x in issue 11)."""

DIVERGENCE_LOST_PROGRESS = 0.5
"""...and gives back at least half of what it had gained since its first logged
value (all of it when it never fell): a loss near zero that moves from 0.001
to 0.003 has tripled but lost nothing that matters."""

DIVERGENCE_MIN_POINTS = 3
"""...for at least three consecutive points; one or two points are a spike."""

DIVERGENCE_PARTLY_RECOVERED = 0.5
"""A diverged curve that did not come back "partly recovered" when it ended at or
below half its peak: it turned around, though not back to its best level."""

DIVERGENCE_LEVEL_WINDOW = 5
"""The level is a centred running median over five points, so the best level so
far is not one lucky batch and a two-point spike does not count as a level."""


def _local_noise(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Noise standard deviation around each point, from the kept points only.

    The second-difference estimate of :func:`~reportlib.analysis.noise.noise_scale`,
    taken as a rolling median over :data:`SPIKE_NOISE_WINDOW` points.
    """
    kept_positions = np.flatnonzero(keep)
    kept = values[keep]
    if kept.size < 3:
        return np.zeros(values.size)
    second = np.abs(kept[2:] - 2.0 * kept[1:-1] + kept[:-2]) / (MAD_TO_SIGMA * math.sqrt(6.0))
    rolling = pd.Series(second).rolling(SPIKE_NOISE_WINDOW, center=True, min_periods=1).median()
    per_kept = np.concatenate([[rolling.iloc[0]], rolling.to_numpy(), [rolling.iloc[-1]]])
    nearest = np.clip(np.searchsorted(kept_positions, np.arange(values.size)), 0, kept.size - 1)
    return per_kept[nearest]


def _row_nanmedian(rows: np.ndarray) -> np.ndarray:
    """The median of each row's finite entries (rows of a few neighbours, each with at
    least one): a sort per row, about ten times faster than ``np.nanmedian``."""
    ordered = np.sort(rows, axis=1)  # NaN sorts last
    count = np.sum(~np.isnan(rows), axis=1)
    index = np.arange(rows.shape[0])
    return (ordered[index, (count - 1) // 2] + ordered[index, count // 2]) / 2.0


SPIKE_MAX_SHARE = 0.01
"""More points than this share of a curve (and more than :data:`SPIKE_MAX_ISOLATED`)
six local noise deviations from their neighbours are not isolated spikes: Gaussian
noise puts one point in a billion there, a bad batch or a loss spike a handful in a
run, while a per-batch loss with heavy-tailed noise puts 6-14% of its points there
(two real Lightning MNIST logs). Said as such, as a note, not a warning listing a
sixth of the curve."""

SPIKE_MAX_ISOLATED = 3
"""...a curve of a few dozen points may still have this many real spikes."""

SPIKE_MONOTONE_REACH = 2
"""A point is not a spike when the values up to this many places on each side of it
(those that exist) rise or fall strictly through it: one place is too few (the first
of two spikes in a row lies between a low and a high value)."""


def _monotone_through(values: np.ndarray, reach: int) -> np.ndarray:
    """For each point: whether the values within ``reach`` places of it (at least one on
    each side) rise or fall strictly through it."""
    n = len(values)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    steps = np.diff(values)
    for sign in (steps > 0, steps < 0):
        # Point i sees steps i-reach .. i+reach-1; steps past either end count as agreeing.
        padded = np.concatenate((np.ones(reach, bool), sign, np.ones(reach - 1, bool)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach)
        out[1:n - 1] |= windows.all(axis=1)[1:n - 1]
    return out


def detect_spikes(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    higher_is_better: bool | None,
    exclude: Sequence[tuple[int, int]] = (),
) -> list[Finding]:
    """Isolated values far from their neighbours, in the bad direction.

    A finite point (any but the first) is a spike when the curve does not pass
    through it monotonically (:data:`SPIKE_MONOTONE_REACH`) and it departs from the
    baseline of its :data:`SPIKE_NEIGHBOURS` finite neighbours on each side by
    more than :data:`SPIKE_MIN_RELATIVE_JUMP` of that baseline and by more than
    :data:`SPIKE_NOISE_MULTIPLIER` times the local noise, never less than the
    log's rounding step (a loss logged to 4 decimals near 1e-4 moves by whole
    steps), upwards for a lower-is-better metric, downwards for a
    higher-is-better one, either way when the direction is unknown. Points in
    an ``exclude`` step range (a divergence, reported as such) are not spikes.

    Returns
    -------
    ``[spike finding]`` (warning) with ``steps``, ``epochs``, ``values`` and
    ``baselines`` in its evidence, or ``[]``.
    """
    rows = finite_rows(frame)
    n = len(rows)
    if n < MIN_POINTS_FOR_SPIKES:
        return []
    values = rows["value"].to_numpy(dtype=float)
    padded = np.concatenate([np.full(SPIKE_NEIGHBOURS, np.nan), values,
                             np.full(SPIKE_NEIGHBOURS, np.nan)])
    offsets = [o for o in range(-SPIKE_NEIGHBOURS, SPIKE_NEIGHBOURS + 1) if o != 0]
    neighbours = np.stack([padded[SPIKE_NEIGHBOURS + o: SPIKE_NEIGHBOURS + o + n]
                           for o in offsets], axis=1)
    median = _row_nanmedian(neighbours)
    mean = np.nanmean(neighbours, axis=1)
    # Each side on its own too: a point must stand out from the values before it and
    # from those after it. At a step in the level (the loss steps down at each epoch of
    # a multi-epoch fine-tune) the last point before the step is high only against the
    # side after it: that is the step, not a spike.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an edge point has one side
        before = np.nanmean(neighbours[:, :SPIKE_NEIGHBOURS], axis=1)
        after = np.nanmean(neighbours[:, SPIKE_NEIGHBOURS:], axis=1)
    # The baseline leans towards the spike's side: on a convex falling loss the
    # neighbours' mean lies above the point, their median may lie below it.
    if higher_is_better is True:
        baseline = np.fmin(np.minimum(median, mean), np.fmin(before, after))
        deviation = baseline - values
    elif higher_is_better is False:
        baseline = np.fmax(np.maximum(median, mean), np.fmax(before, after))
        deviation = values - baseline
    else:
        nearer_median = np.abs(values - median) <= np.abs(values - mean)
        baseline = np.where(nearer_median, median, mean)
        deviation = np.abs(values - baseline)
    passes = deviation > SPIKE_MIN_RELATIVE_JUMP * np.abs(baseline)
    # A point the curve passes through monotonically (a fast-rising start, 0.0005 ->
    # 0.0047 -> 0.037 -> 0.064) is on its way, not a spike, however far it is from
    # its neighbours' mean; two spikes in a row are not monotone with what follows.
    passes &= ~_monotone_through(values, SPIKE_MONOTONE_REACH)
    # The first point is skipped: a curve starts steeply, so it always stands out.
    passes[0] = False
    steps_all = rows["step"].to_numpy()
    for low, high in exclude:
        passes &= ~((steps_all >= low) & (steps_all <= high))
    candidates = [(int(i), float(baseline[i]), float(deviation[i]))
                  for i in np.flatnonzero(passes)]
    if not candidates:
        return []
    keep = np.ones(n, dtype=bool)
    keep[[i for i, _, _ in candidates]] = False
    floor = resolution(values) or 0.0
    local_noise = np.maximum(_local_noise(values, keep), floor)
    hits = [(i, b) for i, b, d in candidates if d > SPIKE_NOISE_MULTIPLIER * local_noise[i]]
    if not hits:
        return []
    steps = [int(steps_all[i]) for i, _ in hits]
    epochs = [finite_or_none(rows["epoch"].iloc[i]) for i, _ in hits]
    spike_values = [float(values[i]) for i, _ in hits]
    baselines = [b for _, b in hits]
    # The baseline is the higher (lower, for a higher-is-better metric) of the neighbours'
    # mean and median and of each side's mean: each side averages at most (least) that.
    bound = {True: "at least", False: "at most"}.get(higher_is_better, "about")
    parameters = {"neighbours": SPIKE_NEIGHBOURS, "noise_multiplier": SPIKE_NOISE_MULTIPLIER,
                  "min_relative_jump": SPIKE_MIN_RELATIVE_JUMP,
                  "noise_window": SPIKE_NOISE_WINDOW, "resolution": floor or None,
                  "max_share": SPIKE_MAX_SHARE, "max_isolated": SPIKE_MAX_ISOLATED}
    if len(hits) > max(SPIKE_MAX_ISOLATED, SPIKE_MAX_SHARE * n):
        worst = int(np.argmax([abs(v - b) for v, b in zip(spike_values, baselines,
                                                          strict=True)]))
        side = {True: "below", False: "above"}.get(higher_is_better, "away from")
        return [Finding(
            FindingKind.SPIKE, Severity.INFO,
            say("spike.heavy_tailed", label=cap(label), count=len(hits), n=n, side=side,
                share=format_percent(len(hits) / n), value=spike_values[worst],
                where=format_position(steps[worst], epochs[worst]),
                baseline=baselines[worst], bound=bound),
            {"split": split, "metric": metric, "rule": "spike", "heavy_tailed": True,
             "parameters": parameters, "steps": steps, "values": spike_values,
             "count": len(hits), "points": n},
            panel=panel,
        )]
    named = "; ".join(
        say("spike.item", value=v, where=format_position(s, e), baseline=b, bound=bound)
        for s, e, v, b in zip(steps[:MAX_LISTED], epochs, spike_values, baselines, strict=False)
    )
    more = len(hits) - MAX_LISTED
    if more > 0:
        named += f"; and {more} more"
    return [Finding(
        FindingKind.SPIKE, Severity.WARNING,
        say("spike", label=cap(label), count_text=plural(len(hits), "spike"), named=named),
        {"split": split, "metric": metric, "rule": "spike", "parameters": parameters,
         "steps": steps, "epochs": epochs, "values": spike_values, "baselines": baselines,
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
        The curve, which it is, how a sentence names it, where the finding goes.
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
    epochs = [finite_or_none(rows["epoch"].iloc[i]) for i in idx]
    texts = [value_text(float(values[i])) for i in idx]
    diverged = bool(bad[idx[0]:].all())
    kinds = ", ".join(sorted({"NaN" if t == "nan" else t for t in texts}))
    tail = ""
    if diverged and idx[0] == 0:
        tail = say("non_finite.none_finite")  # never finite: nothing diverged from anything
    elif diverged:
        # A loss that turns NaN for good is a diverged run; another value (COCO's AP of
        # small objects when the set has none) is only undefined from there on.
        key = "non_finite.diverged" if "loss" in metric else "non_finite.from"
        tail = say(key, where=format_position(steps[0], epochs[0]))
    return [Finding(
        FindingKind.NON_FINITE, Severity.CRITICAL if critical else Severity.WARNING,
        say("non_finite", label=cap(label), count_text=plural(len(steps), "non-finite value"),
            kinds=kinds, steps=step_list(steps[:MAX_LISTED], len(steps) - MAX_LISTED),
            tail=tail),
        {"split": split, "metric": metric, "rule": "non_finite", "steps": steps,
         "epochs": epochs, "values": texts, "count": len(steps), "points": len(values),
         "diverged": diverged},
        panel=panel,
    )]


def divergence_stretches(values: np.ndarray) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """The stretches where a loss's level is far above its best level so far.

    Returns ``(start, end, level, threshold)`` per stretch of at least
    :data:`DIVERGENCE_MIN_POINTS` consecutive points (``end`` inclusive); the
    level is the running median of :data:`DIVERGENCE_LEVEL_WINDOW` points and the
    threshold is what the level had to exceed at each point. Empty for losses
    that are not positive (the ratio has no meaning there).
    """
    if values.size < DIVERGENCE_MIN_POINTS + 2 or float(np.min(values)) <= 0.0:
        return []
    level = (pd.Series(values).rolling(DIVERGENCE_LEVEL_WINDOW, center=True, min_periods=1)
             .median().to_numpy())
    best_before = np.minimum.accumulate(np.concatenate([[level[0]], level[:-1]]))
    first = level[0]
    lost = (level - best_before) >= DIVERGENCE_LOST_PROGRESS * np.maximum(first - best_before, 0.0)
    threshold = DIVERGENCE_RATIO * best_before
    hot = ((level >= threshold) & lost).astype(np.int8)
    # Runs of consecutive hot points, found without a Python loop over the points.
    edges = np.diff(np.concatenate([[0], hot, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    stretches = [(int(i), int(j), level, threshold) for i, j in zip(starts, ends, strict=True)
                 if j - i + 1 >= DIVERGENCE_MIN_POINTS]
    return stretches


def detect_divergence(
    frame: pd.DataFrame | None,
    *,
    split: str,
    metric: str,
    label: str,
    panel: str,
    learning_rate: pd.DataFrame | None = None,
) -> list[Finding]:
    """Whether a loss diverged: a sustained climb far above its best level so far.

    The level (running median of :data:`DIVERGENCE_LEVEL_WINDOW` points) must
    reach :data:`DIVERGENCE_RATIO` times its lowest level before, give back at
    least :data:`DIVERGENCE_LOST_PROGRESS` of the progress made since the first
    point, for :data:`DIVERGENCE_MIN_POINTS` consecutive points. The largest
    such stretch is reported: where it started, its peak, the ratio of the
    peak to the running minimum and to the first value, whether the curve came
    back, and the learning rate at the start when the log has one.

    Returns
    -------
    ``[divergence finding]`` (critical when the curve ended at or above its first
    value, having lost all it had learnt; warning otherwise), or ``[]``.
    """
    rows = finite_rows(frame)
    values = rows["value"].to_numpy(dtype=float)
    stretches = divergence_stretches(values)
    if not stretches:
        return []
    start, end, level, threshold = max(stretches, key=lambda s: float(np.max(s[2][s[0]:s[1] + 1])))
    steps = rows["step"].to_numpy()
    epochs = rows["epoch"].to_numpy(dtype=float)
    peak_i = start + int(np.argmax(values[start:end + 1]))
    running_min = float(np.min(level[:start])) if start > 0 else float(level[0])
    peak = float(values[peak_i])
    first = float(values[0])
    recovered = end < values.size - 1
    lr = value_at_or_before(learning_rate, int(steps[start])) if learning_rate is not None else None
    where = lambda i: format_position(int(steps[i]), finite_or_none(epochs[i]))  # noqa: E731
    partly = bool(not recovered and values[-1] <= DIVERGENCE_PARTLY_RECOVERED * peak)
    if recovered:
        recovery = say("divergence.recovered", threshold=float(threshold[end + 1]),
                       where_end=where(end + 1), last=float(values[-1]),
                       ratio_last=ratio(float(values[-1]) / running_min))
    elif partly:
        recovery = say("divergence.partly_recovered", last=float(values[-1]),
                       where_last=where(-1), threshold=float(threshold[-1]))
    else:
        recovery = say("divergence.not_recovered", last=float(values[-1]), where_last=where(-1),
                       threshold=float(threshold[-1]))
    # Critical only when the run ended having lost everything it had learnt.
    critical = bool(not recovered and values[-1] >= first)
    ratio_first = (f" and {ratio(peak / first)} its first logged value ({format_number(first)})"
                   if first > 0 else "")
    lr_text = f"; the learning rate was {lr:.3g} when it began" if lr is not None else ""
    # A slow climb: the level was already above twice its best before it gave back half
    # of its progress (where the stretch starts); say since when, not only from where.
    since = start
    while since > 0 and level[since - 1] >= threshold[since - 1]:
        since -= 1
    climb = say("divergence.since", where_since=where(since), where_start=where(start)) \
        if since < start else ""
    return [Finding(
        FindingKind.DIVERGENCE, Severity.CRITICAL if critical else Severity.WARNING,
        say("divergence", label=cap(label), where_start=where(start), peak=peak,
            window=DIVERGENCE_LEVEL_WINDOW,
            where_peak=where(peak_i), ratio_min=ratio(peak / running_min),
            running_min=running_min, ratio_first=ratio_first,
            n_text=plural(end - start + 1, "logged point" if split == "train" else "evaluation"),
            lr=lr_text, recovery=recovery, climb=climb),
        {"split": split, "metric": metric, "rule": "divergence",
         "parameters": {"ratio": DIVERGENCE_RATIO, "lost_progress": DIVERGENCE_LOST_PROGRESS,
                        "min_points": DIVERGENCE_MIN_POINTS,
                        "level_window": DIVERGENCE_LEVEL_WINDOW},
         "steps": [int(steps[start]), int(steps[end])], "start_step": int(steps[start]),
         "end_step": int(steps[end]), "peak_value": peak, "peak_step": int(steps[peak_i]),
         "running_min": running_min, "first_value": first,
         "ratio_to_running_min": peak / running_min,
         "ratio_to_first": peak / first if first > 0 else None,
         "recovered": recovered,
         "partly_recovered": partly,
         "last_value": float(values[-1]), "learning_rate": lr,
         "points": end - start + 1, "above_twice_since_step": int(steps[since])},
        panel=panel,
    )]


__all__ = [
    "DIVERGENCE_LEVEL_WINDOW",
    "DIVERGENCE_LOST_PROGRESS",
    "DIVERGENCE_MIN_POINTS",
    "DIVERGENCE_PARTLY_RECOVERED",
    "DIVERGENCE_RATIO",
    "MAX_LISTED",
    "MIN_POINTS_FOR_SPIKES",
    "SPIKE_MIN_RELATIVE_JUMP",
    "SPIKE_NEIGHBOURS",
    "SPIKE_NOISE_MULTIPLIER",
    "SPIKE_NOISE_WINDOW",
    "detect_divergence",
    "detect_non_finite",
    "detect_spikes",
    "divergence_stretches",
]
