"""Number and name formatting shared by the analysis (finding messages) and the presentation.

Every number that appears in a sentence of the report goes through these
functions, so the same value reads the same everywhere (narrative, tables,
``summary.json`` messages). They return plain text; escaping for Markdown or
HTML is the presentation layer's job.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from reportlib.metrics import display_name

#: Significant digits shown for a value in a sentence: enough to tell 2.31 from
#: 2.35 (losses differ in the second decimal), few enough to read aloud.
SIGNIFICANT_DIGITS = 3

#: Values of 10**LARGE_MAGNITUDE or more are written in scientific notation
#: (``"1.00e+308"``): written out they are a wall of digits, mostly float noise
#: past the 16th, that no reader counts (a diverged loss reaches 1e+308).
LARGE_MAGNITUDE = 15

def metric_display_name(metric: str) -> str:
    """How a normalised metric name is written for people (``"chrf"`` -> ``"chrF"``).

    Unknown names are returned as they are (the caller escapes them for output).
    """
    return display_name(metric)


def format_number(value: float | int | None, *, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A value in a sentence: ``digits`` significant digits, no scientific notation
    between 0.001 and 10**digits.

    ``None`` gives ``"n/a"``; NaN gives ``"NaN"``, infinities ``"inf"``/``"-inf"``.
    Integers are written in full (``600``). Large values get no decimals
    (``1234.5`` -> ``"1235"``); tiny ones and those from 10**15 up use scientific
    notation (``"1.5e-05"``, ``"1.00e+308"``).
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude < -3 or magnitude >= LARGE_MAGNITUDE:
        return f"{x:.{max(digits - 1, 0)}e}"
    decimals = max(0, digits - 1 - magnitude)
    text = f"{x:.{decimals}f}"
    if text in ("-0", "-0.0"):
        text = text[1:]
    return text


def format_percent(fraction: float | None, *, signed: bool = False) -> str:
    """A fraction as a percentage (``0.301`` -> ``"30.1%"``; ``signed`` adds ``+``).

    ``None`` gives ``"n/a"``.
    """
    if fraction is None:
        return "n/a"
    x = float(fraction)
    if not math.isfinite(x):
        return format_number(x)
    text = format_number(x * 100.0)
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    text += "%"
    if signed and x > 0:
        text = "+" + text
    return text


def format_epoch(epoch: float | None) -> str:
    """An epoch as people write it: ``3.0`` -> ``"3"``, ``2.4561`` -> ``"2.46"``, unknown -> ``""``.

    Two decimals, unless they would turn an epoch into one it is not: ``0.00444``
    stays ``"0.00444"`` (not ``"0"``) and ``2.9953`` is ``"2.995"`` (not ``"3"``),
    three significant digits then (at least one more decimal).
    """
    if epoch is None:
        return ""
    x = float(epoch)
    if not math.isfinite(x):
        return ""
    short = round(x, 2)
    if short == round(short) and abs(x - short) > 1e-6:  # 2 decimals would make it whole
        digits = max(3, len(str(int(abs(x)))) + 3) if abs(x) >= 1 else 3
        return f"{x:.{digits}g}"
    return f"{short:g}"


def format_position(step: int | None, epoch: float | None = None) -> str:
    """Where a value was logged: ``"step 570 (epoch 10)"``, or ``"step 570"`` without an epoch."""
    if step is None:
        return "an unknown step"
    where = f"step {int(step)}"
    shown = format_epoch(epoch)
    if shown:
        where += f" (epoch {shown})"
    return where


def step_range(steps: Iterable[int]) -> str:
    """``"step 7"`` or ``"steps 3-9"``: the span of some logged steps."""
    values = [int(step) for step in steps]
    low, high = min(values), max(values)
    return f"step {low}" if low == high else f"steps {low}-{high}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 evaluation"``, ``"3 evaluations"``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


__all__ = [
    "SIGNIFICANT_DIGITS",
    "format_epoch",
    "format_number",
    "format_percent",
    "format_position",
    "metric_display_name",
    "plural",
    "step_range",
]
