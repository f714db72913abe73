"""Tests of reportlib.ingest.predictions: finding prediction files and reading their names."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportlib.errors import InputError, PredictionsError
from reportlib.ingest import load_run
from reportlib.ingest.predictions import (
    discover_predictions,
    parse_prediction_name,
    place_epoch_predictions,
)
from reportlib.run import make_scalars


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("step-000630.jsonl", ("step", 630)),
        ("step_630.jsonl", ("step", 630)),
        ("step630.jsonl", ("step", 630)),
        ("STEP-0.jsonl", ("step", 0)),
        ("steps-12.jsonl", ("step", 12)),
        ("global_step-40.jsonl", ("step", 40)),
        ("checkpoint-630.jsonl", ("step", 630)),
        ("ckpt_5.jsonl", ("step", 5)),
        ("000630.jsonl", ("step", 630)),  # docs/architecture.md: predictions/<step>.jsonl
        ("epoch-03.jsonl", ("epoch", 3)),
        ("Epoch_10.jsonl", ("epoch", 10)),
        ("epochs-1.jsonl", ("epoch", 1)),
        ("final.jsonl", None),
        ("best.jsonl", None),
        ("step-.jsonl", None),
        ("step-1.5.jsonl", None),
        ("preds-step-630.jsonl", None),
        ("step-630-beam4.jsonl", None),
    ],
)
def test_parse_prediction_name(name: str, expected) -> None:
    assert parse_prediction_name(Path("predictions") / name) == expected


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["step", "epoch"]))
def test_zero_padded_names_round_trip(number: int, kind: str) -> None:
    width = 6 if kind == "step" else 2
    assert parse_prediction_name(Path(f"{kind}-{number:0{width}d}.jsonl")) == (kind, number)


def make_folder(tmp_path: Path, names: list[str], *, references: bool = True) -> Path:
    if references:
        (tmp_path / "references.jsonl").write_text('{"id": 1, "prompt": "p", "reference": "r"}\n')
    if names:
        (tmp_path / "predictions").mkdir()
    for name in names:
        (tmp_path / "predictions" / name).write_text('{"id": 1, "prediction": "r"}\n')
    return tmp_path


@pytest.mark.parametrize(
    ("names", "keyed_by", "keys"),
    [
        (["step-000630.jsonl", "step-000063.jsonl", "step-001260.jsonl"], "step", [63, 630, 1260]),
        # 500 sorts after 2000 as text: keys must be in numeric order.
        (
            ["checkpoint-500.jsonl", "checkpoint-2000.jsonl", "checkpoint-1000.jsonl"],
            "step",
            [500, 1000, 2000],
        ),
        (["step-10.jsonl", "checkpoint-20.jsonl", "30.jsonl"], "step", [10, 20, 30]),
        (["epoch-03.jsonl", "epoch-01.jsonl", "epoch-10.jsonl"], "epoch", [1, 3, 10]),
    ],
)
def test_discover_maps_checkpoints_to_files(
    tmp_path: Path, names: list[str], keyed_by: str, keys: list[int]
) -> None:
    warnings: list[str] = []
    found = discover_predictions(make_folder(tmp_path, names), warnings)
    assert found is not None
    assert found.keyed_by == keyed_by
    assert list(found.checkpoints) == keys
    assert found.references_path == tmp_path / "references.jsonl"
    for key, path in found.checkpoints.items():
        assert parse_prediction_name(path) == (keyed_by, key)
        assert path.parent == tmp_path / "predictions"
    assert warnings == []


def test_other_files_in_predictions_are_ignored(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, ["step-10.jsonl", "README.md", "step-20.json", ".step-30.jsonl"])
    (folder / "predictions" / "step-40.jsonl.d").mkdir()
    warnings: list[str] = []
    found = discover_predictions(folder, warnings)
    assert found is not None and list(found.checkpoints) == [10]
    assert warnings == []


def test_names_without_a_number_are_skipped_with_a_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    found = discover_predictions(make_folder(tmp_path, ["step-10.jsonl", "final.jsonl"]), warnings)
    assert found is not None and list(found.checkpoints) == [10]
    assert warnings == [
        "1 prediction file(s) skipped: no step or epoch number in the name (final.jsonl); "
        "name them like step-000630.jsonl or epoch-03.jsonl"
    ]


def test_only_unnamed_files_give_none(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert discover_predictions(make_folder(tmp_path, ["best.jsonl"]), warnings) is None
    assert len(warnings) == 1 and "best.jsonl" in warnings[0]


@pytest.mark.parametrize(
    ("names", "references", "warning"),
    [
        ([], False, None),
        ([], True, "references.jsonl is there but predictions/ holds no *.jsonl file"),
        (
            ["step-1.jsonl"],
            False,
            "predictions/ holds 1 prediction file(s) but references.jsonl is missing",
        ),
    ],
)
def test_half_present_convention_gives_none_and_says_so(
    tmp_path: Path, names: list[str], references: bool, warning: str | None
) -> None:
    warnings: list[str] = []
    assert (
        discover_predictions(make_folder(tmp_path, names, references=references), warnings) is None
    )
    if warning is None:
        assert warnings == []
    else:
        [got] = warnings
        assert got.startswith(warning)


def test_warnings_list_is_optional(tmp_path: Path) -> None:
    found = discover_predictions(make_folder(tmp_path, ["step-1.jsonl", "final.jsonl"]))
    assert found is not None and list(found.checkpoints) == [1]


@pytest.mark.parametrize(
    ("names", "match"),
    [
        (
            ["step-000630.jsonl", "epoch-03.jsonl"],
            r"predictions: some prediction files are named by step \(step-000630\.jsonl\) and "
            r"others by epoch \(epoch-03\.jsonl\)\. Name them all by step",
        ),
        (
            ["step-630.jsonl", "checkpoint-630.jsonl"],
            r"predictions: checkpoint-630\.jsonl and step-630\.jsonl both hold the predictions of "
            r"step 630\. Keep one file per checkpoint",
        ),
        (["epoch-3.jsonl", "epoch-03.jsonl"], r"epoch-03\.jsonl and epoch-3\.jsonl both hold"),
    ],
)
def test_contradicting_names_are_errors(tmp_path: Path, names: list[str], match: str) -> None:
    with pytest.raises(PredictionsError, match=match) as info:
        discover_predictions(make_folder(tmp_path, names))
    assert isinstance(info.value, InputError)
    assert "\n" not in str(info.value)


# --- epoch-named files placed at that epoch's evaluation (pattern 12) -------------------

def _evals(epochs: list[float], steps_per_epoch: int = 38) -> pd.DataFrame:
    """Eval-loss rows, the k-th (from 0) at step (k + 1) x steps_per_epoch, and train rows
    (within the first epoch: at its fractions, or, for whole-number epochs, at its number)."""
    rows = [{"step": (k + 1) * steps_per_epoch, "epoch": e, "split": "eval", "metric": "loss",
             "value": 1.0, "wall_time": math.nan, "source_key": "eval_loss"}
            for k, e in enumerate(epochs)]
    whole = bool(epochs) and all(float(e).is_integer() for e in epochs)
    rows += [{"step": s, "epoch": epochs[0] if whole else s / steps_per_epoch, "split": "train",
              "metric": "loss", "value": 2.0, "wall_time": math.nan, "source_key": "loss"}
             for s in (10, 20, 30)]
    return make_scalars(rows)


@pytest.mark.parametrize(
    ("epochs", "log_format", "files", "expected"),
    [
        # HF: the evaluation at the end of epoch k has epoch k.0 (steps 38, 76, 114)
        ([1.0, 2.0, 3.0], "hf_trainer", [1, 2, 3], {1: 38, 2: 76, 3: 114}),
        # the epoch-07 of the issue: the 7th evaluation, not step 7
        ([float(e) for e in range(1, 11)], "hf_trainer", [7], {7: 266}),
        # gradient accumulation: the last step of an epoch falls just short of its end
        ([0.9968, 1.9968], "hf_trainer", [1, 2], {1: 38, 2: 76}),
        # Lightning's epoch column counts from 0: epoch-01 is the row with epoch 0
        ([0.0, 1.0, 2.0], "lightning_csv", [1, 3], {1: 38, 3: 114}),
        # so does Keras' CSVLogger's, kept as logged; an ultralytics log from 1 does not
        ([0.0, 1.0, 2.0], "keras_csv", [1, 3], {1: 38, 3: 114}),
        ([1.0, 2.0, 3.0], "yolo", [1, 3], {1: 38, 3: 114}),
    ],
)
def test_epoch_named_files_take_their_evaluation_step(
    tmp_path: Path, epochs: list[float], log_format: str, files: list[int],
    expected: dict[int, int],
) -> None:
    names = [f"epoch-{k:02d}.jsonl" for k in files]
    found = discover_predictions(make_folder(tmp_path, names))
    scalars = _evals(epochs)
    warnings: list[str] = []
    placed = place_epoch_predictions(found, scalars, log_format, warnings)
    assert placed is not None and placed.keyed_by == "step"
    steps = {parse_prediction_name(path)[1]: step for step, path in placed.checkpoints.items()}
    assert steps == expected
    evals = scalars[scalars["split"] == "eval"]
    for epoch, step in steps.items():  # each step is an evaluation's, at that epoch's end
        row = evals[evals["step"] == step]
        origin = 1 if log_format in ("lightning_csv", "keras_csv") else 0
        assert round(float(row["epoch"].iloc[0])) + origin == epoch
    assert warnings == ["prediction files named by epoch were matched to the evaluation at the "
                        "end of that epoch (counted from 1): "
                        + ", ".join(f"epoch-{e:02d}.jsonl at step {s}" for e, s in steps.items())]


@pytest.mark.parametrize(
    ("epochs", "files", "kept", "warning"),
    [
        # epoch 5 was never evaluated (the run stopped after 3): left out, named
        ([1.0, 2.0, 3.0], [1, 5], {1: 38},
         r"^1 prediction file name an epoch the log has no evaluation for \(it evaluated at the "
         r"end of epoch 1, 2, 3\): epoch-05\.jsonl; left out, not guessed$"),
        # evaluation every N steps: which one is "epoch 2" is not known
        ([0.5, 1.0, 1.5, 2.0], [1, 2], None,
         r"^2 prediction files named by epoch, but the log does not evaluate exactly once"),
        # two evaluations in one epoch
        ([1.0, 1.015, 2.0], [1], None, r"does not evaluate exactly once at the end of each epoch"),
        # evaluations without an epoch
        ([math.nan, math.nan], [1], None, r"does not evaluate exactly once"),
    ],
)
def test_epoch_named_files_that_cannot_be_placed_are_left_out(
    tmp_path: Path, epochs: list[float], files: list[int], kept: dict[int, int] | None,
    warning: str,
) -> None:
    found = discover_predictions(make_folder(tmp_path, [f"epoch-{k:02d}.jsonl" for k in files]))
    warnings: list[str] = []
    placed = place_epoch_predictions(found, _evals(epochs), "hf_trainer", warnings)
    if kept is None:
        assert placed is None
    else:
        assert placed is not None
        assert {parse_prediction_name(p)[1]: s for s, p in placed.checkpoints.items()} == kept
    assert re.search(warning, warnings[0])


def test_step_named_files_and_logs_without_evaluations_are_kept(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    by_step = discover_predictions(make_folder(tmp_path / "a", ["step-10.jsonl"]))
    assert place_epoch_predictions(by_step, _evals([1.0]), "hf_trainer") is by_step
    by_epoch = discover_predictions(make_folder(tmp_path / "b", ["epoch-01.jsonl"]))
    no_evals = _evals([])
    assert place_epoch_predictions(by_epoch, no_evals, "hf_trainer") is by_epoch
    assert place_epoch_predictions(None, _evals([1.0]), "hf_trainer") is None


def test_load_run_places_epoch_files_of_an_hf_run(tmp_path: Path) -> None:
    """Regression (issue 11, pattern 12): epoch-07.jsonl was scored as step 7."""
    folder = make_folder(tmp_path, ["epoch-01.jsonl", "epoch-02.jsonl"])
    log = [{"epoch": 0.5, "loss": 2.0, "step": 19}, {"epoch": 1.0, "eval_loss": 1.5, "step": 38},
           {"epoch": 2.0, "eval_loss": 1.2, "step": 76}]
    (folder / "trainer_state.json").write_text(json.dumps(
        {"global_step": 76, "epoch": 2.0, "log_history": log}))
    run = load_run(folder)
    assert run.predictions is not None and run.predictions.keyed_by == "step"
    assert {s: p.name for s, p in run.predictions.checkpoints.items()} == {
        38: "epoch-01.jsonl", 76: "epoch-02.jsonl"}
