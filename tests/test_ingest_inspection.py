"""Tests of `reportlib inspect` (reportlib.ingest.inspection) and of detection across formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportlib.cli import main
from reportlib.ingest import detect_format
from reportlib.ingest.inspection import inspect_run

DATA = Path(__file__).parent / "data"
TB_FILE = DATA / "tensorboard" / "events.out.tfevents.1795635129.vm.7413.0"
OPENNMT = DATA / "text_log" / "opennmt_log__BitMap4__morphological-inflections__train.log"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("hf/hf_trainer_state__HenokB__amharic-to-geez__trainer_state.json", "hf_trainer"),
        ("lightning/pl_metrics_csv__BvoJa__GPTTT__lightning_logs_version_0_metrics.csv",
         "lightning_csv"),
        ("lightning/pl_hparams_yaml__BvoJa__GPTTT__lightning_logs_version_0_hparams.yaml",
         "lightning_csv"),
        ("keras/keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log",
         "keras_csv"),
        ("mlflow/mlruns/0/cb0096518b0e4c66a94428555f05420b", "mlflow"),
        ("jsonl/jsonl__Yvonne530__HealthAI-OPPO-2026__trainer_log.jsonl", "jsonl"),
        ("text_log/opennmt_log__BitMap4__morphological-inflections__train.log", "text_log"),
        ("text_log/plaintext_log__BVLC__caffe__train.log", "text_log"),
        ("csv/other_csv__MrP539__Text_Machine_Translation_opus-mt-en-fr_finetune_kde4__results_"
         "training_log.csv", "csv"),
        ("tensorboard", "tensorboard"),
    ],
)
def test_every_fixture_is_detected_as_its_format(path: str, expected: str) -> None:
    assert detect_format(DATA / path) == expected


def test_inspect_a_tensorboard_dir(tmp_path: Path) -> None:
    shutil.copy(TB_FILE, tmp_path / TB_FILE.name)
    text = inspect_run(tmp_path)
    lines = text.splitlines()
    assert lines[0] == str(tmp_path)
    assert lines[1].startswith("  format:   tensorboard (a TensorBoard log dir")
    assert f"  files read: 1: {TB_FILE.name}" in lines
    # One row per curve: 57 training points (every 10 of 570 steps), 10 evaluations.
    assert any(re_row(line, "train", "loss", "57", "10-570") for line in lines)
    assert any(re_row(line, "eval", "chrf", "10", "57-570") for line in lines)
    assert "  warnings: 0" in lines
    assert "    skipped_values: {'text tensors': 2}" in lines


def re_row(line: str, *cells: str) -> bool:
    return line.split()[: len(cells)] == list(cells)


def test_inspect_names_the_other_readable_formats(tmp_path: Path) -> None:
    shutil.copy(DATA / "tensorboard" / "tiny-codegen_trainer_state.json",
                tmp_path / "trainer_state.json")
    (tmp_path / "tb").mkdir()
    shutil.copy(TB_FILE, tmp_path / "tb" / TB_FILE.name)
    text = inspect_run(tmp_path)
    assert "  format:   hf_trainer (" in text
    assert "  also readable as: tensorboard (choose with --format" in text
    assert "  format:   tensorboard (" in inspect_run(tmp_path, log_format="tensorboard")


def test_inspect_lists_warnings(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train_loss\n0,1,2.0\n0,1,1.5\n0,2,1")
    lines = inspect_run(path).splitlines()
    assert "  warnings: 2" in lines
    assert lines[-2].startswith("    - the last line (4) has no line end")
    assert lines[-1].startswith("    - 1 value logged again, changed, for the same step")
    assert "    in_progress: True" in lines


def test_cli_inspect(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["inspect", str(OPENNMT)])
    assert result.exit_code == 0, result.output
    assert "format:   text_log" in result.stdout
    assert any(re_row(line, "eval", "perplexity", "8", "200-1600")
               for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inspect", "/no/such/run"], "reportlib: error: /no/such/run: no such file or folder."),
        (["inspect", str(OPENNMT), "--format", "comet_ml"],
         "reportlib: error: log_format must be one of hf_trainer, "),
    ],
)
def test_cli_inspect_errors_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
