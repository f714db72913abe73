"""Tests of reportlib.ingest.predictions: finding prediction files and reading their names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportlib.errors import InputError, PredictionsError
from reportlib.ingest.predictions import discover_predictions, parse_prediction_name


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
        ("000630.jsonl", ("step", 630)),  # DESIGN.md: predictions/<step>.jsonl
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
