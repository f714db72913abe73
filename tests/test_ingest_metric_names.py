"""Tests of run.yaml's metric_names and higher_is_better (reportlib.ingest.metric_names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest import load_run


def run_folder(tmp_path: Path, run_yaml: str) -> Path:
    log = [{"step": 1, "loss": 2.0, "sacrebleu": 10.0, "custom": 0.5},
           {"step": 2, "loss": 1.8, "sacrebleu": 12.0, "eval_loss": 2.2}]
    (tmp_path / "log.jsonl").write_text("\n".join(json.dumps(r) for r in log) + "\n")
    (tmp_path / "run.yaml").write_text(run_yaml)
    return tmp_path


@pytest.mark.parametrize(
    ("mapping", "curve"),
    [
        ("sacrebleu: eval/bleu", ("eval", "bleu")),
        ("sacrebleu: {split: eval, metric: chrf}", ("eval", "chrf")),
        ("sacrebleu: train/bleu", ("train", "bleu")),
    ],
)
def test_metric_names_map_a_logged_name(tmp_path: Path, mapping: str, curve) -> None:
    run = load_run(run_folder(tmp_path, f"metric_names:\n  {mapping}\n"))
    assert run.series(*curve)["value"].tolist() == [10.0, 12.0]
    assert set(run.scalars.loc[run.scalars["metric"] == curve[1], "source_key"]) == {"sacrebleu"}
    assert ("train", "sacrebleu") not in run.curves()
    assert run.warnings == []


def test_a_mapped_name_onto_an_existing_curve_wins_where_steps_clash(tmp_path: Path) -> None:
    run = load_run(run_folder(tmp_path, "metric_names: {custom: eval/loss}\n"))
    series = run.series("eval", "loss")
    assert series[["step", "value"]].values.tolist() == [[1, 0.5], [2, 2.2]]
    run = load_run(run_folder(tmp_path, "metric_names: {custom: train/loss}\n"))
    assert run.series("train", "loss")["value"].tolist() == [0.5, 1.8]
    assert run.warnings == [
        "run.yaml metric_names put 1 value(s) on steps their new curve already had (step 1): the "
        "values of the mapped names were kept"
    ]


def test_unknown_names_are_said(tmp_path: Path) -> None:
    run = load_run(run_folder(tmp_path, "metric_names: {bleu_score: eval/bleu}\n"))
    assert run.warnings == [
        "run.yaml metric_names: 'bleu_score' matches no name in the log (its names: custom, "
        "eval_loss, loss, sacrebleu)"
    ]


def test_higher_is_better_is_checked_into_meta(tmp_path: Path) -> None:
    run = load_run(run_folder(tmp_path, "higher_is_better: {custom: true, loss: false}\n"))
    assert run.meta["higher_is_better"] == {"custom": True, "loss": False}


@pytest.mark.parametrize(
    ("run_yaml", "pattern"),
    [
        ("metric_names: [a, b]\n", r"key 'metric_names': is a list, not a mapping"),
        ("metric_names: {sacrebleu: bleu}\n",
         r"key 'metric_names\.sacrebleu': is 'bleu', not 'train/<metric>', 'eval/<metric>' "
         r"or 'test/<metric>'"),
        # test is a split now (a held-out score); a split that is none of the three is not.
        ("metric_names: {sacrebleu: holdout/bleu}\n",
         r"key 'metric_names\.sacrebleu': is 'holdout/"),
        ("metric_names: {sacrebleu: {split: eval}}\n", r"key 'metric_names\.sacrebleu'"),
        ("higher_is_better: yes\n", r"key 'higher_is_better': is a bool, not a mapping"),
        ("higher_is_better: {custom: 1}\n",
         r"key 'higher_is_better\.custom': is 1, not true or false"),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path: Path, run_yaml: str, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern) as info:
        load_run(run_folder(tmp_path, run_yaml))
    assert str(info.value).startswith(str(tmp_path / "run.yaml"))


def test_a_name_the_log_never_wrote_becomes_a_category(tmp_path: Path) -> None:
    """Regression: the names are categoricals; mapping to a new metric must not fail."""
    run = load_run(run_folder(tmp_path, "metric_names: {sacrebleu: eval/zz_new}\n"))
    for column in ("split", "metric"):
        categories = run.scalars[column].cat.categories.tolist()
        assert categories == sorted(set(run.scalars[column].astype(str))), column
    assert run.scalars["step"].tolist() == [1, 1, 1, 2, 2, 2]
    assert run.series("eval", "zz_new")["value"].tolist() == [10.0, 12.0]
