"""Tests of reportlib.present.narrative: the written analysis for several run shapes.

All runs here are generated test data: synthetic curves built with
reportlib.run.make_scalars (seeded where random), not logs of real runs.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np
import pytest

from reportlib.analysis import (
    analyze_run,
    anomalies,
    caveats,
    checkpoints,
    end_of_training,
    generalization,
)
from reportlib.analysis import curves as curves_module
from reportlib.errors import ParameterError
from reportlib.present.narrative import escape_inline, render_narrative
from reportlib.run import Run, make_scalars

NAN = math.nan
STEPS_PER_EPOCH = 50
TRAIN_EVERY = 10


def synthetic_run(train=None, val=None, metric=None, *, metric_name="chrf", meta=None,
                  warnings=()) -> Run:
    """Generated test data: training loss every TRAIN_EVERY steps, one evaluation per
    epoch of STEPS_PER_EPOCH steps."""
    rows = []
    for i, value in enumerate(train or []):
        step = (i + 1) * TRAIN_EVERY
        rows.append(dict(step=step, epoch=step / STEPS_PER_EPOCH, split="train", metric="loss",
                         value=value, source_key="loss"))
    for name, values in (("loss", val or []), (metric_name, metric or [])):
        for i, value in enumerate(values):
            rows.append(dict(step=(i + 1) * STEPS_PER_EPOCH, epoch=float(i + 1), split="eval",
                             metric=name, value=value, source_key=f"eval_{name}"))
    return Run(name="synthetic", path=Path("synthetic"), format="synthetic",
               scalars=make_scalars(rows), meta=dict(meta or {}), warnings=list(warnings))


def falling(n: int, start: float, end: float) -> list[float]:
    return list(np.linspace(start, end, n))


def diverging_train() -> list[float]:
    """Generated test data: a falling loss with a spike at step 300, NaN from step 560 on."""
    values = falling(60, 4.0, 1.5)
    values[29] = 60.0
    values[55:] = [NAN] * 5
    return values


SHAPES = {
    "improving": synthetic_run(
        falling(50, 4.0, 1.5), [3.0, 2.6, 2.35, 2.2, 2.1, 2.02, 1.96, 1.91, 1.87, 1.84],
        [3.0, 5.0, 6.5, 7.8, 8.9, 9.8, 10.6, 11.3, 11.9, 12.4],
        meta={"dataset": {"train_size": 450}, "num_train_epochs": 10}),
    "plateaued": synthetic_run(
        [3.0, 2.0, 1.6, 1.5] + [1.45 + 0.001 * (i % 3) for i in range(56)],
        [3.0, 2.4, 2.1, 2.0, 1.99, 1.985, 1.98, 1.982, 1.979, 1.98, 1.981, 1.98]),
    "overfitting": synthetic_run(
        falling(60, 4.0, 0.5), [3.0, 2.5, 2.2, 2.05, 2.0, 2.03, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6],
        [3.0, 5.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 12.5, 13.0, 13.2, 13.1],
        meta={"dataset": {"train_size": 60}, "num_train_epochs": 12}),
    "diverged": synthetic_run(diverging_train(), [3.0, 2.6, 2.4, 2.3, 2.2, NAN]),
    "single_point": synthetic_run([2.5], [2.7], meta={"logging_steps": 10, "global_step": 600}),
    "empty": synthetic_run(),
}

HEADINGS = ["### Training loss", "### Validation loss", "### Validation chrF",
            "### Overall observations", "### Caveats"]


def sections(text: str) -> dict[str, str]:
    """The narrative's sections by heading."""
    parts = re.split(r"^### (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_sections_in_order(shape: str) -> None:
    text = render_narrative(analyze_run(SHAPES[shape]))
    found = [line for line in text.splitlines() if line.startswith("### ")]
    expected = list(HEADINGS)
    if shape in ("plateaued", "diverged", "single_point", "empty"):
        expected[2] = "### Validation metric"  # no chrF logged
    assert found == expected


@pytest.mark.parametrize(
    ("shape", "section", "phrases"),
    [
        ("improving", "Validation loss", ["went from 3.00 at step 50 (epoch 1) to 1.84 at step 500",
                                          "Its trend is decreasing", "still improving"]),
        ("improving", "Overall observations", ["No sign of overfitting", "move together"]),
        ("improving", "Caveats", ["450 examples"]),
        ("plateaued", "Validation loss", ["has plateaued"]),
        ("plateaued", "Training loss", ["has plateaued"]),
        ("overfitting", "Overall observations",
         ["**Warning:** The model is overfitting after step 250 (epoch 5)",
          "validation loss bottomed out at 2.00 there", "25%",
          "overfitting after step 250 (epoch 5)", "point at different checkpoints",
          "do not move together"]),
        ("overfitting", "Validation chrF", ["has plateaued"]),
        ("overfitting", "Validation loss", ["getting worse at the end",
                                            "Its best value was 2.00 at step 250 (epoch 5)"]),
        ("diverged", "Training loss", ["**Critical:**", "the run diverged", "from step 560",
                                       "1 spike: 60.0 at step 300 (epoch 6)"]),
        ("diverged", "Validation loss", ["**Critical:**", "NaN", "step 300"]),
        ("single_point", "Training loss", ["a single finite value: 2.50 at step 10"]),
        ("single_point", "Caveats", ["1 finite logged point over 600 steps (logging\\_steps=10)",
                                     "Validation loss has 1 finite evaluation over 600 steps",
                                     "too few to show a trend"]),
        ("single_point", "Overall observations",
         ["too few evaluations to tell whether the model overfits"]),
        ("empty", "Training loss", ["Training loss was not logged"]),
        ("empty", "Overall observations", ["Nothing to compare across curves"]),
    ],
)
def test_narrative_shapes(shape: str, section: str, phrases: list[str]) -> None:
    text = sections(render_narrative(analyze_run(SHAPES[shape])))[section]
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in {section}:\n{text}"


@pytest.mark.parametrize(
    ("shape", "absent"),
    [
        ("improving", ["overfitting after", "**Warning:**", "**Critical:**", "spike"]),
        ("overfitting", ["No sign of overfitting", "and validation loss move together"]),
        ("plateaued", ["still improving"]),
    ],
)
def test_narrative_does_not_claim_what_the_run_does_not_show(shape, absent) -> None:
    text = render_narrative(analyze_run(SHAPES[shape]))
    for phrase in absent:
        assert phrase not in text


def _numbers(value, out: set[float]) -> None:
    """Every number held anywhere in the analysis (and the rules' constants)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
        if math.isfinite(x):
            out.update({abs(x), abs(x) * 100})
        return
    if isinstance(value, dict):
        for v in value.values():
            _numbers(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _numbers(v, out)
    elif is_dataclass(value):
        for f in fields(value):
            _numbers(getattr(value, f.name), out)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_number_in_the_text_comes_from_the_analysis(shape: str) -> None:
    analysis = analyze_run(SHAPES[shape])
    allowed: set[float] = set()
    _numbers(list(analysis.curves.values()), allowed)
    _numbers([dict(f.evidence) for f in analysis.findings], allowed)
    _numbers(analysis.best_checkpoint, allowed)
    _numbers([analysis.n_evaluations, analysis.total_steps, analysis.epochs], allowed)
    for module in (anomalies, caveats, checkpoints, end_of_training, generalization,
                   curves_module):
        _numbers([v for k, v in vars(module).items() if k.isupper()], allowed)
    text = render_narrative(analysis)
    text = re.sub(r"^#+ .*$", "", text, flags=re.M)  # headings hold names, not numbers
    for token in re.findall(r"\d+(?:\.\d+)?(?:e[-+]\d+)?", text):
        x = float(token)
        if "e" in token:  # scientific: 3 significant digits
            ok = any(math.isclose(x, a, rel_tol=6e-3) for a in allowed)
        else:  # the displayed digits are the value rounded
            decimals = len(token.split(".")[1]) if "." in token else 0
            ok = any(abs(x - a) <= 0.5 * 10.0**-decimals + 1e-9 for a in allowed)
        assert ok, (
            f"{token} in the narrative of {shape!r} does not come from the analysis")


def test_untrusted_names_and_warnings_are_escaped() -> None:
    run = synthetic_run([3.0, 2.0, 1.5], [2.5, 2.2, 2.0], [1.0, 2.0, 3.0],
                        metric_name="<img src=x onerror=alert(1)>_*score*",
                        warnings=("- [click](javascript:alert(1)) <script>x</script> $a$",))
    text = render_narrative(analyze_run(run))
    assert "<img" not in text and "<script>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;\\_\\*score\\*" in text
    assert "- **Warning:** While reading the log: - \\[click\\](javascript:alert(1)) " \
           "&lt;script&gt;x&lt;/script&gt; \\$a\\$." in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("loss went from 2.31 to -0.5 (30%)", "loss went from 2.31 to -0.5 (30%)"),
        ("a_b*c`d[e]f|g~h#i$j\\k", "a\\_b\\*c\\`d\\[e\\]f\\|g\\~h\\#i\\$j\\\\k"),
        ("1. not a list", "1\\. not a list"),
        ("> not a quote", "&gt; not a quote"),
        ("+ not a list", "\\+ not a list"),
        ("two\nlines  here", "two lines here"),
        ("a & b <c>", "a &amp; b &lt;c&gt;"),
    ],
)
def test_escape_inline(raw: str, escaped: str) -> None:
    assert escape_inline(raw) == escaped


def test_heading_level() -> None:
    text = render_narrative(analyze_run(SHAPES["improving"]), heading_level=2)
    assert text.startswith("## Training loss\n")


@pytest.mark.parametrize("level", [0, 7, 2.0, True])
def test_heading_level_is_checked(level) -> None:
    with pytest.raises(ParameterError, match="heading_level must be an integer from 1 to 6"):
        render_narrative(analyze_run(SHAPES["empty"]), heading_level=level)


def test_huge_relative_changes_are_not_written_as_percentages() -> None:
    run = synthetic_run([], [3.0, 2.9, 2.8], [0.03, 5.0, 10.0])
    text = sections(render_narrative(analyze_run(run)))["Validation chrF"]
    assert "went from 0.0300 at step 50 (epoch 1) to 10.0 at step 150 (epoch 3), over" in text
    assert "%" not in text.split("\n\n")[1]


def test_every_trend_value_has_words() -> None:
    from reportlib.analysis.curves import TREND_VALUES
    from reportlib.present.narrative import TREND_WORDS

    assert set(TREND_WORDS) == set(TREND_VALUES)
