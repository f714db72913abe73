"""Tests of reportlib.summary: the summary.json contract.

All runs here are generated test data built with reportlib.run.make_scalars.
"""

from __future__ import annotations

import datetime
import json
import math
from enum import Enum
from pathlib import Path

import numpy as np
import pytest

import reportlib
from reportlib.analysis import FindingKind, analyze_run
from reportlib.errors import ParameterError
from reportlib.run import Run, make_scalars
from reportlib.summary import CURVE_FIELDS, SCHEMA_VERSION, build_summary, json_safe, summary_json

NAN = math.nan


def synthetic_run(train, val, chrf, *, meta=None, warnings=()) -> Run:
    """Generated test data: training loss every 10 steps, evaluations every 50."""
    rows = [dict(step=(i + 1) * 10, epoch=(i + 1) / 5, split="train", metric="loss", value=v,
                 source_key="loss") for i, v in enumerate(train)]
    for name, values in (("loss", val), ("chrf", chrf)):
        rows += [dict(step=(i + 1) * 50, epoch=float(i + 1), split="eval", metric=name, value=v,
                      source_key=f"eval_{name}") for i, v in enumerate(values)]
    return Run(name="synthetic", path=Path("runs/synthetic"), format="hf_trainer",
               scalars=make_scalars(rows), meta=dict(meta or {}), warnings=list(warnings))


OVERFIT = dict(
    train=list(np.linspace(4.0, 0.5, 60)),
    val=[3.0, 2.5, 2.2, 2.05, 2.0, 2.03, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6],
    chrf=[3.0, 5.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 12.5, 13.0, 13.2, 13.1],
)


def loads_strict(text: str):
    """json.loads that refuses NaN/Infinity, as strict consumers do."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_summary_contract_keys() -> None:
    run = synthetic_run(**OVERFIT, meta={"title": "t", "dataset": {"train_size": 60}})
    data = loads_strict(summary_json(run, analyze_run(run)))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["reportlib_version"] == reportlib.__version__
    assert data["run"] == {"name": "synthetic", "path": str(Path("runs/synthetic")),
                           "format": "hf_trainer", "title": "t",
                           "meta": {"title": "t", "dataset": {"train_size": 60}}}
    assert [(c["split"], c["metric"]) for c in data["curves"]] == [
        ("train", "loss"), ("eval", "chrf"), ("eval", "loss")]
    assert all(list(c) == list(CURVE_FIELDS) for c in data["curves"])
    val = next(c for c in data["curves"] if (c["split"], c["metric"]) == ("eval", "loss"))
    assert (val["points"], val["first"], val["last"], val["best"], val["best_step"],
            val["best_epoch"]) == (12, 3.0, 2.6, 2.0, 250, 5.0)
    assert data["best_checkpoint"]["step"] == 250 and data["best_checkpoint"]["by"] == "eval_loss"
    assert data["best_checkpoint"]["by_metric"]["step"] == 550
    assert data["best_checkpoint"]["agree"] is False
    kinds = {f["kind"] for f in data["findings"]}
    assert {"overfitting", "metric_disagrees_with_loss", "small_dataset"} <= kinds
    for finding in data["findings"]:
        assert set(finding) == {"kind", "severity", "panel", "message", "evidence"}
        assert finding["severity"] in ("info", "warning", "critical")
        assert finding["kind"] in {k.value for k in FindingKind}
    counts = data["severity_counts"]
    assert sum(counts.values()) == len(data["findings"])
    assert data["panels"]["eval_metric"] == {"split": "eval", "metric": "chrf"}
    assert data["eval_metric"] == {"metric": "chrf", "name": "chrF"}


def test_summary_has_no_nan_and_keeps_non_finite_facts_in_findings() -> None:
    train = [4.0, 3.0, NAN, 2.5, math.inf, 2.0]
    run = synthetic_run(train, [3.0, NAN], [], meta={"weird": np.float32(NAN)})
    text = summary_json(run, analyze_run(run))
    data = loads_strict(text)  # would raise on a bare NaN or Infinity
    assert data["run"]["meta"]["weird"] is None
    non_finite = [f for f in data["findings"] if f["kind"] == "non_finite"]
    by_curve = {(f["evidence"]["split"], f["evidence"]["metric"]): f["evidence"]
                for f in non_finite}
    assert by_curve[("train", "loss")]["steps"] == [30, 50]
    assert by_curve[("train", "loss")]["values"] == ["nan", "inf"]
    assert by_curve[("eval", "loss")]["diverged"] is True


def test_summary_extra_keys() -> None:
    run = synthetic_run(**OVERFIT)
    data = build_summary(run, analyze_run(run),
                         extra={"provenance": {"sha256": "ab", "when": datetime.date(2025, 1, 2)}})
    assert data["provenance"] == {"sha256": "ab", "when": "2025-01-02"}


@pytest.mark.parametrize("key", ["findings", "run", "reportlib_version"])
def test_summary_extra_cannot_replace_contract_keys(key: str) -> None:
    run = synthetic_run(**OVERFIT)
    with pytest.raises(ParameterError, match=f"extra key '{key}' would replace"):
        summary_json(run, analyze_run(run), extra={key: 1})


def test_summary_of_an_empty_run() -> None:
    run = synthetic_run([], [], [])
    data = loads_strict(summary_json(run, analyze_run(run)))
    assert data["curves"] == [] and data["best_checkpoint"] is None
    assert data["panels"] == {"train_loss": None, "val_loss": None, "eval_metric": None}
    assert [f["kind"] for f in data["findings"]][:3] == ["no_data"] * 3


class Colour(Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.float32(0.5), 0.5),
        (np.bool_(True), True),
        (math.inf, None),
        (-math.inf, None),
        (NAN, None),
        ((1, NAN), [1, None]),
        ({1: {"a": np.arange(2)}}, {"1": {"a": [0, 1]}}),
        ({"b", "a"}, ["a", "b"]),
        (Path("x/y"), str(Path("x/y"))),
        (Colour.RED, "red"),
        (datetime.datetime(2025, 1, 2, 3, 4, 5), "2025-01-02T03:04:05"),
        (object, str(object)),
    ],
)
def test_json_safe(value, expected) -> None:
    assert json_safe(value) == expected
    json.dumps(json_safe(value), allow_nan=False)
