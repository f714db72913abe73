"""Tests of MLflow file-store ingest.

tests/data/mlflow/mlruns/0/<run>/ is the real run of PROVENANCE.tsv put back in
its original layout (meta.yaml, metrics/accuracy, metrics/loss): status 1
(RUNNING), end_time null, one point per metric.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest import detect_format, load_run, mlflow

EXPERIMENT = Path(__file__).parent / "data" / "mlflow" / "mlruns" / "0"
RUN = EXPERIMENT / "cb0096518b0e4c66a94428555f05420b"


def copy_run(tmp_path: Path) -> Path:
    target = tmp_path / "mlruns" / "0" / RUN.name
    shutil.copytree(RUN, target)
    return target


@pytest.mark.parametrize(
    "path", [RUN, EXPERIMENT, RUN / "meta.yaml", RUN / "metrics", RUN / "metrics" / "loss"]
)
def test_real_run_from_any_of_its_paths(path: Path) -> None:
    assert detect_format(path) == "mlflow"
    run = mlflow.load(path)
    # metrics/loss holds "1664364007310 3.2727866172790527 0"
    loss = run.series("train", "loss")
    assert loss[["step", "value", "wall_time"]].values.tolist() == [
        [0, 3.2727866172790527, 1664364007.310]]
    assert run.series("train", "accuracy")["value"].tolist() == [0.7858095765113831]
    assert run.meta["mlflow"]["run_id"] == RUN.name
    assert run.meta["in_progress"] is True
    assert run.warnings == [
        "MLflow says the run is RUNNING (end_time not set): it is still in progress, or it "
        "crashed before ending the run"
    ]


def test_finished_run_with_params_tags_steps_and_nested_names(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    meta = (run_dir / "meta.yaml").read_text()
    meta = meta.replace("end_time: null", "end_time: 1664364107025").replace("status: 1",
                                                                            "status: 3")
    (run_dir / "meta.yaml").write_text(meta)
    (run_dir / "metrics" / "loss").write_text(
        "1664364007310 3.27 0\n1664364008310 2.5 1\n1664364009310 2.1 2\n"
    )
    (run_dir / "metrics" / "eval").mkdir()
    (run_dir / "metrics" / "eval" / "loss").write_text("1664364009310 2.8 2\n")
    (run_dir / "metrics" / "epoch").write_text("1664364009310 1.0 2\n")
    (run_dir / "params").mkdir()
    (run_dir / "params" / "learning_rate").write_text("0.001")
    (run_dir / "tags").mkdir()
    (run_dir / "tags" / "mlflow.runName").write_text("bright-owl")
    run = load_run(run_dir)
    assert run.series("train", "loss")["value"].tolist() == [3.27, 2.5, 2.1]
    assert run.series("eval", "loss")[["step", "epoch"]].values.tolist() == [[2, 1.0]]
    assert ("train", "epoch") not in run.curves()
    assert run.meta["params"] == {"learning_rate": "0.001"}
    assert run.meta["tags"] == {"mlflow.runName": "bright-owl"}
    assert run.meta["in_progress"] is False
    assert run.meta["mlflow_duration_seconds"] == 100.0
    assert run.warnings == []


@pytest.mark.parametrize(("status", "word"), [(4, "failed"), (5, "killed")])
def test_failed_and_killed_runs_are_said(tmp_path: Path, status: int, word: str) -> None:
    run_dir = copy_run(tmp_path)
    meta = (run_dir / "meta.yaml").read_text().replace("status: 1", f"status: {status}")
    (run_dir / "meta.yaml").write_text(meta.replace("end_time: null", "end_time: 1664364107025"))
    assert mlflow.load(run_dir).warnings == [f"MLflow says the run {word} (status {status})"]


def test_metric_lines_without_step_use_the_line_number(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    (run_dir / "metrics" / "loss").write_text("1664364007310 3.0\n1664364008310 2.0\n")
    run = mlflow.load(run_dir)
    assert run.series("train", "loss")["step"].tolist() == [0, 1]
    assert "metrics/loss: 2 values without a step (MLflow < 1.0)" in run.warnings[0]


def test_cut_last_metric_line_is_left_out(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    (run_dir / "metrics" / "loss").write_text("1664364007310 3.0 0\n16643640083")
    run = mlflow.load(run_dir)
    assert run.series("train", "loss")["value"].tolist() == [3.0]
    assert run.warnings[0] == (
        "metrics/loss: the last line is incomplete (the run is still writing it): left out")


def test_broken_metric_line_is_an_error(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    (run_dir / "metrics" / "loss").write_text("1664364007310 3.0 0\nhello world\n1 2 3\n")
    with pytest.raises(InputError, match=r"metrics/loss: line 2: is not an MLflow metric line"):
        mlflow.load(run_dir)


def test_experiment_with_several_runs_asks_for_one(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    shutil.copytree(run_dir, run_dir.parent / "another")
    with pytest.raises(InputError, match=r"holds 2 MLflow runs: .* Point at one of them: another, "
                                         r"cb0096518b0e4c66a94428555f05420b"):
        mlflow.load(run_dir.parent)


def test_meta_yaml_alone_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copy(RUN / "meta.yaml", tmp_path / "meta.yaml")
    assert detect_format(tmp_path / "meta.yaml") == "mlflow"
    with pytest.raises(InputError, match=r"meta\.yaml without its metrics/ folder beside it"):
        load_run(tmp_path / "meta.yaml")


def test_a_metric_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "val_loss"
    shutil.copy(RUN / "metrics" / "loss", path)
    run = load_run(path)
    assert run.format == "mlflow"
    assert run.series("eval", "loss")["value"].tolist() == [3.2727866172790527]
    assert run.warnings[-1].startswith("a single MLflow metric file, read without its run folder")
