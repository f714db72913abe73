"""Tests of the broken-objective finding (reportlib.analysis.objective).

Curves are GENERATED here with reportlib.run.make_scalars, or read from the
generated Keras logs of tests/data/make_issue15_cases.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from reportlib.analysis import FindingKind, Severity, analyze_run
from reportlib.analysis.objective import LATE_GROWTH, MIN_CONSTANT_POINTS, NEGATIVE_GROWTH
from reportlib.ingest import load_run
from reportlib.run import Run, make_scalars

KERAS = Path(__file__).parent / "data" / "keras"


def run_of(train: list[float], val: list[float] | None = None,
           accuracy: list[float] | None = None) -> Run:
    rows = [{"step": i + 1, "split": "train", "metric": "loss", "value": v, "source_key": "loss"}
            for i, v in enumerate(train)]
    for name, split, metric, values in (("val_loss", "eval", "loss", val),
                                        ("accuracy", "train", "accuracy", accuracy)):
        rows += [{"step": i + 1, "split": split, "metric": metric, "value": v,
                  "source_key": name} for i, v in enumerate(values or [])]
    return Run(name="generated", path=Path("generated"), format="test", scalars=make_scalars(rows))


def broken(run: Run) -> list:
    return [f for f in analyze_run(run).findings if f.kind is FindingKind.BROKEN_OBJECTIVE]


def test_negative_and_growing_loss_is_broken_and_its_trend_claims_go() -> None:
    run = load_run(KERAS / "generated_negative_loss")
    analysis = analyze_run(run)
    found = [f for f in analysis.findings if f.kind is FindingKind.BROKEN_OBJECTIVE]
    assert {(f.evidence["split"], f.evidence["pattern"]) for f in found} == {
        ("train", "unbounded_below"), ("eval", "unbounded_below")}
    train = next(f for f in found if f.evidence["split"] == "train")
    values = run.series("train", "loss")["value"].tolist()
    assert train.severity is Severity.CRITICAL
    assert train.evidence["first_negative"] == values[0]
    assert train.evidence["last"] == values[-1]
    assert train.evidence["growth"] == pytest.approx(values[-1] / values[0])
    claims = {FindingKind.STILL_IMPROVING, FindingKind.NO_OVERFITTING, FindingKind.OVERFITTING,
              FindingKind.TRAIN_VAL_GAP, FindingKind.BEST_CHECKPOINT}
    assert not [f for f in analysis.findings if f.kind in claims]


@pytest.mark.parametrize(
    ("curve", "is_broken"),
    [
        # generated: a converging Gaussian NLL goes negative and levels off: not broken
        ([1.0, 0.2, -0.5, -1.0, -1.3, -1.45, -1.5, -1.52, -1.53], False),
        # grows NEGATIVE_GROWTH-fold but levelled off over the last half: not broken
        ([-0.01, -0.5, -0.9, -1.0, -1.0, -1.0, -1.0], False),
        # negative, still doubling: broken
        ([-0.01 * 2**i for i in range(12)], True),
        # linear descent to minus infinity from near zero: broken
        ([0.5, -0.01, -0.5, -1.0, -1.5, -2.0, -2.5, -3.0], True),
        # too few negative points to call
        ([1.0, 0.5, -0.01, -10.0], False),
    ],
)
def test_unbounded_below_pattern(curve: list[float], is_broken: bool) -> None:
    assert bool(broken(run_of(curve))) is is_broken


def test_thresholds_are_what_the_pattern_says() -> None:
    assert NEGATIVE_GROWTH >= 10 and LATE_GROWTH > 1


def test_constant_loss_at_ln_classes_with_accuracy_at_chance() -> None:
    run = load_run(KERAS / "generated_constant_loss")
    found = broken(run)
    assert {f.evidence["split"] for f in found} == {"train", "eval"}
    train = next(f for f in found if f.evidence["split"] == "train")
    logged = run.series("train", "loss")["value"].iloc[0]
    assert train.evidence["classes"] == round(math.exp(logged))
    assert f"{logged:g}" in train.message and f"ln({train.evidence['classes']})" in train.message
    assert "chance for 10 classes" in train.message


@pytest.mark.parametrize(
    ("curve", "is_broken"),
    [
        ([0.7] * MIN_CONSTANT_POINTS, True),
        ([0.7] * (MIN_CONSTANT_POINTS - 1), False),  # too few to tell from a plateau
        ([0.7] * MIN_CONSTANT_POINTS + [0.69], False),
        ([math.nan] * MIN_CONSTANT_POINTS, False),  # non-finite has its own finding
    ],
)
def test_constant_pattern(curve: list[float], is_broken: bool) -> None:
    found = broken(run_of(curve))
    assert bool(found) is is_broken
    if found:
        assert "classes" not in found[0].evidence  # 0.7 is ln(2.01...): no whole class count


def test_healthy_run_has_no_broken_objective() -> None:
    run = load_run(KERAS / "generated_semicolon_title")
    assert not broken(run)
    assert any(f.kind is FindingKind.STILL_IMPROVING for f in analyze_run(run).findings)


def test_no_later_finding_is_worded_on_a_claim_the_broken_loss_drops() -> None:
    """A constant loss at ln(10) over 2 epochs: the plateau claim goes, and the few-epochs
    caveat must not say the curves 'show' something (its wording read that plateau)."""
    rows = [{"step": s * 10, "epoch": s / 20, "split": "train", "metric": "loss",
             "value": math.log(10), "wall_time": math.nan, "source_key": "loss"}
            for s in range(1, 41)]
    run = Run(name="generated", path=Path("generated"), format="test",
              scalars=make_scalars(rows), meta={"epochs_run": 2.0})
    findings = analyze_run(run).findings
    kinds = [f.kind for f in findings]
    assert FindingKind.BROKEN_OBJECTIVE in kinds and FindingKind.PLATEAU not in kinds
    (few,) = [f for f in findings if f.kind is FindingKind.FEW_EPOCHS]
    assert "too short for a plateau or overfitting to show" in few.message
