"""Tests of Keras CSVLogger ingest, on the real training.log and made-up ones."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest import detect_format, keras_csv, load_run

DATA = Path(__file__).parent / "data" / "keras"
EMOTION = DATA / "keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log"


def logged(path: Path, name: str) -> list[float]:
    with open(path, newline="") as handle:
        return [float(row[name]) for row in csv.DictReader(handle) if row[name] not in ("", "NA")]


@pytest.mark.parametrize(
    ("split", "metric", "column"),
    [
        ("train", "loss", "loss"),
        ("train", "accuracy", "accuracy"),
        ("eval", "loss", "val_loss"),
        ("eval", "accuracy", "val_accuracy"),
    ],
)
def test_real_log(split: str, metric: str, column: str) -> None:
    run = load_run(EMOTION)
    assert run.format == "keras_csv"
    series = run.series(split, metric)
    assert series["value"].tolist() == logged(EMOTION, column)
    # 17 epochs numbered 0-16: steps are the epoch ranks 1-17, epochs as logged (what a
    # reader finds in the file), and 17 epochs run.
    assert series["step"].tolist() == list(range(1, 18))
    assert series["epoch"].tolist() == [float(e) for e in range(17)]
    assert run.meta["epochs_run"] == 17
    assert run.meta["sources"]["epochs_run"] == f"{EMOTION.name}: epochs 0-16, counted from 0"
    assert run.meta["step_unit"] == "epoch"
    assert run.warnings == []


def test_the_val_loss_spike_is_kept() -> None:
    """PROVENANCE.tsv: val_loss 7.417 at epoch 1 (0-based), an outlier, not dropped."""
    series = keras_csv.load(EMOTION).series("eval", "loss")
    assert series.loc[series["value"].idxmax(), "step"] == 2
    assert series["value"].max() == pytest.approx(7.41715145111084)


def test_na_cells_are_not_logged_values(tmp_path: Path) -> None:
    path = tmp_path / "training.log"
    path.write_text("epoch,loss,val_loss\n0,1.0,NA\n1,0.9,1.2\n2,0.8,NA\n3,nan,1.1\n")
    run = keras_csv.load(path)
    assert run.series("eval", "loss")[["step", "value"]].values.tolist() == [[2, 1.2], [4, 1.1]]
    assert len(run.series("train", "loss")) == 4  # the nan is a logged NaN


def test_history_dataframe_dump_with_an_unnamed_index(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(",loss,val_loss\n0,1.0,1.5\n1,0.8,1.4\n")
    assert detect_format(path) == "keras_csv"
    run = load_run(tmp_path)
    assert run.series("eval", "loss")["value"].tolist() == [1.5, 1.4]
    assert run.series("eval", "loss")["epoch"].tolist() == [0.0, 1.0]
    assert run.meta["epochs_run"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("epoch,loss\n0,1.0\n", "keras_csv"),
        ("epoch,step,loss\n0,1,1.0\n", "lightning_csv"),  # a step column: not Keras
        ("loss,epoch\n1.0,0\n", "csv"),  # epoch not first: a plain CSV log
    ],
)
def test_detection(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "training.log"
    path.write_text(text)
    assert detect_format(path) == expected


def test_folder_without_a_keras_log(tmp_path: Path) -> None:
    (tmp_path / "training.log").write_text("INFO starting\n")
    assert not keras_csv.detect(tmp_path)
    with pytest.raises(InputError, match=r"holds no Keras CSV log \(training\.log"):
        keras_csv.load(tmp_path)


GENERATED = DATA  # generated cases: tests/data/make_issue15_cases.py


@pytest.mark.parametrize(
    ("folder", "separator"),
    [("generated_semicolon_title", ";"), ("generated_tab", "\t")],
)
def test_other_separators_and_title_lines(folder: str, separator: str) -> None:
    path = GENERATED / folder / "training.log"
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("epoch"))
    rows = list(csv.DictReader(lines[start:], delimiter=separator))
    run = load_run(path.parent)
    assert run.format == "keras_csv"
    assert run.series("eval", "loss")["value"].tolist() == [float(r["val_loss"]) for r in rows]
    assert run.series("train", "accuracy")["value"].tolist() == [float(r["accuracy"]) for r in rows]
    skipped = [w for w in run.warnings if "skipped as titles" in w]
    assert len(skipped) == (1 if start else 0)
    if start:
        assert repr(lines[0]) in skipped[0] and f"(line {start + 1})" in skipped[0]
