"""Small helpers shared by the rule families: finite rows, epochs, training-loss levels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from reportlib.ingest.run_facts import positive_number


def finite_rows(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The finite rows of a curve frame, sorted by step, with a fresh index."""
    if frame is None or frame.empty:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "epoch": pd.Series(dtype=float),
                             "value": pd.Series(dtype=float)})
    rows = frame.loc[np.isfinite(frame["value"].to_numpy(dtype=float)), ["step", "epoch", "value"]]
    return rows.sort_values("step", kind="stable").reset_index(drop=True)


def finite_or_none(value: Any) -> float | None:
    """A logged value (an epoch, a level) as a float, or None when unknown (NaN, inf, None)."""
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def value_text(value: float) -> str:
    """A non-finite value as a JSON-safe string: ``"nan"``, ``"inf"`` or ``"-inf"``."""
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def train_levels_at_evals(train: pd.DataFrame, eval_steps: list[int]) -> list[float | None]:
    """The training loss at each evaluation step: the last one logged at or before it.

    A value a reader finds in the log (the evaluation table shows the same), not
    a median over an interval: when training loss falls fast between
    evaluations, an interval's median lags and can flip the sign of the gap's
    trend. None before the first. ``train`` is sorted finite rows. Binary
    search over the training steps: O((E + N) log N) for E evaluations and N
    training points.
    """
    if train.empty:
        return [None] * len(eval_steps)
    values = train["value"].to_numpy(dtype=float)
    ends = np.searchsorted(train["step"].to_numpy(), np.asarray(eval_steps), side="right")
    return [float(values[end - 1]) if end > 0 else None for end in ends.tolist()]


#: A positive finite number from run metadata, else None (ingest's one reading of a fact).
float_or_none = positive_number


def int_or_none(value: Any) -> int | None:
    """:func:`float_or_none` as an int."""
    x = float_or_none(value)
    return None if x is None else int(x)


def value_at_or_before(frame: pd.DataFrame | None, step: int) -> float | None:
    """The last finite value logged at or before ``step`` (the learning rate at that time)."""
    rows = finite_rows(frame)
    if rows.empty:
        return None
    i = int(np.searchsorted(rows["step"].to_numpy(), step, side="right"))
    return float(rows["value"].iloc[i - 1]) if i > 0 else None


__all__ = [
    "finite_or_none",
    "finite_rows",
    "float_or_none",
    "int_or_none",
    "train_levels_at_evals",
    "value_at_or_before",
    "value_text",
]
