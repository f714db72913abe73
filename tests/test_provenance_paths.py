"""Shared outputs hold no absolute paths, and moving a project does not make reports stale."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reportlib.provenance import portable_parameters, portable_path, same_parameters, signature
from reportlib.run import Run


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("runs/a", "runs/a"),
        ("./runs/../runs/a", "runs/a"),
        (".", "."),
        ("{base}/runs/a/trainer_state.json", "runs/a/trainer_state.json"),
        ("/elsewhere/home/someone/run-7", "run-7"),  # outside the working folder: its name
        ("{base}/../sibling/run-8", "run-8"),
        ("{base}/../sibling/run-8/train.log", "run-8/train.log"),  # a file: after its folder
    ],
)
def test_portable_path_is_never_absolute(tmp_path: Path, path: str, expected: str) -> None:
    base = tmp_path / "project"
    base.mkdir()
    (tmp_path / "sibling" / "run-8").mkdir(parents=True)
    (tmp_path / "sibling" / "run-8" / "train.log").write_text("x")
    shown = portable_path(path.format(base=base), base=base)
    assert shown == expected
    assert not os.path.isabs(shown) and str(tmp_path) not in shown


def test_portable_path_defaults_to_the_working_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert portable_path(tmp_path / "runs" / "x") == "runs/x"


def test_signature_holds_no_absolute_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "runs" / "r1"
    folder.mkdir(parents=True)
    (folder / "log.csv").write_text("step,loss\n1,2.0\n")
    run = Run(name="r1", path=folder, format="csv", input_files=[folder / "log.csv"])
    provenance = signature(run, {"run_dir": str(folder.resolve()), "smoothing": 0.6})
    assert provenance["parameters"] == {"run_dir": "runs/r1", "smoothing": 0.6}
    assert provenance["input_files"] == ["log.csv"]
    assert str(tmp_path) not in json.dumps(provenance)


@pytest.mark.parametrize(
    ("recorded", "now", "same"),
    [
        # the project moved, or the command ran from elsewhere: still the same report
        ({"run_dir": "runs/r1", "smoothing": 0.6}, {"run_dir": "/new/place/runs/r1",
                                                     "smoothing": 0.6}, True),
        ({"run_dir": "r1", "smoothing": 0.6}, {"run_dir": "runs/r1", "smoothing": 0.6}, True),
        # an absolute path recorded by an older reportlib is compared by name too
        ({"run_dir": "/old/home/runs/r1", "smoothing": 0.6},
         {"run_dir": "runs/r1", "smoothing": 0.6}, True),
        ({"run_dir": "runs/r1", "smoothing": 0.6}, {"run_dir": "runs/r2", "smoothing": 0.6},
         False),
        ({"run_dir": "runs/r1", "smoothing": 0.6}, {"run_dir": "runs/r1", "smoothing": 0.0},
         False),
        ({"run_dir": "runs/r1"}, {"run_dir": "runs/r1", "smoothing": 0.6}, False),
    ],
)
def test_same_parameters_ignores_where_the_run_lies(recorded: dict, now: dict,
                                                   same: bool) -> None:
    assert same_parameters(recorded, now) is same


def test_portable_parameters_leaves_other_values_alone() -> None:
    assert portable_parameters({"smoothing": 0.6, "whitespace": False, "run_dir": "/x/y/z",
                                "run_dirs": ["/x/a", "/y/b"]}) == {
        "smoothing": 0.6, "whitespace": False, "run_dir": "z", "run_dirs": ["a", "b"]}


def test_summary_json_names_the_run_path_relative(tmp_path: Path, monkeypatch) -> None:
    from reportlib.analysis import analyze_run
    from reportlib.ingest import load_run
    from reportlib.summary import build_summary

    folder = tmp_path / "runs" / "r1"
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_text("epoch,step,train_loss\n0,1,2.0\n0,2,1.5\n0,3,1.2\n")
    monkeypatch.chdir(tmp_path)
    run = load_run(folder.resolve())
    summary = build_summary(run, analyze_run(run))
    assert summary["run"]["path"] == "runs/r1"
    assert str(tmp_path) not in json.dumps(summary)


def test_an_executed_notebook_keeps_no_absolute_path(tmp_path: Path, monkeypatch) -> None:
    """papermill's record (metadata and injected cell) made portable; the shape papermill writes."""
    from reportlib.provenance import portable_notebook

    monkeypatch.chdir(tmp_path)
    run_dir = str(tmp_path / "runs" / "r1")
    staging = "/elsewhere/out/r1/.building-x/analysis.pickle"
    data = {
        "metadata": {"papermill": {
            "input_path": "/home/someone/site-packages/reportlib/notebooks/training_report.ipynb",
            "output_path": "/elsewhere/out/r1/.building-x/.report.ipynb.tmp.ipynb",
            "parameters": {"run_dir": run_dir, "smoothing": 0.6, "result_file": staging}}},
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]},
             "source": ["# Parameters\n", f'run_dir = "{run_dir}"\n', "smoothing = 0.6\n",
                        f'result_file = "{staging}"\n']},
            {"cell_type": "code", "metadata": {}, "source": ["x = 1\n"]},
        ],
    }
    portable_notebook(data, name="report.ipynb")
    assert data["metadata"]["papermill"]["input_path"] == "training_report.ipynb"
    assert data["metadata"]["papermill"]["output_path"] == "report.ipynb"
    assert data["metadata"]["papermill"]["parameters"] == {
        "run_dir": "runs/r1", "smoothing": 0.6, "result_file": "analysis.pickle"}
    assert data["cells"][0]["source"] == ["# Parameters\n", 'run_dir = "runs/r1"\n',
                                          "smoothing = 0.6\n", 'result_file = "analysis.pickle"\n']
    assert data["cells"][1]["source"] == ["x = 1\n"]
    assert str(tmp_path) not in json.dumps(data) and "/elsewhere" not in json.dumps(data)
