"""Tests of the ultralytics YOLO reader, on a real results.csv and made-up edge cases."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from reportlib.analysis import main_eval_metric
from reportlib.errors import InputError
from reportlib.ingest import detect_format, load_run
from reportlib.metrics import higher_is_better

DATA = Path(__file__).parent / "data" / "yolo"
FIRE = DATA / "fire_smoke_yolov8"


def column(path: Path, name: str) -> list[float]:
    """A results.csv column as the file holds it (padded names and cells stripped)."""
    with open(path, newline="") as handle:
        rows = [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    return [float(row[name]) for row in rows]


@pytest.mark.parametrize("path", [FIRE, FIRE / "results.csv"])
def test_detected_by_content(path: Path) -> None:
    assert detect_format(path) == "yolo"


@pytest.mark.parametrize(
    ("split", "metric", "name"),
    [
        ("train", "box_loss", "train/box_loss"),
        ("train", "cls_loss", "train/cls_loss"),
        ("train", "dfl_loss", "train/dfl_loss"),
        ("eval", "box_loss", "val/box_loss"),
        ("eval", "map", "metrics/mAP50-95(B)"),
        ("eval", "map50", "metrics/mAP50(B)"),
        ("eval", "precision", "metrics/precision(B)"),
        ("eval", "recall", "metrics/recall(B)"),
        ("train", "learning_rate", "lr/pg0"),
        ("train", "learning_rate_pg2", "lr/pg2"),
    ],
)
def test_every_column_is_its_curve(split: str, metric: str, name: str) -> None:
    run = load_run(FIRE)
    assert run.series(split, metric)["value"].tolist() == column(FIRE / "results.csv", name)


@pytest.mark.parametrize(("split", "prefix"), [("train", "train/"), ("eval", "val/")])
def test_loss_is_the_sum_of_the_components(split: str, prefix: str) -> None:
    results = FIRE / "results.csv"
    parts = [column(results, f"{prefix}{part}_loss") for part in ("box", "cls", "dfl")]
    run = load_run(FIRE)
    summed = run.series(split, "loss")["value"].tolist()
    assert summed == pytest.approx([sum(values) for values in zip(*parts, strict=True)])
    assert run.meta["summed_losses"][f"{prefix}loss"] == [f"{prefix}{p}_loss"
                                                          for p in ("box", "cls", "dfl")]


def test_epochs_and_facts() -> None:
    run = load_run(FIRE)
    epochs = column(FIRE / "results.csv", "epoch")
    series = run.series("train", "loss")
    # ultralytics 8.0 numbered epochs from 0: kept as logged, and counted.
    assert series["epoch"].tolist() == epochs
    assert run.meta["epochs_run"] == len(epochs)
    assert series["step"].tolist() == list(range(1, len(epochs) + 1))
    assert run.meta["step_unit"] == "epoch"
    assert run.meta["yolo_args"]["model"] == run.meta["model"]
    assert run.meta["dataset"] == run.meta["yolo_args"]["data"]
    # The only warnings say where the summed losses come from.
    assert run.warnings == [
        f"'{total}' is not a column of results.csv: it is the sum of {', '.join(parts)} at each "
        "epoch (the loss ultralytics minimises)"
        for total, parts in run.meta["summed_losses"].items()]


def test_map50_95_is_the_main_evaluation_metric() -> None:
    run = load_run(FIRE)
    assert main_eval_metric(run) == ("eval", "map")
    assert higher_is_better("map") is True


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "results.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_newer_layout_with_time_and_one_based_epochs(tmp_path: Path) -> None:
    # ultralytics 8.3 (generated): no padding, a time column, epochs from 1, mask metrics.
    folder = write(tmp_path, "epoch,time,train/box_loss,train/seg_loss,metrics/mAP50-95(B),"
                   "metrics/mAP50-95(M),val/box_loss,val/seg_loss,lr/pg0\n"
                   "1,10.5,1.5,2.5,0.1,0.08,1.6,2.6,0.01\n2,20.9,1.2,2.0,0.2,0.15,1.4,2.2,0.009\n")
    run = load_run(folder)
    # "time" is the seconds since the start: the wall time of the row's values, not a curve.
    assert ("train", "time") not in run.curves()
    assert run.series("eval", "map")["wall_time"].tolist() == [10.5, 20.9]
    assert run.series("eval", "map_mask")["value"].tolist() == [0.08, 0.15]
    assert run.series("train", "loss")["value"].tolist() == pytest.approx([4.0, 3.2])
    assert run.series("train", "loss")["epoch"].tolist() == [1.0, 2.0]


def test_a_nan_component_makes_that_epoch_sum_nan(tmp_path: Path) -> None:
    folder = write(tmp_path, "epoch,train/box_loss,train/cls_loss,metrics/mAP50-95(B)\n"
                   "0,1.0,2.0,0.1\n1,nan,2.0,0.1\n")
    values = load_run(folder).series("train", "loss")["value"].tolist()
    assert values[0] == 3.0 and math.isnan(values[1])


def test_a_folder_without_results_is_an_error(tmp_path: Path) -> None:
    from reportlib.ingest import yolo

    with pytest.raises(InputError, match=r"holds no results\.csv.*runs/detect/train"):
        yolo.load(tmp_path)


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        # GENERATED in YOLOv5's layout
        ("epoch,train/box_loss,train/obj_loss,train/cls_loss,metrics/precision,metrics/recall,"
         "metrics/mAP_0.5,metrics/mAP_0.5:0.95,val/box_loss,val/obj_loss,val/cls_loss,x/lr0",
         "0,0.1,0.05,0.02,0.5,0.4,0.3,0.2,0.09,0.04,0.01,0.07",
         {("eval", "map"): 0.2, ("eval", "map50"): 0.3, ("train", "learning_rate"): 0.07,
          ("train", "obj_loss"): 0.05}),
        # GENERATED in an ultralytics classification run's layout
        ("epoch,time,train/loss,metrics/accuracy_top1,metrics/accuracy_top5,val/loss,lr/pg0",
         "1,5.0,2.3,0.41,0.85,2.1,0.001",
         {("eval", "accuracy"): 0.41, ("eval", "accuracy_top5"): 0.85, ("train", "loss"): 2.3,
          ("eval", "loss"): 2.1}),
    ],
)
def test_other_ultralytics_layouts(tmp_path: Path, header: str, row: str, expected: dict) -> None:
    run = load_run(write(tmp_path, f"{header}\n{row}\n"))
    assert run.format == "yolo"
    for (split, metric), value in expected.items():
        assert run.series(split, metric)["value"].tolist() == pytest.approx([value])
