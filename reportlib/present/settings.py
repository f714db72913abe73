"""Drawing settings: how curves are drawn, never what the analysis concludes.

Kept apart from :mod:`reportlib.present.figures` so the CLI and the build can
read the defaults without importing matplotlib. Smoothing is a drawing setting
only: the analysis (:func:`reportlib.analyze`) never sees it.
"""

from __future__ import annotations

from reportlib.errors import ParameterError

DEFAULT_SMOOTHING = 0.6
"""TensorBoard's default smoothing weight (its slider's default): curves look as there."""


def check_smoothing(smoothing: object) -> float:
    """``smoothing`` as a float, after checking it is a number in [0, 1).

    Raises
    ------
    reportlib.errors.ParameterError
        It is not a number, or not in [0, 1).
    """
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) \
            or not 0.0 <= float(smoothing) < 1.0:
        raise ParameterError(
            f"smoothing must be a number in [0, 1), got {smoothing!r}",
            hint="use 0 for no smoothing and 0.6 for TensorBoard's default",
        )
    return float(smoothing)


__all__ = ["DEFAULT_SMOOTHING", "check_smoothing"]
