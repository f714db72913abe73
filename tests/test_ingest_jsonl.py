"""Tests of JSON-lines ingest on the real LLaMA-Factory logs and made-up ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest import detect_format, jsonl, load_run

DATA = Path(__file__).parent / "data" / "jsonl"
HEALTH = DATA / "jsonl__Yvonne530__HealthAI-OPPO-2026__trainer_log.jsonl"
QWEN = DATA / "jsonl__aa-n__Qwen3_Lora__trainer_log.jsonl"


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write(tmp_path: Path, lines: list[str], name: str = "log.jsonl", end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def test_llama_factory_log() -> None:
    run = load_run(HEALTH)
    assert run.format == "jsonl"
    with_loss = [r for r in records(HEALTH) if "loss" in r]
    loss = run.series("train", "loss")
    assert loss[["step", "value"]].values.tolist() == [
        [r["current_steps"], r["loss"]] for r in with_loss]
    # 'lr' is the learning rate, 0.0 at step 1 (warm-up) kept.
    assert run.series("train", "learning_rate")["value"].tolist() == [r["lr"] for r in with_loss]
    # elapsed_time "0:00:39" is the wall time in seconds since the start.
    assert loss["wall_time"].tolist()[:2] == [39.0, 75.0]
    assert loss["epoch"].tolist() == [r["epoch"] for r in with_loss]
    # The progress-only last line (step 9 again, no loss) adds nothing and repeats nothing.
    assert run.warnings == []
    assert run.meta["max_steps"] == 9 and run.meta["in_progress"] is False


def test_llama_factory_log_without_losses() -> None:
    run = jsonl.load(QWEN)
    assert run.curves() == [("train", "throughput"), ("train", "total_tokens")]
    assert run.meta["in_progress"] is False
    assert run.series("train", "throughput")["wall_time"].tolist() == [1 * 3600 + 39 * 60 + 39]


def test_detectron2_metrics_json_is_json_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"data_time": 0.01, "iteration": 19, "lr": 0.0002, "total_loss": 2.5,
                    "loss_cls": 1.1, "time": 0.3}),
        json.dumps({"iteration": 39, "lr": 0.0004, "total_loss": 2.1, "loss_cls": 0.9}),
        json.dumps({"bbox/AP": 12.5, "iteration": 39}),
    ]
    path = write(tmp_path, lines, name="metrics.json")
    assert detect_format(path) == "jsonl"
    assert detect_format(tmp_path) == "jsonl"
    run = load_run(path)
    assert run.series("train", "loss")["value"].tolist() == [2.5, 2.1]  # total_loss
    # detectron2's COCO evaluator: an evaluation, its overall AP the mAP curve
    assert run.series("eval", "map")["value"].tolist() == [12.5]
    assert ("train", "bbox/ap") not in run.curves()
    # run.yaml's metric_names says what the rules cannot know.
    (tmp_path / "run.yaml").write_text("metric_names: {bbox/AP: eval/ap}\n"
                                       "higher_is_better: {ap: true}\n")
    run = load_run(path)
    assert run.series("eval", "ap")["value"].tolist() == [12.5]
    assert run.meta["higher_is_better"] == {"ap": True}


def test_nested_objects_and_text_values(tmp_path: Path) -> None:
    path = write(tmp_path, ['{"step": 1, "train": {"loss": 2.0}, "eval": {"loss": 2.5}, '
                            '"mode": "train", "done": false}'])
    run = jsonl.load(path)
    assert run.curves() == [("train", "loss"), ("eval", "loss")]
    assert run.warnings == ["values that are not numbers skipped: 'done' (1 value), 'mode' "
                            "(1 value)"]


def test_null_values_are_not_values_and_not_a_warning(tmp_path: Path) -> None:
    # LLaMA-Factory writes null for what a record does not hold (its closing record's loss)
    path = write(tmp_path, ['{"current_steps": 10, "total_steps": 20, "loss": 1.5, '
                            '"eval_loss": null}',
                            '{"current_steps": 20, "total_steps": 20, "loss": null, '
                            '"eval_loss": null}'])
    run = jsonl.load(path)
    assert run.series("train", "loss")["value"].tolist() == [1.5]
    assert run.warnings == []


def test_cut_last_line_is_in_progress(tmp_path: Path) -> None:
    path = write(tmp_path, ['{"step": 1, "loss": 2.0}', '{"step": 2, "loss": 1.9}',
                            '{"step": 3, "lo'], end="")
    run = jsonl.load(path)
    assert run.series("train", "loss")["step"].tolist() == [1, 2]
    assert run.meta["in_progress"] is True
    assert run.warnings == [
        "the last line (3) is not complete JSON: the run is still writing the log, or it was "
        "copied while being written; that line was left out"
    ]


@pytest.mark.parametrize(("last", "in_progress"), [
    # a real LLaMA-Factory log (audited): its total counts one step more than 7 epochs hold
    ('{"current_steps": 6565, "total_steps": 6566, "epoch": 7.0}', False),
    ('{"current_steps": 6565, "total_steps": 6566, "epoch": 6.99}', True),
    ('{"current_steps": 6564, "total_steps": 6566, "epoch": 7.0}', True),
])
def test_one_step_short_at_a_whole_epoch_is_finished(tmp_path: Path, last: str,
                                                      in_progress: bool) -> None:
    path = write(tmp_path, ['{"current_steps": 6560, "total_steps": 6566, "loss": 0.37, '
                            '"epoch": 6.9952}', last])
    run = jsonl.load(path)
    assert run.meta["in_progress"] is in_progress
    assert any("stops at step" in w for w in run.warnings) is in_progress


def test_stopping_short_of_total_steps_is_in_progress(tmp_path: Path) -> None:
    path = write(tmp_path, ['{"current_steps": 5, "total_steps": 100, "loss": 2.0}'])
    run = jsonl.load(path)
    assert run.meta["in_progress"] is True
    assert run.warnings == ["the log stops at step 5 of 100: the run is still in progress, or it "
                            "stopped early"]


def test_resumed_log_repeats_steps(tmp_path: Path) -> None:
    lines = [json.dumps({"step": s, "loss": 1.0 / s}) for s in (1, 2, 3)]
    lines += [json.dumps({"step": s, "loss": 2.0 / s}) for s in (2, 3, 4)]
    run = jsonl.load(write(tmp_path, lines))
    assert run.series("train", "loss")["value"].tolist() == [1.0, 1.0, 2 / 3, 0.5]
    assert run.warnings == [
        "2 values logged again, changed, for the same step, split and metric (steps 2-3; train "
        "loss): a resumed run that repeated those steps, or several logs (or runs) written to "
        "one place; the later values were kept"
    ]


def test_epoch_only_lines(tmp_path: Path) -> None:
    lines = ['{"epoch": 0, "val_acc": 0.5}', '{"epoch": 1, "val_acc": 0.6}']
    run = jsonl.load(write(tmp_path, lines))
    assert run.series("eval", "accuracy")[["step", "value"]].values.tolist() == [[1, 0.5], [2, 0.6]]
    assert run.meta["step_unit"] == "epoch"


@pytest.mark.parametrize(
    ("lines", "pattern"),
    [
        (['{"step": 1, "loss": 2}', "not json", '{"step": 2, "loss": 1}'],
         r"line 2: is not valid JSON \(Expecting value\)"),
        (['{"step": 1, "loss": 2}', "[1, 2]", '{"step": 3}'], r"line 2: is a JSON list"),
        (['{"step": 1.5, "loss": 2}'], r"line 1: 'step' is 1\.5, not a whole number of steps"),
    ],
)
def test_broken_lines_are_errors(tmp_path: Path, lines: list[str], pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        jsonl.load(write(tmp_path, lines))


@pytest.mark.parametrize(
    ("lines", "detected"),
    [
        (['{"step": 1, "loss": 2}'], True),
        (['{"id": 1, "prediction": "x"}'], False),  # a predictions file: no step
        (['{"eval_loss": 1.0}'], False),
        (["step,loss", "1,2"], False),
    ],
)
def test_detection(tmp_path: Path, lines: list[str], detected: bool) -> None:
    assert jsonl.detect(write(tmp_path, lines)) is detected
