"""Tests of reportlib.formatting: the number formatters shared by findings and the report."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reportlib.formatting import (
    format_epoch,
    format_number,
    format_percent,
    format_position,
    metric_display_name,
    plural,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (7.585, "7.58"),  # float 7.585 is 7.58499...: rounding follows the binary value
        (2.0, "2.00"),
        (12.34, "12.3"),
        (0.0123456, "0.0123"),
        (1234.5, "1234"),
        (-0.5, "-0.500"),
        (1.5e-05, "1.50e-05"),
        (0, "0"),
        (0.0, "0"),
        (600, "600"),
        (np.int64(600), "600"),
        (np.float32(0.25), "0.250"),
        (None, "n/a"),
        (math.nan, "NaN"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (-0.0001, "-1.00e-04"),
    ],
)
def test_format_number(value, text) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("fraction", "signed", "text"),
    [
        (0.301, False, "30.1%"),
        (0.25, False, "25%"),
        (-0.138, True, "-13.8%"),
        (0.5, True, "+50%"),
        (0.0, True, "0%"),
        (None, False, "n/a"),
        (math.inf, False, "inf"),
    ],
)
def test_format_percent(fraction, signed, text) -> None:
    assert format_percent(fraction, signed=signed) == text


@pytest.mark.parametrize(
    ("step", "epoch", "text"),
    [
        (570, 10.0, "step 570 (epoch 10)"),
        (570, 9.6491, "step 570 (epoch 9.65)"),
        (570, None, "step 570"),
        (570, math.nan, "step 570"),
        (None, 1.0, "an unknown step"),
    ],
)
def test_format_position(step, epoch, text) -> None:
    assert format_position(step, epoch) == text


def test_format_epoch_and_plural_and_names() -> None:
    assert (format_epoch(3.0), format_epoch(None), format_epoch(math.inf)) == ("3", "", "")
    assert (format_epoch(2.4561), format_epoch(0.18)) == ("2.46", "0.18")
    # two decimals never make an epoch whole that is not (audited logs: 0.00444, 2.9953)
    assert (format_epoch(0.0044444), format_epoch(2.9953)) == ("0.00444", "2.995")
    assert (plural(1, "evaluation"), plural(3, "evaluation")) == ("1 evaluation", "3 evaluations")
    assert plural(2, "index", "indices") == "2 indices"
    assert [metric_display_name(m) for m in ("chrf", "BLEU", "wer", "my_metric")] == [
        "chrF", "BLEU", "WER", "my_metric"]
