"""Tests of the fairseq train-log reader, on GENERATED logs.

They are written by tests/data/fairseq/make_fairseq_logs.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest import detect_format, fairseq, load_run

DATA = Path(__file__).parent / "data" / "fairseq"
NEW = DATA / "generated_new_style" / "train.log"
OLD = DATA / "generated_old_style.log"


def logged(path: Path, kind: str, name: str) -> list[tuple[int, float]]:
    """(num_updates, value) of ``name`` on the lines of one kind, read with plain regexes."""
    found = []
    for line in path.read_text().splitlines():
        is_kind = {
            "inner": re.search(r"epoch \d+:\s+\d+ / \d+ ", line),
            "valid": "valid on 'valid' subset" in line,
            "test": "valid on 'test' subset" in line,
            "summary": re.search(r"\| epoch \d+ \| loss ", line),
        }[kind]
        if not is_kind:
            continue
        separator = "=" if kind == "inner" else " "
        value = re.search(rf"[ |,]{name}{separator}([-\d.e]+)", line)
        step = re.search(rf"num_updates{separator}(\d+)", line)
        if value:
            found.append((int(step.group(1)), float(value.group(1))))
    return found


@pytest.mark.parametrize("path", [NEW, NEW.parent, OLD])
def test_detected_by_content(path: Path) -> None:
    assert detect_format(path) == "fairseq"


@pytest.mark.parametrize(
    ("split", "metric", "kind", "name"),
    [
        ("train", "loss", "inner", "loss"),
        ("train", "perplexity", "inner", "ppl"),
        ("train", "grad_norm", "inner", "gnorm"),
        ("train", "learning_rate", "inner", "lr"),
        ("train", "loss_epoch", "summary", "loss"),
        ("eval", "loss", "valid", "loss"),
        ("eval", "bleu", "valid", "bleu"),
        ("test", "loss", "test", "loss"),
        ("test", "bleu", "test", "bleu"),
    ],
)
def test_curves_of_the_new_layout(split: str, metric: str, kind: str, name: str) -> None:
    series = load_run(NEW).series(split, metric)
    assert list(zip(series["step"], series["value"], strict=True)) == logged(NEW, kind, name)


def test_test_subset_is_not_the_validation_curve() -> None:
    run = load_run(NEW)
    assert len(run.series("test", "loss")) == len(logged(NEW, "test", "loss")) == 1
    assert len(run.series("eval", "loss")) == len(logged(NEW, "valid", "loss"))


def test_old_layout_summaries_are_the_training_curve() -> None:
    # No train_inner lines: the epoch averages are the curve itself, not "_epoch" ones.
    run = load_run(OLD)
    series = run.series("train", "loss")
    assert list(zip(series["step"], series["value"], strict=True)) == logged(OLD, "summary", "loss")
    assert ("train", "loss_epoch") not in run.curves()
    assert run.warnings == []


def test_without_num_updates_steps_are_epochs(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("| epoch 001 | loss 5.0 | ppl 32.0\n| epoch 001 | valid on 'valid' subset | "
                   "loss 5.5\n| epoch 002 | loss 4.0 | ppl 16.0\n")
    run = load_run(log)
    assert run.meta["step_unit"] == "epoch"
    assert run.series("train", "loss")["step"].tolist() == [1, 2]
    assert "3 lines without num_updates" in run.warnings[0]


def test_a_folder_without_a_log(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"holds no fairseq log \(train\.log"):
        fairseq.load(tmp_path)


def test_wall_is_the_wall_time_not_a_curve() -> None:
    run = load_run(NEW)
    assert ("train", "wall") not in run.curves() and ("train", "wall_epoch") not in run.curves()
    series = run.series("train", "loss")
    expected = logged(NEW, "inner", "wall")
    assert list(zip(series["step"], series["wall_time"], strict=True)) == expected


# Real fairseq output, quoted in public issue threads (see tests/data/PROVENANCE.tsv).
REAL = {
    "issue940": DATA / "issue940_excerpt.log",  # train_inner lines, valid_loss-prefixed valid line
    "issue514": DATA / "issue514_excerpt.log",  # inner + epoch lines, "clip 0%", "best"
    "flores7": DATA / "flores7_excerpt.log",  # epoch lines only, unprefixed valid values
    "issue301": DATA / "issue301_excerpt.log",  # 2018 layout: no num_updates, "valid loss 3.13"
}


def field(line: str, name: str) -> float | None:
    """A value of a fairseq line by a plain regex: ``name=1.5`` or ``| name 1.5``."""
    match = re.search(rf"(?:^|[ |,]){re.escape(name)}(?:=| +)([-\d.e]+)", line)
    return float(match.group(1)) if match else None


@pytest.mark.parametrize("name", list(REAL))
def test_real_excerpts_are_fairseq(name: str) -> None:
    assert detect_format(REAL[name]) == "fairseq"


@pytest.mark.parametrize(
    ("name", "split", "metric", "line_pattern", "field_name"),
    [
        ("issue940", "train", "loss", r"epoch \d+:\s+\d+ / ", "loss"),
        ("issue940", "eval", "loss", r"valid on 'valid' subset \|", "valid_loss"),
        ("issue940", "eval", "perplexity", r"valid on 'valid' subset \|", "valid_ppl"),
        ("issue514", "train", "loss", r"epoch \d+:\s+\d+ / ", "loss"),
        ("issue514", "train", "loss_epoch", r"epoch \d+ \| loss ", "loss"),
        ("issue514", "train", "clip_epoch", r"epoch \d+ \| loss ", "clip"),
        ("issue514", "eval", "loss", r"valid on 'valid' subset \|", "valid_loss"),
        ("flores7", "train", "loss", r"epoch \d+ \| loss ", "loss"),
        ("flores7", "eval", "loss", r"valid on 'valid' subset \|", "loss"),
    ],
)
def test_real_excerpt_values(name: str, split: str, metric: str, line_pattern: str,
                             field_name: str) -> None:
    lines = [line for line in REAL[name].read_text().splitlines()
             if re.search(line_pattern, line)]
    expected = [(int(field(line, "num_updates")), field(line, field_name)) for line in lines]
    series = load_run(REAL[name]).series(split, metric)
    assert list(zip(series["step"], series["value"], strict=True)) == expected


def test_real_2018_layout_steps_from_the_progress() -> None:
    # No num_updates: "| epoch 005  1000 / 8223 loss=2.17 (3.20)" is batch 1000 of 8223.
    lines = REAL["issue301"].read_text().splitlines()
    inner = [line for line in lines if re.search(r"epoch 005\s+\d+ / 8223 ", line)]
    run = load_run(REAL["issue301"])
    series = run.series("train", "loss")
    assert series["step"].tolist() == [int(re.search(r"(\d+) / ", ln).group(1)) for ln in inner]
    # the first number after "loss=", not the running average in brackets
    assert series["value"].tolist() == [field(line, "loss") for line in inner]
    valid = run.series("eval", "loss")
    assert valid["step"].tolist() == [8223]  # the end of epoch 5
    assert valid["value"].tolist() == [field(lines[-1], "valid loss")]
    # epoch 4's evaluation has no batch count to place it at: left out, and said.
    assert any("epoch 4 left out" in w for w in run.warnings)


@pytest.mark.parametrize("name", ["issue514", "flores7", "issue940"])
def test_running_best_is_not_an_evaluation_value(name: str) -> None:
    metrics = {metric for split, metric in load_run(REAL[name]).curves() if split == "eval"}
    assert not {m for m in metrics if m == "best" or m.startswith("best_")}
    assert "loss" in metrics


@pytest.mark.parametrize(("name", "value", "step", "key"), [
    ("flores7", 6.84088, 10236, "best_loss"),  # its last valid line
    ("issue514", 6.37204, 24633, "best"),      # fairseq < 0.8: "best", the loss
])
def test_the_logs_running_best_is_kept_as_a_fact(name: str, value: float, step: int,
                                                 key: str) -> None:
    assert load_run(REAL[name]).meta["best_so_far"] == {
        "loss": {"value": value, "step": step, "source_key": key}}


def test_only_the_first_validation_subset_has_the_running_best(tmp_path: Path) -> None:
    # fairseq tracks the best on the first --valid-subset only (generated lines)
    log = tmp_path / "train.log"
    log.write_text(
        "| epoch 001 | loss 5.0 | num_updates 10\n"
        "| epoch 001 | valid on 'valid' subset | loss 5.5 | num_updates 10 | best_loss 5.5\n"
        "| epoch 001 | valid on 'valid1' subset | loss 4.5 | num_updates 10 | best_loss 4.5\n"
        "| epoch 001 | valid on 'test' subset | loss 4.0 | num_updates 10 | best_bleu 30.1\n")
    assert load_run(log).meta["best_so_far"] == {
        "loss": {"value": 5.5, "step": 10, "source_key": "best_loss"}}
