"""Tests of reportlib.ingest.run_facts: run facts read where runs put them, with sources.

Issue 11, pattern 10: "Training ran 2 epochs" for a checkpoint at epoch 1.23 of a
2-epoch plan; "training-set size is not known" while hparams.yaml said
``train_examples: 450`` or the printed log's first line ``train examples=450``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reportlib.analysis import analyze_run
from reportlib.ingest import load_run
from reportlib.ingest.run_facts import (
    SOURCES,
    config_facts,
    find_key,
    hf_trainer_facts,
    set_fact,
    text_facts,
)
from reportlib.present.tables import run_facts_table

DATA = Path(__file__).parent / "data"
GPTTT = DATA / "lightning" / "pl_hparams_yaml__BvoJa__GPTTT__lightning_logs_version_0_hparams.yaml"
GPTTT_METRICS = (DATA / "lightning"
                 / "pl_metrics_csv__BvoJa__GPTTT__lightning_logs_version_0_metrics.csv")
TINY = Path(__file__).parent.parent / "runs" / "tiny-codegen"


@pytest.mark.parametrize(
    ("config", "fact", "value", "source"),
    [
        ({"train_examples": 450}, "train_size", 450, "hparams.yaml: train_examples"),
        ({"n_train": "1,200"}, "train_size", 1200, "hparams.yaml: n_train"),
        ({"cfg": {"data": {"num_train_samples": 90}}}, "train_size", 90,
         "hparams.yaml: cfg.data.num_train_samples"),
        # the shallower key wins over a nested one
        ({"train_size": 10, "cfg": {"train_examples": 20}}, "train_size", 10,
         "hparams.yaml: train_size"),
        ({"val_examples": 50}, "eval_size", 50, "hparams.yaml: val_examples"),
        ({"trainer": {"max_epochs": 2}}, "epochs_planned", 2.0, "hparams.yaml: trainer.max_epochs"),
        ({"max_steps": 500}, "steps_planned", 500, "hparams.yaml: max_steps"),
    ],
)
def test_config_facts_read_sizes_and_plans(
    config: dict[str, Any], fact: str, value: Any, source: str
) -> None:
    meta: dict[str, Any] = {}
    config_facts(meta, config, "hparams.yaml")
    assert meta[fact] == value
    assert meta[SOURCES][fact] == source


@pytest.mark.parametrize(
    "config",
    [
        {"batch_size": 64, "block_size": 256},  # not sizes of the set
        {"max_steps": -1},  # "not set"
        {"train_size": True},
        {"train_size": 0.8},  # a split fraction, not a count
        {"train_examples": None},
        {"a": {"b": {"c": {"d": {"e": {"train_size": 5}}}}}},  # deeper than MAX_DEPTH
        ["train_size", 450],
    ],
)
def test_config_facts_ignore_what_is_not_a_count(config: Any) -> None:
    meta: dict[str, Any] = {}
    config_facts(meta, config, "hparams.yaml")
    assert meta == {}


def test_real_nested_hparams() -> None:
    """GPTTT's hparams.yaml nests trainer settings under cfg.trainer (real file)."""
    import yaml

    values = yaml.safe_load(GPTTT.read_text())
    meta: dict[str, Any] = {}
    config_facts(meta, values, "hparams.yaml")
    assert meta["steps_planned"] == values["cfg"]["trainer"]["max_steps"]
    assert meta[SOURCES]["steps_planned"] == "hparams.yaml: cfg.trainer.max_steps"
    assert "train_size" not in meta  # batch_size and block_size are not the set's size


