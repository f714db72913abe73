"""Tests of reportlib.present.tables: the evaluations table and the run facts.

All runs here are generated test data built with reportlib.run.make_scalars.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from reportlib.analysis import analyze_run
from reportlib.errors import ParameterError
from reportlib.present.tables import evaluations_table, run_facts_table
from reportlib.run import Run, make_scalars


def row(step, epoch, split, metric, value):
    return dict(step=step, epoch=epoch, split=split, metric=metric, value=value,
                source_key=f"{split}_{metric}")


def synthetic_run(rows, meta=None) -> Run:
    """Generated test data: a run from hand-written rows."""
    return Run(name="synthetic", path=Path("runs/synthetic"), format="hf_trainer",
               scalars=make_scalars(rows), meta=dict(meta or {}))


# Training loss every 10 steps from step 10; evaluations at steps 25 and 50 (generated).
ROWS = [
    row(10, 0.2, "train", "loss", 3.0),
    row(20, 0.4, "train", "loss", 2.5),
    row(25, 0.5, "eval", "loss", 2.8),
    row(25, 0.5, "eval", "chrf", 4.0),
    row(25, 0.5, "eval", "bleu", 1.0),
    row(25, 0.5, "eval", "runtime", 3.2),
    row(25, 0.5, "eval", "samples_per_second", 10.0),
    row(30, 0.6, "train", "loss", 2.2),
    row(40, 0.8, "train", "loss", 2.0),
    row(50, 1.0, "train", "loss", 1.9),
    row(50, 1.0, "eval", "loss", 2.4),
    row(50, 1.0, "eval", "chrf", 6.0),
    row(50, 1.0, "eval", "bleu", 2.0),
]


@pytest.mark.parametrize("source", ["run", "analysis"])
def test_evaluations_table_like_hf_training_results(source: str) -> None:
    run = synthetic_run(ROWS)
    table = evaluations_table(run if source == "run" else analyze_run(run))
    assert list(table.columns) == ["Training Loss", "Epoch", "Step", "Validation Loss",
                                   "BLEU", "chrF"]
    assert table["Step"].tolist() == [25, 50]
    # the last training loss logged at or before the evaluation's step (20 -> 2.5, 50 -> 1.9)
    assert table["Training Loss"].tolist() == [2.5, 1.9]
    assert table["Validation Loss"].tolist() == [2.8, 2.4]
    assert table["chrF"].tolist() == [4.0, 6.0]
    assert table["Epoch"].tolist() == [0.5, 1.0]


def test_evaluations_table_before_any_training_loss_and_without_eval_loss() -> None:
    run = synthetic_run([row(5, 0.1, "eval", "accuracy", 0.5),
                         row(10, 0.2, "train", "loss", 3.0),
                         row(10, 0.2, "eval", "accuracy", 0.6)])
    table = evaluations_table(run)
    assert math.isnan(table["Training Loss"].iloc[0])  # HF writes "No log" here
    assert table["Training Loss"].iloc[1] == 3.0
    assert table["Validation Loss"].isna().all()
    assert table["accuracy"].tolist() == [0.5, 0.6]


def test_evaluations_table_keeps_non_finite_values() -> None:
    run = synthetic_run([row(10, 1.0, "eval", "loss", float("nan")),
                         row(20, 2.0, "eval", "loss", float("inf"))])
    values = evaluations_table(run)["Validation Loss"].tolist()
    assert math.isnan(values[0]) and values[1] == math.inf


def test_evaluations_table_empty() -> None:
    table = evaluations_table(synthetic_run([row(10, 0.2, "train", "loss", 3.0)]))
    assert table.empty
    assert list(table.columns) == ["Training Loss", "Epoch", "Step", "Validation Loss"]


def test_evaluations_table_two_names_for_one_display_name() -> None:
    run = synthetic_run([row(10, 1.0, "eval", "acc", 0.5), row(10, 1.0, "eval", "accuracy", 0.6)])
    table = evaluations_table(run)
    assert {"accuracy", "acc"} <= set(table.columns)
    assert len(set(table.columns)) == len(table.columns)


def test_evaluations_table_rejects_other_types() -> None:
    with pytest.raises(ParameterError, match="takes a RunAnalysis or a Run, got DataFrame"):
        evaluations_table(pd.DataFrame())


def test_run_facts_table() -> None:
    meta = {
        "title": "Tiny GPT-2, 10 epochs",
        "model": {"name": "gpt2-tiny", "n_layer": 2},
        "dataset": {"name": "stdlib-functions", "size": 500, "train_size": 450, "eval_size": 50},
        "num_train_epochs": 1,
        "global_step": 50,
        "seed": 1234,
        "notes": "generated for a test",
    }
    run = synthetic_run(ROWS, meta)
    facts = dict(run_facts_table(run, analyze_run(run), smoothing=0.3).to_numpy().tolist())
    assert facts["Title"] == "Tiny GPT-2, 10 epochs"
    assert facts["Model"] == "gpt2-tiny"
    assert facts["Dataset"] == "stdlib-functions"
    assert facts["Training examples"] == "450 (from dataset.train_size)"  # meta without sources
    assert facts["Evaluation examples"] == "50 (from dataset.eval_size)"
    # What ran (the last logged epoch), not the plan; here the plan (num_train_epochs: 1) agrees.
    assert facts["Epochs"] == "1 (from the last logged epoch)"
    assert facts["Steps"] == "50 (from global_step)"
    assert facts["Evaluations"] == "2"
    assert facts["Logged values"] == f"{len(ROWS)} in 6 curves"
    assert facts["Best checkpoint"] == "step 50 (epoch 1), by validation loss (validation loss " \
                                       "and chrF agree)"
    assert facts["Seed"] == "1234"
    assert facts["Path"] == str(Path("runs/synthetic"))
    assert facts["Smoothing"] == "TensorBoard EMA, weight 0.3"


def test_run_facts_table_leaves_out_unknown_facts() -> None:
    run = synthetic_run([row(10, float("nan"), "train", "loss", 3.0)])
    facts = run_facts_table(run, analyze_run(run))
    assert list(facts.columns) == ["Fact", "Value"]
    assert "Model" not in facts["Fact"].tolist()
    assert "Best checkpoint" not in facts["Fact"].tolist()
    assert facts["Fact"].tolist()[:2] == ["Run", "Steps"]


@pytest.mark.parametrize("rows, kept, dropped", [
    # Only accuracy logged: the never-filled Validation Loss and Training Loss columns go.
    ([row(10, 1.0, "eval", "accuracy", 0.5), row(20, 2.0, "eval", "accuracy", 0.6)],
     ["Step", "accuracy"], ["Validation Loss", "Training Loss"]),
    # A logged NaN is a value: its column stays even with nothing else in it.
    ([row(10, 1.0, "eval", "loss", float("nan")), row(10, 1.0, "eval", "accuracy", 0.5)],
     ["Validation Loss", "accuracy"], ["Training Loss"]),
])
def test_evaluations_table_drops_empty_columns_when_asked(rows, kept, dropped) -> None:
    run = synthetic_run(rows)
    table = evaluations_table(run, drop_empty=True)
    assert set(kept) <= set(table.columns)
    assert not set(dropped) & set(table.columns)
    assert set(dropped) <= set(evaluations_table(run).columns)  # kept by default (model card)


@pytest.mark.parametrize(
    ("test_rows", "expected"),
    [
        ([(900, 9.0, "test", "loss", 0.52), (900, 9.0, "test", "accuracy", 0.79)],
         "loss 0.520, accuracy 0.790, at step 900 (epoch 9)"),
        ([(900, math.nan, "test", "loss", 0.52), (950, math.nan, "test", "bleu", 13.3),
          (950, math.nan, "test", "runtime", 12.5)],
         "loss 0.520 at step 900; BLEU 13.3 at step 950"),
    ],
)
def test_test_split_is_a_fact_not_a_curve_point(test_rows, expected) -> None:
    run = synthetic_run(ROWS + [row(*r) for r in test_rows])
    analysis = analyze_run(run)
    facts = dict(run_facts_table(run, analysis).itertuples(index=False))
    assert facts["Test"] == expected
    # A test score after training is not a training step, nor an evaluation.
    assert analysis.total_steps == max(r["step"] for r in ROWS)
    assert analysis.n_evaluations == analyze_run(synthetic_run(ROWS)).n_evaluations


def test_a_log_without_steps_says_what_its_steps_are() -> None:
    """A Keras CSVLogger file counts epochs only (a real one from tests/data): 'Steps: 10
    (from the last logged step)' read as ten optimizer steps."""
    from reportlib import load_run

    run = load_run(Path(__file__).parent / "data" / "keras" / "AbijithT__Lung-Cancer-Detection")
    facts = dict(run_facts_table(run, analyze_run(run)).to_numpy().tolist())
    assert facts["Steps"] == ("10 (the log counts no steps: step N in this report is the N-th "
                              "epoch logged)")
    assert facts["Epochs"] == "10 (from training_log.csv: epochs 0-9, counted from 0)"
