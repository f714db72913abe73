"""Tests of plain CSV ingest: any CSV log with a step or epoch column."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest import detect_format, load_run, plain_csv

DATA = Path(__file__).parent / "data" / "csv"
EVALUATE_DUMP = (
    DATA / "other_csv__MrP539__Text_Machine_Translation_opus-mt-en-fr_finetune_kde4"
    "__results_training_log.csv"
)


def write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_real_csv_without_step_or_epoch_is_a_clear_error() -> None:
    """trainer.evaluate() dumped to CSV: one row, no position: nothing to plot against."""
    assert detect_format(EVALUATE_DUMP) == "csv"
    with pytest.raises(
        InputError,
        match=r"has no step or epoch column \(columns: eval_loss, eval_bleu, eval_runtime, "
              r"eval_samples_per_second, eval_steps_per_second\)",
    ) as info:
        load_run(EVALUATE_DUMP)
    assert "\n" not in str(info.value)


def test_step_column_and_metrics(tmp_path: Path) -> None:
    path = write(tmp_path, "iteration,train_loss,val_bleu,wall_time\n100,2.0,,1000.5\n"
                           "200,1.5,12.5,1010.0\n")
    run = load_run(path)
    assert run.format == "csv"
    assert run.curves() == [("train", "loss"), ("eval", "bleu")]
    assert run.series("eval", "bleu")[["step", "value", "wall_time"]].values.tolist() == [
        [200, 12.5, 1010.0]]


def test_epoch_only_log_counts_epochs(tmp_path: Path) -> None:
    run = plain_csv.load(write(tmp_path, "Epoch,Loss,Val Loss\n1,2.0,2.5\n2,1.5,2.2\n"))
    assert run.series("train", "loss")[["step", "epoch"]].values.tolist() == [[1, 1.0], [2, 2.0]]
    assert run.meta["step_unit"] == "epoch"
    # "Val Loss", a header written as words, is the validation loss
    assert run.curves() == [("train", "loss"), ("eval", "loss")]


def test_split_column_gives_each_row_its_split(tmp_path: Path) -> None:
    path = write(tmp_path, "epoch,phase,loss,acc\n1,train,2.0,0.5\n1,val,2.2,0.4\n"
                           "2,train,1.8,0.6\n2,val,2.1,0.45\n")
    run = plain_csv.load(path)
    assert run.curves() == [("train", "accuracy"), ("train", "loss"), ("eval", "accuracy"),
                            ("eval", "loss")]
    assert run.series("eval", "loss")["value"].tolist() == [2.2, 2.1]
    assert set(run.scalars["source_key"]) == {"train/loss", "val/loss", "train/acc", "val/acc"}


def test_text_columns_are_not_metrics(tmp_path: Path) -> None:
    run = plain_csv.load(write(tmp_path, "step,run,loss\n1,a,2.0\n2,a,1.0\n"))
    assert run.curves() == [("train", "loss")]
    assert run.warnings == []


@pytest.mark.parametrize(
    ("text", "detected"),
    [
        ("step,loss\n1,2.0\n", True),
        ("name,colour\nfoo,red\n", False),  # no numbers
        ("1,2\n3,4\n", False),  # no header
        ("loss\n1.0\n", False),  # a single column
        ("", False),
    ],
)
def test_detection(tmp_path: Path, text: str, detected: bool) -> None:
    assert plain_csv.detect(write(tmp_path, text)) is detected


def test_folder_with_one_csv(tmp_path: Path) -> None:
    write(tmp_path, "step,loss\n1,2.0\n")
    assert plain_csv.load(tmp_path).series("train", "loss")["value"].tolist() == [2.0]
    write(tmp_path, "step,loss\n1,2.0\n", name="other.csv")
    assert not plain_csv.detect(tmp_path)
    with pytest.raises(InputError, match=r"holds no single CSV log"):
        plain_csv.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("step;loss;val_loss\n1;2.0;2.5\n2;1.5;2.1\n", 0),
        ("# my run\nlr=0.1 run 4\nstep\tloss\tval_loss\n1\t2.0\t2.5\n2\t1.5\t2.1\n", 2),
        ("Training log\n\nstep,loss,val_loss\n1,2.0,2.5\n2,1.5,2.1\n", 1),
    ],
)
def test_separator_sniffed_and_titles_skipped(tmp_path: Path, text: str, titles: int) -> None:
    log = tmp_path / "log.csv"
    log.write_text(text)
    run = load_run(log)
    assert run.format == "csv"
    assert run.series("train", "loss")["value"].tolist() == [2.0, 1.5]
    assert run.series("eval", "loss")["step"].tolist() == [1, 2]
    warned = [w for w in run.warnings if "skipped as titles" in w]
    assert len(warned) == (1 if titles else 0)
    if titles:
        assert warned[0].startswith(f"{titles} line(s) before the header")


def test_more_title_lines_than_allowed_is_not_a_csv_log(tmp_path: Path) -> None:
    from reportlib.ingest.csv_log import MAX_TITLE_LINES, sniff_layout

    log = tmp_path / "log.csv"
    log.write_text("title\n" * (MAX_TITLE_LINES + 1) + "step,loss\n1,2.0\n")
    assert sniff_layout(log) is None
