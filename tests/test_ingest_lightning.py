"""Tests of Lightning CSVLogger ingest (and the CSV reading it shares with Keras and plain CSV).

The real metrics.csv/hparams.yaml files are in tests/data/lightning/ (provenance
in tests/data/PROVENANCE.tsv). Expected values are read from the files with
the csv module; expected counts come from PROVENANCE.tsv's description.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportlib.errors import InputError
from reportlib.ingest import csv_log, detect_format, lightning, load_run
from reportlib.ingest.tidy import tidy_scalars
from reportlib.run import make_scalars

DATA = Path(__file__).parent / "data" / "lightning"
GPTTT = DATA / "pl_metrics_csv__BvoJa__GPTTT__lightning_logs_version_0_metrics.csv"
GPTTT_HPARAMS = DATA / "pl_hparams_yaml__BvoJa__GPTTT__lightning_logs_version_0_hparams.yaml"
PROBING = DATA / (
    "pl_metrics_csv__Goreg12345__nlp2-probing-lms__lightning_logs_version_0_metrics.csv"
)
TURNGPT = DATA / "pl_metrics_csv__Melissasssss__TurnGPT__lightning_logs_version_0_metrics.csv"
TURNGPT_HPARAMS = DATA / (
    "pl_hparams_yaml__Melissasssss__TurnGPT__lightning_logs_version_0_hparams.yaml"
)


def column(path: Path, name: str) -> list[tuple[int, float]]:
    """(step, value) of the non-empty cells of a column, read with the csv module."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(int(row["step"]), float(row[name])) for row in csv.DictReader(handle)
                if row[name] != ""]


def version_folder(tmp_path: Path, metrics: Path, hparams: Path | None = None) -> Path:
    folder = tmp_path / "lightning_logs" / "version_0"
    folder.mkdir(parents=True)
    shutil.copy(metrics, folder / "metrics.csv")
    if hparams is not None:
        shutil.copy(hparams, folder / "hparams.yaml")
    return folder


@pytest.mark.parametrize(
    ("path", "split", "metric", "key", "count"),
    [
        (GPTTT, "train", "loss", "train_loss", 10),  # every 50 of 500 steps
        (GPTTT, "eval", "loss", "val_loss", 2),  # val_check_interval 200: steps 199, 399
        (PROBING, "train", "loss", "train_loss", 28),
        (PROBING, "train", "accuracy", "train_acc", 28),
        (TURNGPT, "train", "loss", "loss", 50),  # a bare 'loss' is the training loss
    ],
)
def test_real_logs(path: Path, split: str, metric: str, key: str, count: int) -> None:
    run = lightning.load(path)
    series = run.series(split, metric)
    assert len(series) == count
    assert list(zip(series["step"], series["value"], strict=True)) == column(path, key)
    assert run.warnings == []


def test_sparse_rows_share_a_step_without_merging() -> None:
    """GPTTT logs step 199 twice: a train row and a val row (CRLF line ends too)."""
    rows = lightning.load(GPTTT).scalars
    at_199 = rows[rows["step"] == 199]
    assert sorted(zip(at_199["split"], at_199["source_key"], strict=True)) == [
        ("eval", "val_loss"), ("train", "train_loss")]
    assert GPTTT.read_bytes().count(b"\r\n") == 13


def test_epoch_column_is_kept_as_written() -> None:
    with open(PROBING, newline="") as handle:
        epochs = [float(row["epoch"]) for row in csv.DictReader(handle)]
    assert lightning.load(PROBING).series("train", "loss")["epoch"].tolist() == epochs


@pytest.mark.parametrize("path", [GPTTT, PROBING, TURNGPT])
def test_detected_by_content_whatever_the_name(path: Path) -> None:
    assert detect_format(path) == "lightning_csv"


def test_version_folder_with_hparams(tmp_path: Path) -> None:
    folder = version_folder(tmp_path, GPTTT, GPTTT_HPARAMS)
    run = load_run(folder)
    assert run.format == "lightning_csv"
    assert run.meta["hparams"]["cfg"]["trainer"]["max_steps"] == 500
    assert run.meta["hparams"]["vocab_size"] == 65
    assert run.input_files == [folder / "metrics.csv", folder / "hparams.yaml"]
    # The lightning_logs folder reads its newest version.
    newer = folder.parent / "version_3"
    shutil.copytree(folder, newer)
    (newer / "metrics.csv").write_text("epoch,step,train_loss\n0,9,1.5\n")
    run = lightning.load(folder.parent)
    assert run.series("train", "loss")["value"].tolist() == [1.5]
    assert run.warnings == [
        "2 Lightning versions in lightning_logs/: read the newest, version_3; point at "
        "another version_N folder to read it"
    ]
    # Discovery sees two runs there (as TensorBoard does): load_run names them (issue 12).
    with pytest.raises(InputError, match=r"lightning_logs: holds 2 runs \(.*version_0, "
                       r".*version_3\), not one"):
        load_run(folder.parent)