def test_find_key_prefers_names_in_order() -> None:
    assert find_key({"n_train": 1, "train_examples": 2}, ("train_examples", "n_train")) == (
        2, "train_examples")
    assert find_key({}, ("x",)) is None


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["train examples=450 val examples=50", "iter 0: loss 2.0"],
         {"train_size": 450, "eval_size": 50}),
        (["Training set size: 12,000"], {"train_size": 12000}),
        # the Trainer's INFO block: Num examples is the training set's, then the eval set's
        (["***** Running training *****", "  Num examples = 450", "  Num Epochs = 10",
          "  Total optimization steps = 570", "***** Running Evaluation *****",
          "  Num examples = 50"],
         {"train_size": 450, "epochs_planned": 10, "steps_planned": 570, "eval_size": 50}),
        # a Num examples outside a known block says nothing
        (["  Num examples = 450"], {}),
        # behind the logging prefix transformers adds at INFO level
        (["[INFO|trainer.py:2314] 2024-05-01 >> ***** Running training *****",
          "[INFO|trainer.py:2315] 2024-05-01 >>   Num examples = 1,200"], {"train_size": 1200}),
        # not whole counts: a split fraction, "1.5k", a throughput
        (["train_size: 0.8", "train examples=1.5k", "train_samples_per_second: 20.5"], {}),
    ],
)
def test_text_facts(lines: list[str], expected: dict[str, Any]) -> None:
    meta: dict[str, Any] = {}
    text_facts(meta, lines, "train.log")
    assert {k: v for k, v in meta.items() if k != SOURCES} == expected
    for fact in expected:
        assert meta[SOURCES][fact].startswith("train.log line ")


def test_text_facts_only_read_the_header() -> None:
    from reportlib.ingest.run_facts import HEADER_LINES

    meta: dict[str, Any] = {}
    text_facts(meta, ["x"] * HEADER_LINES + ["train examples=450"], "train.log")
    assert meta == {}


def test_set_fact_keeps_the_first() -> None:
    meta: dict[str, Any] = {}
    assert set_fact(meta, "train_size", 450, "a")
    assert not set_fact(meta, "train_size", 500, "b")
    assert (meta["train_size"], meta[SOURCES]["train_size"]) == (450, "a")


def _state(epoch: float, planned: int, step: int, max_steps: int, **extra: Any) -> dict[str, Any]:
    return {"epoch": epoch, "num_train_epochs": planned, "global_step": step,
            "max_steps": max_steps, **extra}


def test_hf_checkpoint_says_what_ran_and_what_was_planned(tmp_path: Path) -> None:
    """Regression: a checkpoint at epoch 1.23 of a 2-epoch plan was said to have run 2."""
    log = [{"epoch": 0.62, "loss": 2.0, "step": 100}, {"epoch": 1.23, "loss": 1.5, "step": 200}]
    state = {**_state(1.23, 2, 200, 326), "log_history": log}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state))
    run = load_run(tmp_path)
    assert (run.meta["epochs_run"], run.meta["epochs_planned"]) == (1.23, 2.0)
    facts = dict(run_facts_table(run, analyze_run(run)).to_numpy().tolist())
    assert facts["Epochs"] == ("1.23 of 2 planned (from trainer_state.json: epoch; "
                               "trainer_state.json: num_train_epochs)")
    assert facts["Steps"] == ("200 of 326 planned (from trainer_state.json: global_step; "
                              "trainer_state.json: max_steps)")


