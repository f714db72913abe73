"""One pipeline: every command gives the same answer about the same run.

``reportlib build`` writes summary.json from :func:`reportlib.analyze`, the
notebook reads the parent's result instead of analysing again, and
``summary --json`` and ``check`` call the same function. These tests hold the
commands to that on every example run and every real log in tests/data:
``summary --json`` equals the built summary.json (less the build's
provenance), and ``check --fail-on warning`` fails exactly when the report has
a warning or a critical finding.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import reportlib
from reportlib.cli import main
from reportlib.errors import InputError, ParameterError
from reportlib.pipeline import RunResult, analyze, load_result, save_result
from reportlib.present.settings import check_smoothing
from tests.conftest import EXAMPLE_DIR

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
#: Files in tests/data that are not a run on their own (notes, a run's side file).
NOT_RUNS = {"PROVENANCE.tsv"}


def _candidate_runs() -> list[Path]:
    """The example runs, each real log file of tests/data, and the MLflow run folder."""
    runs = sorted(p for p in (ROOT / "runs").iterdir() if p.is_dir())
    for path in sorted(DATA.rglob("*")):
        if "mlruns" in path.parts or not path.is_file() or path.name in NOT_RUNS:
            continue
        runs.append(path)
    runs += sorted(p.parent for p in (DATA / "mlflow").rglob("meta.yaml"))
    return runs


def _readable(paths: list[Path]) -> list[Path]:
    readable = []
    for path in paths:
        try:
            reportlib.load_run(path)
        except InputError:  # e.g. a Lightning hparams.yaml alone: not a run
            continue
        readable.append(path)
    return readable


RUNS = _readable(_candidate_runs())


def test_enough_runs_are_compared():
    # Both example runs and most of tests/data's real logs (a few are side files).
    assert len(RUNS) >= 18, RUNS


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """Each run copied into a folder of its own (one report folder per run, whatever its name)."""
    root = tmp_path_factory.mktemp("runs")
    placed = {}
    for number, path in enumerate(RUNS):
        folder = root / f"{number:02d}-{path.stem[:40]}"
        if path.is_dir():
            shutil.copytree(path, folder)
            placed[path] = folder
        else:
            folder.mkdir()
            placed[path] = Path(shutil.copy2(path, folder / path.name))
    return placed


@pytest.fixture(scope="module")
def built(copies, tmp_path_factory):
    """Every run built in one batch: run path's name (of its copy) -> its summary.json content.

    summary.json holds the run's path relative to the working folder, or its
    name (``folder/file`` for a log file) when outside, never absolute: each copy
    is found by its numbered folder.
    """
    out = tmp_path_factory.mktemp("all-reports")
    result = CliRunner().invoke(main, ["build", *map(str, copies.values()), "-o", str(out),
                                       "-j", "2", "--no-progress"])
    assert result.exit_code == 0, result.output
    summaries = {}
    for folder in out.iterdir():
        file = folder / "summary.json"
        if file.is_file():
            data = json.loads(file.read_text(encoding="utf-8"))
            summaries[_copy_folder(Path(data["run"]["path"]))] = data
    return summaries


def _copy_folder(path: Path) -> str:
    """The numbered folder (``07-...``) a copy of a run lies in, from any form of its path."""
    return next(part for part in path.parts if re.match(r"\d\d-", part))


def _cli_summary(path: Path) -> dict:
    result = CliRunner().invoke(main, ["summary", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.name[:60])
def test_summary_json_equals_the_built_report(built, copies, path):
    path = copies[path]
    report = built[_copy_folder(path)]
    printed = _cli_summary(path)
    assert set(report) - set(printed) == {"provenance"}  # the one key only a build knows
    for key in printed:
        assert printed[key] == report[key], key


@pytest.mark.slow
@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.name[:60])
def test_check_fails_exactly_when_the_report_warns(built, copies, path):
    path = copies[path]
    counts = built[_copy_folder(path)]["severity_counts"]
    result = CliRunner().invoke(main, ["check", str(path), "--fail-on", "warning"])
    warns = counts["warning"] + counts["critical"] > 0
    assert result.exit_code == (1 if warns else 0), result.output
    failed_lines = [ln for ln in result.stderr.splitlines() if "check failed" in ln]
    assert len(failed_lines) == counts["warning"] + counts["critical"]


@pytest.mark.slow
def test_relative_paths_give_the_same_answer(tmp_path, monkeypatch):
    """As a user types it, from the project folder: ``build runs/x`` and ``summary runs/x``."""
    monkeypatch.chdir(ROOT)
    relative = Path("runs") / "tiny-codegen"
    result = CliRunner().invoke(main, ["build", str(relative), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / EXAMPLE_DIR / "summary.json").read_text(encoding="utf-8"))
    report.pop("provenance")
    assert _cli_summary(relative) == report


def test_summary_scores_predictions_like_the_report(example_run):
    """The bug behind issue 10: summary --json printed scores: null for a run with predictions."""
    printed = _cli_summary(example_run)
    assert printed["scores"] is not None
    assert printed["scores"]["checkpoints"]
    assert printed == analyze(example_run).summary()


def test_analyze_accepts_a_loaded_run(example_run):
    run = reportlib.load_run(example_run)
    result = analyze(run)
    assert result.run is run and result.name == run.name
    assert result.summary() == analyze(example_run).summary()


def test_whitespace_changes_the_scores(example_run):
    ignored, counted = analyze(example_run), analyze(example_run, whitespace=True)
    assert ignored.scores.whitespace is False and counted.scores.whitespace is True
    assert counted.whitespace is True


def test_a_saved_result_is_read_back(example_run, tmp_path):
    result = analyze(example_run)
    saved = save_result(result, tmp_path / "result.pickle")
    again = analyze(example_run, result_file=saved)
    assert isinstance(again, RunResult)
    assert again.summary() == result.summary()


@pytest.mark.parametrize(
    ("log", "text", "fmt"),
    [
        ("training.log", "epoch,loss,val_loss\n0,1.0,1.2\n1,0.8,1.1\n", "keras_csv"),
        ("20240101_000000/vis_data/scalars.json",
         '{"lr": 0.1, "loss": 1.0, "epoch": 1, "step": 10}\n{"acc": 0.5, "step": 1}\n',
         "mmengine"),
    ],
)
def test_a_saved_result_of_a_folder_read_through_its_log_file(tmp_path, log, text, fmt):
    # Regression: a folder read through the log file in it (a Keras training.log, a
    # work_dir's vis_data/scalars.json) has that file as run.path; the build's saved
    # result must still be accepted for the folder it was asked for.
    folder = tmp_path / "run"
    (folder / log).parent.mkdir(parents=True)
    (folder / log).write_text(text)
    saved = save_result(analyze(folder), tmp_path / "result.pickle")
    assert analyze(folder, result_file=saved).run.format == fmt


@pytest.mark.parametrize(
    ("content", "ask", "message"),
    [
        (None, {}, "cannot read the saved analysis"),
        (b"not a pickle", {}, "cannot read the saved analysis"),
        ("other-run", {}, "the saved analysis is of"),
        ("same", {"whitespace": True}, r"whitespace=False\), not of .*whitespace=True"),
    ],
)
def test_a_wrong_saved_result_is_refused(example_run, overfit_run, tmp_path, content, ask,
                                         message):
    file = tmp_path / "result.pickle"
    if content == "other-run":
        save_result(analyze(overfit_run), file)
    elif content == "same":
        save_result(analyze(example_run), file)
    elif content is not None:
        file.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_result(file, source=example_run, whitespace=ask.get("whitespace", False))


@pytest.mark.parametrize("smoothing", [-0.1, 1.0, 2, "0.6", True, float("nan")])
def test_bad_smoothing_is_refused_by_the_drawing_settings(smoothing):
    with pytest.raises(ParameterError, match=r"smoothing must be a number in \[0, 1\)"):
        check_smoothing(smoothing)


def test_smoothing_is_not_an_input_of_the_analysis():
    import inspect

    from reportlib.analysis import analyze_run

    assert "smoothing" not in inspect.signature(analyze_run).parameters
    assert "smoothing" not in inspect.signature(analyze).parameters
    assert not hasattr(analyze(ROOT / "runs" / "tiny-codegen").analysis, "smoothing")


def test_a_named_run_read_through_its_log_file_hands_its_result_over(tmp_path):
    """A batch names the runs it found; a folder read through the one log in it must still
    match the result the build hands to its notebook (the folder was asked for)."""
    folder = tmp_path / "keras-run"
    folder.mkdir()
    log = DATA / "keras" / "keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log"
    shutil.copy2(log, folder / "training.log")
    result = analyze(folder, name="chosen by the batch")
    assert result.name == "chosen by the batch"
    saved = save_result(result, tmp_path / "result.pickle")
    assert load_result(saved, source=folder, whitespace=False).summary() == result.summary()