def test_hparams_with_null_and_python_tags(tmp_path: Path) -> None:
    folder = version_folder(tmp_path, TURNGPT, TURNGPT_HPARAMS)
    hparams = lightning.load(folder).meta["hparams"]
    assert hparams["dropout"] is None and hparams["learning_rate"] == 6.25e-05
    (folder / "hparams.yaml").write_text("opt: !!python/name:torch.optim.Adam ''\nlr: 0.1\n")
    assert lightning.load(folder).meta["hparams"]["lr"] == 0.1
    (folder / "hparams.yaml").write_text("lr: [0.1\n")
    run = lightning.load(folder)
    assert "hparams" not in run.meta
    assert run.warnings == ["hparams.yaml is not valid YAML (line 2): hyperparameters not read"]


def test_hparams_alone_is_a_clear_error() -> None:
    assert detect_format(GPTTT_HPARAMS) == "lightning_csv"
    with pytest.raises(InputError, match=r"is a Lightning hparams\.yaml: hyperparameters, no "
                                         r"logged values, and there is no metrics\.csv beside it"):
        load_run(GPTTT_HPARAMS)


def write(tmp_path: Path, text: str, name: str = "metrics.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_step_and_epoch_pairs_and_lr_monitor(tmp_path: Path) -> None:
    path = write(tmp_path, "epoch,lr-AdamW,step,train_loss_epoch,train_loss_step,val_loss\n"
                           "0,0.001,0,,2.0,\n0,,1,,1.8,\n0,,1,1.9,,1.7\n")
    run = lightning.load(path)
    assert run.curves() == [("train", "learning_rate"), ("train", "loss"),
                            ("train", "loss_epoch"), ("eval", "loss")]
    assert run.series("train", "loss_epoch")["value"].tolist() == [1.9]


def test_header_changed_mid_file(tmp_path: Path) -> None:
    """A resumed run appended with a new column: each part read with its own header."""
    path = write(tmp_path, "epoch,step,train_loss\n0,1,2.0\n0,2,1.9\n"
                           "epoch,step,train_loss,val_loss\n0,2,1.85,\n1,3,1.7,1.6\n")
    run = lightning.load(path)
    assert run.series("train", "loss")["value"].tolist() == [2.0, 1.85, 1.7]
    assert run.series("eval", "loss")["step"].tolist() == [3]
    assert run.warnings[0] == (
        "the header changes at line 4 (added val_loss; a resumed or appended log): each part "
        "was read with its own header"
    )
    assert "step 2; train loss" in run.warnings[1] and "later values were kept" in run.warnings[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An empty cell is "not logged"; a nan cell is a logged NaN.
        ("epoch,step,train_loss,val_loss\n0,1,nan,\n0,2,1.0,\n", [np.nan, 1.0]),
        ("epoch,step,train_loss\n0,1,inf\n0,2,-inf\n", [np.inf, -np.inf]),
        ("epoch,step,train_loss\n0,1,NaN\n0,2,2\n", [np.nan, 2.0]),
    ],
)
def test_nan_cells_are_values_empty_cells_are_not(tmp_path: Path, text: str, expected) -> None:
    run = lightning.load(write(tmp_path, text))
    np.testing.assert_array_equal(run.series("train", "loss")["value"], expected)
    assert ("eval", "loss") not in run.curves()


def test_cut_last_line_is_left_out_and_in_progress(tmp_path: Path) -> None:
    path = write(tmp_path, "epoch,step,train_loss\n0,1,2.5\n0,2,2.4\n0,3,2.3")
    run = lightning.load(path)
    assert run.series("train", "loss")["value"].tolist() == [2.5, 2.4]
    assert run.meta["in_progress"] is True
    assert run.warnings == [
        "the last line (4) has no line end: the run is still writing the file, or it was copied "
        "while being written; that line was left out"
    ]