@pytest.mark.parametrize(
    ("summary", "batch", "expected"),
    [
        # throughput x runtime / epochs: 20.5 samples/s for 219.5 s over 10 epochs
        ({"train_samples_per_second": 20.5, "train_runtime": 219.5}, None,
         (round(20.5 * 219.5 / 10), "train_samples_per_second x train_runtime", "about")),
        # no summary (a checkpoint): batch x the steps it took per epoch, an upper bound
        ({}, 8, (8 * 570 // 10, "train_batch_size x global_step", "at most")),
        ({}, None, None),
    ],
)
def test_hf_size_estimate(summary: dict[str, float], batch: int | None, expected: Any) -> None:
    meta = _state(10.0, 10, 570, 570, train_summary=summary)
    if batch is not None:
        meta["train_batch_size"] = batch
    hf_trainer_facts(meta, "trainer_state.json")
    if expected is None:
        assert "train_size_estimate" not in meta
    else:
        assert meta["train_size_estimate"]["value"] == expected[0]
        assert meta["train_size_estimate"]["how"].startswith(expected[1])
        assert meta["train_size_estimate"]["bound"] == expected[2]


def test_real_run_estimate_matches_its_run_yaml(tmp_path: Path) -> None:
    """runs/tiny-codegen: run.yaml says 450 training examples; the estimate agrees."""
    shutil.copy(TINY / "trainer_state.json", tmp_path / "trainer_state.json")
    run = load_run(tmp_path)
    yaml_size = load_run(TINY).meta["dataset"]["train_size"]
    assert run.meta["train_size_estimate"]["value"] == yaml_size
    facts = dict(run_facts_table(run, analyze_run(run)).to_numpy().tolist())
    assert facts["Training examples"] == (
        f"about {yaml_size} (an estimate: train_samples_per_second x train_runtime / "
        "epoch (the epochs it trained), from trainer_state.json)")


def test_a_run_cut_short_estimates_from_the_steps_and_epochs_it_took(tmp_path: Path) -> None:
    """As an audited TrOCR run: stopped at step 1400 (epoch 13.46) of max_steps 10000, with
    num_train_epochs 97 (rounded up): 8 x 1400 / 13.46 = 832, not 8 x 10000 / 97 = 825,
    which is not an upper bound. The example run's state, edited here to that shape."""
    state = json.loads((TINY / "trainer_state.json").read_text(encoding="utf-8"))
    state["log_history"] = [e for e in state["log_history"] if "train_runtime" not in e]
    state.update(global_step=1400, epoch=13.4615, max_steps=10000, num_train_epochs=97,
                 train_batch_size=8)
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    estimate = load_run(tmp_path).meta["train_size_estimate"]
    assert estimate["value"] == round(8 * 1400 / 13.4615) == 832
    assert estimate["how"].startswith("train_batch_size x global_step / epoch (the epochs it "
                                      "trained)")


def test_a_run_stopped_by_max_steps_divides_by_the_epochs_it_trained(tmp_path: Path) -> None:
    """As an audited public Whisper run: max_steps stopped it at epoch 12.22 while
    num_train_epochs (rounded up by the Trainer) says 13. The example run's state,
    edited here to that shape: the estimate divides by 12.22."""
    state = json.loads((TINY / "trainer_state.json").read_text(encoding="utf-8"))
    summary = next(e for e in state["log_history"] if "train_runtime" in e)
    state.update(epoch=12.22, num_train_epochs=13, max_steps=state["global_step"])
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    estimate = load_run(tmp_path).meta["train_size_estimate"]
    expected = summary["train_samples_per_second"] * summary["train_runtime"] / 12.22
    assert estimate["value"] == round(expected)
    assert estimate["how"] == ("train_samples_per_second x train_runtime / epoch (the epochs "
                               "it trained)")


def test_lightning_hparams_give_the_training_set_size(tmp_path: Path) -> None:
    """Regression: hparams.yaml's train_examples: 450 was not read."""
    shutil.copy(GPTTT_METRICS, tmp_path / "metrics.csv")
    (tmp_path / "hparams.yaml").write_text("train_examples: 450\nval_examples: 50\n")
    run = load_run(tmp_path)
    analysis = analyze_run(run)
    assert analysis.dataset["train_size"] == 450
    assert not any("size is not known" in f.message for f in analysis.findings)
    facts = dict(run_facts_table(run, analysis).to_numpy().tolist())
    assert facts["Training examples"] == "450 (from hparams.yaml: train_examples)"
    assert facts["Evaluation examples"] == "50 (from hparams.yaml: val_examples)"


def test_printed_log_header_gives_the_training_set_size(tmp_path: Path) -> None:
    """Regression: the log's first line `train examples=450` was not read."""
    (tmp_path / "train.log").write_text(
        "train examples=450\niter 0: loss 4.0\niter 10: loss 3.0\niter 20: loss 2.5\n")
    run = load_run(tmp_path / "train.log")
    assert run.meta["train_size"] == 450
    assert run.meta[SOURCES]["train_size"] == "train.log line 1: train examples=450"


def test_an_early_stopped_run_estimates_from_the_samples_of_a_step(tmp_path: Path) -> None:
    """As an audited Whisper run stopped early at step 1500 (epoch 1.36) of max_steps 10990:
    the Trainer's throughput counts the samples of all 10990 steps, so dividing it by 1.36
    epochs made the set 7x too large. The example run's state, edited to that shape."""
    state = json.loads((TINY / "trainer_state.json").read_text(encoding="utf-8"))
    summary = next(e for e in state["log_history"] if "train_runtime" in e)
    summary.update(train_samples_per_second=12.276, train_runtime=28624.6)
    state.update(global_step=1500, epoch=1.36, max_steps=10990, num_train_epochs=10)
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    estimate = load_run(tmp_path).meta["train_size_estimate"]
    assert estimate["value"] == round(12.276 * 28624.6 / 10990 * 1500 / 1.36)
    assert estimate["how"].startswith("train_samples_per_second x train_runtime / max_steps")
