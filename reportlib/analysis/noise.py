"""How noisy a curve is, and how finely its log writes it.

:func:`noise_scale` estimates the point-to-point noise every rule judges a
change against; :func:`resolution` finds the log's rounding step, the floor
below which a difference is the log's, not the model's. Pure functions of an
array of values; NaN and inf are ignored.
"""

from __future__ import annotations

import math

import numpy as np

from reportlib.errors import ParameterError

MAX_DECIMALS = 10
"""The finest resolution looked for: a log that writes values to 10 decimals or
fewer has that resolution; finer values are taken as written at full precision."""

LATTICE_TOLERANCE = 1e-3
"""How far from a whole multiple of the lattice step a value may lie (in steps):
values stored as float32 (TensorBoard, Lightning) carry about 1e-7 of error."""

RESOLUTION_SAMPLE = 1000
""":func:`resolution` tries each number of decimals on the first 1,000 values before
all of them: on a million-point full-precision log it stops there."""

MAD_TO_SIGMA = 0.6744897501960817
"""Median absolute value of N(0, 1): divides a median absolute value into a
standard deviation for Gaussian noise."""

def as_float_array(values: object) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ParameterError(f"values must be one-dimensional, got an array of shape {array.shape}")
    return array


def noise_scale(values: object) -> float | None:
    """Estimated standard deviation of the point-to-point noise of a curve.

    Uses the second differences ``v[i+1] - 2 v[i] + v[i-1]`` of the finite
    values, which cancel a locally linear trend, so a steadily falling loss is
    not mistaken for noise. For independent Gaussian noise of standard
    deviation s they have standard deviation ``s * sqrt(6)``; the median of
    their absolute values, divided by 0.6745 and sqrt(6), estimates s robustly
    (one spike or the turn of a curve barely moves it). Curvature of the trend
    itself inflates the estimate, which makes the rules that use it cautious.
    When more than half the second differences are exactly 0 (a quantised metric
    that repeats its values) yet some are not, the mean absolute value is used
    instead, so such a curve does not read as noiseless.

    Parameters
    ----------
    values:
        The curve's values in step order (non-finite ones are ignored).

    Returns
    -------
    float, or None with fewer than 3 finite values.
    """
    data = as_float_array(values)
    finite = data[np.isfinite(data)]
    if finite.size < 3:
        return None
    # Work on values scaled to [-1, 1]: second differences of values near the
    # float limit (1e308) would overflow to inf and turn every verdict into noise.
    scale = float(np.max(np.abs(finite)))
    if scale == 0.0:
        return 0.0
    unit = finite / scale
    second = unit[2:] - 2.0 * unit[1:-1] + unit[:-2]
    with np.errstate(over="ignore"):
        robust = float(np.median(np.abs(second)))
        if robust == 0.0 and bool(np.any(second)):
            # A quantised metric (accuracy over a few hundred examples) repeats its
            # values, so most second differences are 0 and the median says "no
            # noise" although the curve moves; the mean absolute value, E|X| =
            # sigma * sqrt(2 / pi) for Gaussian noise, still sees the moves.
            return float(np.mean(np.abs(second)) * scale
                         / (math.sqrt(2.0 / math.pi) * math.sqrt(6.0)))
        return float(robust * scale / (MAD_TO_SIGMA * math.sqrt(6.0)))


def resolution(values: object) -> float | None:
    """The rounding step of a logged curve: ``1e-4`` when every value is written
    with at most 4 decimals; for a quantised metric that repeats its values
    (accuracy over 384 examples moves in steps of 1/384), the step of its
    lattice; None when the values carry full precision, none is finite, or every
    value is the same whole number (``0.0000`` printed at each evaluation).

    A loss logged to 4 decimals near 1e-4 moves by whole rounding steps; a
    difference of one step is the log's resolution, not a change of the model.
    """
    data = as_float_array(values)
    finite = data[np.isfinite(data)]
    if finite.size == 0 or float(np.max(np.abs(finite))) >= 1e6:
        return None
    if float(np.min(finite)) == float(np.max(finite)) and float(finite[0]).is_integer():
        return None  # one whole value (0 at every point) says nothing of the log's decimals
    head = finite[:RESOLUTION_SAMPLE]
    for decimals in range(MAX_DECIMALS + 1):
        # The first values rule most resolutions out cheaply; all values confirm.
        for part in (head, finite):
            scaled = part * 10.0**decimals
            if not bool(np.all(np.abs(scaled - np.round(scaled)) <= 1e-6)):
                break
        else:
            return 10.0**-decimals
    return _lattice_step(finite)


def _lattice_step(finite: np.ndarray) -> float | None:
    """The common step of a curve whose values repeat (at most half of them
    distinct) and all lie on one lattice ``v0 + k * step``; None otherwise."""
    distinct = np.unique(finite)
    if distinct.size < 2 or distinct.size > finite.size // 2:
        return None
    step = float(np.min(np.diff(distinct)))
    if step <= 0.0:
        return None
    # Refine the step on the whole span: one float32 gap is off by about 1e-5.
    step = float(distinct[-1] - distinct[0]) / round(float(distinct[-1] - distinct[0]) / step)
    multiples = (distinct - distinct[0]) / step
    on_lattice = bool(np.all(np.abs(multiples - np.round(multiples)) <= LATTICE_TOLERANCE))
    return step if on_lattice else None


__all__ = [
    "LATTICE_TOLERANCE",
    "MAD_TO_SIGMA",
    "MAX_DECIMALS",
    "RESOLUTION_SAMPLE",
    "as_float_array",
    "noise_scale",
    "resolution",
]