def test_text_cells_are_skipped_and_counted(tmp_path: Path) -> None:
    run = lightning.load(write(tmp_path, "epoch,step,train_loss\n0,1,2.5\n0,2,oops\n0,3,2.3\n"))
    assert run.series("train", "loss")["step"].tolist() == [1, 3]
    assert run.warnings == ["1 cell that are neither numbers nor empty skipped (line 3 "
                            "'train_loss' = 'oops')"]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("epoch,step,train_loss\n0,1,2.5\n0,2,2.4,9\n",
         r"line 3: 4 cells, 3 columns"),
        ("epoch,step,train_loss\n0,1.5,2.5\n", r"line 2: 'step' is '1\.5', not a whole number"),
        ("epoch,step,train_loss\n0,-3,2.5\n", r"line 2: 'step' is '-3', not a whole number"),
    ],
)
def test_broken_rows_are_errors_with_the_line(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        lightning.load(write(tmp_path, text))


def test_folder_without_metrics_csv(tmp_path: Path) -> None:
    assert not lightning.detect(tmp_path)
    with pytest.raises(InputError, match=r"holds no metrics\.csv \(nor version_N/metrics\.csv\)"):
        lightning.load(tmp_path)


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_bytes(b"epoch,step,train_loss\n0,1,2.5\n0,2,\xff\xfe\n")
    with pytest.raises(InputError, match=r"is not UTF-8 text"):
        lightning.load(path)


# --- reading a big log a piece at a time gives what reading it whole gives ---------------------

PIECE_CASES = {
    "real log": GPTTT.read_text(encoding="utf-8"),
    "rows without a step, steps going back": "epoch,step,train_loss,val_loss\n0,1,2.0,\n"
                                             "0,,1.9,\n0,2,1.8,1.7\n0,1,1.6,\n0,3,,1.5\n",
    "split column, wall time": "step,phase,loss,wall_time\n1,train,2.0,10.5\n1,val,2.2,11.0\n"
                               "2,train,1.8,12.0\n2,val,,13.0\n3,train,1.7,14.0\n",
    "header changed mid-file": "epoch,step,train_loss\n0,1,2.0\n0,2,1.9\n"
                               "epoch,step,train_loss,val_loss\n0,2,1.85,\n1,3,1.7,1.6\n",
}


@pytest.mark.parametrize("text", PIECE_CASES.values(), ids=PIECE_CASES.keys())
@pytest.mark.parametrize("piece_rows", [1, 2, 3])
def test_reading_in_pieces_gives_the_same_run(tmp_path: Path, monkeypatch, text: str,
                                              piece_rows: int) -> None:
    path = write(tmp_path, text)
    whole = load_run(path)
    monkeypatch.setattr(csv_log, "FLATTEN_PIECE_ROWS", piece_rows)
    pieces = load_run(path)
    pd.testing.assert_frame_equal(pieces.scalars, whole.scalars)
    assert pieces.warnings == whole.warnings


@pytest.mark.parametrize("path", [GPTTT, PROBING, TURNGPT])
def test_lr_monitor_names_only_order_the_values(path: Path) -> None:
    """Laying values out in the order of LearningRateMonitor's name changes no row."""
    names = lightning._lr_monitor_names
    ordered = csv_log.read_csv_log(path, names=names).logged
    plain = csv_log.read_csv_log(path).logged
    frame, warnings = tidy_scalars(ordered, names=names(ordered.keys))
    expected, expected_warnings = tidy_scalars(plain, names=names(plain.keys))
    pd.testing.assert_frame_equal(frame, expected)
    assert warnings == expected_warnings


@pytest.mark.parametrize("step", ["9223372036854775808.0", "1e30"])
def test_a_step_too_large_for_int64_is_an_error_not_a_wrapped_step(tmp_path: Path,
                                                                   step: str) -> None:
    path = write(tmp_path, f"epoch,step,train_loss\n0,1.0,2.0\n0,{step},1.0\n")
    with pytest.raises(InputError, match=r"line 3: 'step' is .*, not a whole number of steps"):
        lightning.load(path)


@pytest.mark.parametrize("text", ["epoch,step,train_loss\n", "epoch,step,train_loss\n0,1,\n"],
                         ids=["header only", "no value in any cell"])
def test_a_log_without_values_gives_an_empty_frame(tmp_path: Path, text: str) -> None:
    run = lightning.load(write(tmp_path, text, name="metrics.csv"))
    assert run.scalars.empty and list(run.scalars.columns) == list(make_scalars().columns)
    assert run.warnings == ["metrics.csv has no logged values"]


def test_test_row_is_a_third_split_not_the_validation_curve() -> None:
    # GENERATED (tests/data/make_issue15_cases.py): valid_loss each epoch, one test row after.
    folder = Path(__file__).parent / "data" / "lightning" / "generated_test_row"
    with open(folder / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    run = load_run(folder)
    valid = [(int(r["step"]), float(r["valid_loss"])) for r in rows if r["valid_loss"]]
    series = run.series("eval", "loss")
    assert list(zip(series["step"], series["value"], strict=True)) == valid
    test = [(int(r["step"]), float(r["test_loss"])) for r in rows if r["test_loss"]]
    series = run.series("test", "loss")
    assert list(zip(series["step"], series["value"], strict=True)) == test
    assert ("test", "accuracy") in run.curves() and ("eval", "accuracy") in run.curves()
    assert not [w for w in run.warnings if "both name" in w]
