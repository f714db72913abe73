"""Tests of reportlib.ingest.run_yaml: reading, checking and merging a run folder's run.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportlib.errors import InputError
from reportlib.ingest.run_yaml import RUN_YAML, apply_run_yaml, read_run_yaml
from reportlib.run import Run

# The schema the example runs use (runs/*/run.yaml).
FULL = """\
title: "Tiny GPT-2 on stdlib functions, 10 epochs"
model: {name: gpt2-tiny, architecture: GPT2LMHeadModel, parameters: 712345, n_layer: 2}
dataset: {name: "python-stdlib-functions", size: 500, train_size: 450, eval_size: 50}
epochs: 10
seed: 1234
learning_rate: 0.001
wall_time_seconds: 183.2
notes: "A tiny randomly initialised model trained on CPU."
generated_by: "runs/make_runs.py --run tiny-codegen"
hardware: {cpu_threads: 1}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / RUN_YAML
    path.write_text(text, encoding="utf-8")
    return path


def test_full_schema(tmp_path: Path) -> None:
    got = read_run_yaml(write(tmp_path, FULL))
    assert got == {
        "title": "Tiny GPT-2 on stdlib functions, 10 epochs",
        "model": {
            "name": "gpt2-tiny",
            "architecture": "GPT2LMHeadModel",
            "parameters": 712345,
            "n_layer": 2,
        },
        "dataset": {
            "name": "python-stdlib-functions",
            "size": 500,
            "train_size": 450,
            "eval_size": 50,
        },
        "epochs": 10,
        "seed": 1234,
        "learning_rate": 0.001,
        "wall_time_seconds": 183.2,
        "notes": "A tiny randomly initialised model trained on CPU.",
        "generated_by": "runs/make_runs.py --run tiny-codegen",
        "hardware": {"cpu_threads": 1},  # unknown keys are kept as written
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model: gpt2\n", {"model": {"name": "gpt2"}}),
        ("dataset: kde4\n", {"dataset": {"name": "kde4"}}),
        ("dataset: {size: 500.0}\n", {"dataset": {"size": 500}}),
        # YAML 1.1 reads 1e-3 (no dot) as text: it is plainly a number.
        ("learning_rate: 1e-3\n", {"learning_rate": 0.001}),
        ("wall_time_seconds: '12'\n", {"wall_time_seconds": 12.0}),
        ("epochs: 2.5\n", {"epochs": 2.5}),  # the Trainer accepts fractional epochs
        ("epochs: 3.0\n", {"epochs": 3}),
        ("# only a comment\n", {}),
        ("", {}),
        ("   \n", {}),
        ("\ufefftitle: with a byte-order mark\n", {"title": "with a byte-order mark"}),
    ],
)
def test_values_are_normalised(tmp_path: Path, text: str, expected: dict) -> None:
    assert read_run_yaml(write(tmp_path, text)) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            'title: ok\nseed: 1\nnotes: "unterminated\n',
            r"run\.yaml: line 4, column 1: is not valid YAML",
        ),
        ("title: ok\nmodel: [a, b\nseed: 2\n", r"run\.yaml: line 3, column 5: is not valid YAML"),
        ("- title\n- model\n", r"run\.yaml: is a YAML list, not a mapping.*'title: My run'"),
        ("just some words\n", r"is a YAML text, not a mapping"),
        ("1: one\n", r"key 1: key 1 is not text"),
        ("title: 2024\n", r"key 'title': is a number \(2024\), not text\. Write it as quoted text"),
        ("notes: [a, b]\n", r"key 'notes': is a list"),
        ("model: 3\n", r"key 'model': is a number, not a name or a mapping"),
        ("model: {name: 7}\n", r"key 'model\.name': is a number \(7\), not text"),
        ("model: {parameters: 1.5M}\n", r"key 'model\.parameters': is '1\.5M', not a whole number"),
        ("dataset: [a]\n", r"key 'dataset': is a list, not a name or a mapping"),
        (
            "dataset: {size: five}\n",
            r"key 'dataset\.size': is 'five', not a whole number >= 0\. "
            r"Write a count, e\.g\. size: 500",
        ),
        ("dataset: {train_size: 4.5}\n", r"key 'dataset\.train_size': is 4\.5, not a whole number"),
        ("dataset: {eval_size: -1}\n", r"key 'dataset\.eval_size': is -1, not a whole number >= 0"),
        ("dataset: {size: true}\n", r"key 'dataset\.size': is True, not a whole number"),
        ("epochs: ten\n", r"key 'epochs': is 'ten', not a number >= 0"),
        ("seed: 1.5\n", r"key 'seed': is 1\.5, not a whole number"),
        ("learning_rate: fast\n", r"key 'learning_rate': is 'fast', not a number"),
        ("learning_rate: .nan\n", r"key 'learning_rate': is nan, not a number"),
        ("wall_time_seconds: -3\n", r"key 'wall_time_seconds': is -3, not a number >= 0"),
        (
            "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 3\n",
            r"is a Git LFS pointer",
        ),
    ],
)
def test_wrong_values_raise_errors_naming_the_key(tmp_path: Path, text: str, match: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=match) as info:
        read_run_yaml(path)
    assert str(info.value).startswith(str(path) + ": ")
    assert "\n" not in str(info.value)


def make_run(**meta) -> Run:
    return Run(name="r", path=Path("r"), format="hf_trainer", meta=dict(meta))


def test_apply_merges_into_meta_and_records_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nepochs: 3\nmodel: gpt2\n")
    run = make_run(global_step=30)
    apply_run_yaml(run, tmp_path)
    assert run.meta == {"global_step": 30, "title": "T", "epochs": 3, "model": {"name": "gpt2"},
                        "sources": {"title": "run.yaml", "epochs": "run.yaml", "model": "run.yaml"}}
    assert run.input_files == [path]
    assert run.warnings == []
    assert run.name == "r"  # the title does not rename the run


def test_apply_without_run_yaml_changes_nothing(tmp_path: Path) -> None:
    run = make_run(global_step=30)
    apply_run_yaml(run, tmp_path)
    assert run.meta == {"global_step": 30} and run.input_files == [] and run.warnings == []


@pytest.mark.parametrize(
    ("text", "log_meta", "kept", "warned"),
    [
        ("global_step: 99\n", {"global_step": 30}, 30, True),  # the log wins
        ("global_step: 30\n", {"global_step": 30}, 30, False),  # agreeing is not news
    ],
)
def test_apply_keeps_the_logs_value_on_a_clash(
    tmp_path: Path, text: str, log_meta: dict, kept: int, warned: bool
) -> None:
    write(tmp_path, text)
    run = make_run(**log_meta)
    apply_run_yaml(run, tmp_path)
    assert run.meta["global_step"] == kept
    expected = ["run.yaml sets 'global_step' to 99 but the log says 30: the log's value is kept"]
    assert run.warnings == (expected if warned else [])


def test_apply_of_an_empty_file_warns(tmp_path: Path) -> None:
    write(tmp_path, "")
    run = make_run()
    apply_run_yaml(run, tmp_path)
    assert run.warnings == ["run.yaml is empty: no title, model or dataset facts from it"]
    assert run.input_files == [tmp_path / RUN_YAML]


def test_apply_raises_for_a_broken_file(tmp_path: Path) -> None:
    write(tmp_path, "dataset: {size: lots}\n")
    with pytest.raises(InputError, match=r"key 'dataset\.size'"):
        apply_run_yaml(make_run(), tmp_path)
