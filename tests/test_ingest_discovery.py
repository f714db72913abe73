"""Tests of run discovery: which runs a path holds, how files group, what runs are called.

The fixture tree is generated here (:func:`make_tree`), not copied from real
runs: small files in the layouts each tool writes (detectron2's output/,
MLflow's mlruns/ with two experiments and a run without meta.yaml, Lightning's
lightning_logs/version_N/, a Trainer output_dir with checkpoints, two nanoGPT
text logs in one folder), next to what is not a run (a README, a notes file
quoting a log line, .git/, a virtualenv, weights).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from reportlib.errors import FormatNotRecognisedError, InputError
from reportlib.ingest import (
    FORMATS,
    discover,
    discover_all,
    discover_runs,
    load_run,
    load_source,
    select_runs,
    text_log,
)
from reportlib.ingest import discovery as discovery_module
from tests.conftest import build_in_this_process

NANOGPT_LINE = "iter {i}: loss {loss:.4f}, time 35.12ms, mfu 12.34%\n"
RUN_IDS = ("a" * 32, "b" * 32, "c" * 32)


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _mlflow_run(folder: Path, *, run_name: str | None, meta: bool = True) -> None:
    if meta:
        _write(folder / "meta.yaml", f"run_id: {folder.name}\nexperiment_id: '0'\nstatus: 3\n"
               "start_time: 1000\nend_time: 5000\n")
    _write(folder / "metrics" / "loss", "1700000000000 2.5 0\n1700000001000 1.5 1\n")
    _write(folder / "params" / "lr", "0.001")
    if run_name is not None:
        _write(folder / "tags" / "mlflow.runName", run_name)


def _state(steps: tuple[int, ...]) -> str:
    history = [{"loss": 2.0 / (i + 1), "step": s, "epoch": i + 1.0} for i, s in enumerate(steps)]
    return json.dumps({"log_history": history, "global_step": steps[-1]})


def make_tree(root: Path) -> Path:
    """Generate the mixed tree the tests discover (see the module docstring)."""
    _write(root / "README.md", "Our runs. A good one printed:\n"
           + NANOGPT_LINE.format(i=100, loss=1.5))
    _write(root / "notes.txt", "Meeting notes.\nBest so far:\n"
           + NANOGPT_LINE.format(i=100, loss=1.5) + "Try a lower lr next.\n" * 3)
    # detectron2: the log is one level down, beside the weights
    out = root / "det-project" / "output"
    _write(out / "metrics.json", "".join(
        json.dumps({"iteration": i, "total_loss": 1.0 / (i + 1), "lr": 0.01}) + "\n"
        for i in range(0, 60, 20)))
    _write(out / "model_final.pth", b"\x80\x02weights")
    _write(root / "det-project" / "train_net.py", "print('train')\n")
    _write(root / "data" / "train.parquet", b"PAR1")
    # MLflow: two experiments, a runName shared across them, a run without meta.yaml
    mlruns = root / "tracking" / "mlruns"
    _write(mlruns / "0" / "meta.yaml", "experiment_id: '0'\nname: Default\n")
    _write(mlruns / "1" / "meta.yaml", "experiment_id: '1'\nname: sweep\n")
    _mlflow_run(mlruns / "0" / RUN_IDS[0], run_name="baseline")
    _mlflow_run(mlruns / "1" / RUN_IDS[1], run_name="baseline")
    _mlflow_run(mlruns / "1" / RUN_IDS[2], run_name=None, meta=False)
    # Lightning: two versions, one named in its hparams
    for version, hparams in ((0, "lr: 0.1\nrun_name: lit-small\n"), (1, "lr: 0.2\n")):
        folder = root / "lit" / "lightning_logs" / f"version_{version}"
        _write(folder / "metrics.csv", "epoch,step,train_loss,val_loss\n0,9,1.0,\n0,9,,1.2\n"
               "1,19,0.8,\n1,19,,1.1\n")
        _write(folder / "hparams.yaml", hparams)
    _write(root / "lit" / "lightning_logs" / "version_1" / "checkpoints" / "epoch=1.ckpt", b"w")
    # a Trainer output_dir: checkpoints only, and its arguments saved as JSON
    hf = root / "hf-out"
    _write(hf / "checkpoint-10" / "trainer_state.json", _state((10,)))
    _write(hf / "checkpoint-20" / "trainer_state.json", _state((10, 20)))
    _write(hf / "checkpoint-20" / "model.safetensors", b"weights")
    _write(hf / "training_args.json", json.dumps({"run_name": "hf-sweep-3"}))
    # two nanoGPT logs in one folder
    for stem, base in (("shakespeare", 2.0), ("owt", 3.0)):
        _write(root / "logs" / f"{stem}.log", "".join(
            NANOGPT_LINE.format(i=i, loss=base - i / 100) for i in range(0, 50, 10)))
    # never searched
    _write(root / ".git" / "logs" / "HEAD", NANOGPT_LINE.format(i=1, loss=1.0) * 5)
    _write(root / "venv" / "pyvenv.cfg", "home = /usr/bin\n")
    _write(root / "venv" / "lib" / "train.log", NANOGPT_LINE.format(i=1, loss=1.0) * 5)
    return root


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "project")


#: The runs of the whole tree: relative path -> (format, name, where the name comes from).
EXPECTED = {
    "det-project/output": ("jsonl", "det-project/output", "folder"),
    "tracking/mlruns/0/" + RUN_IDS[0]: ("mlflow", "Default/baseline", "MLflow runName"),
    "tracking/mlruns/1/" + RUN_IDS[1]: ("mlflow", "sweep/baseline", "MLflow runName"),
    "tracking/mlruns/1/" + RUN_IDS[2]: ("mlflow", "tracking/" + RUN_IDS[2], "folder"),
    "lit/lightning_logs/version_0": ("lightning_csv", "lit-small", "hparams.yaml run_name"),
    "lit/lightning_logs/version_1": ("lightning_csv", "lit/version_1", "folder"),
    "hf-out": ("hf_trainer", "hf-sweep-3", "training_args run_name"),
    "logs/owt.log": ("text_log", "owt", "file stem"),
    "logs/shakespeare.log": ("text_log", "shakespeare", "file stem"),
}


def test_every_run_of_the_tree_is_found_once_with_its_name(tree: Path) -> None:
    runs = discover_runs(tree)
    found = {}
    for run in runs:
        # A single log in a folder is read as that file; the run is still its folder.
        key = run.relative if run.path.is_dir() or run.path.parent.name == "logs" \
            else run.path.parent.relative_to(tree).as_posix()
        found[key] = (run.format, run.name, run.name_origin.split(",")[0])
    assert found == EXPECTED
    assert len({run.name for run in runs}) == len(runs)


def test_a_lightning_run_is_named_by_hparams_that_hold_python_tags(tmp_path: Path) -> None:
    """save_hyperparameters() writes !!python tags: the name is read as the loader reads it."""
    folder = tmp_path / "exp" / "lightning_logs" / "version_0"
    _write(folder / "metrics.csv", "epoch,step,train_loss\n0,9,1.0\n1,19,0.8\n")
    _write(folder / "hparams.yaml", "run_name: my-great-run\n"
           "activation: !!python/name:torch.nn.modules.activation.ReLU ''\n")
    (run,) = discover_runs(tmp_path)
    assert run.name == "my-great-run"


def test_clashing_names_say_they_were_told_apart(tree: Path) -> None:
    origins = {run.name: run.name_origin for run in discover_runs(tree)}
    assert origins["sweep/baseline"] == "MLflow runName, told apart by its path"
    assert origins["hf-sweep-3"] == "training_args run_name"


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("README.md", r"a document, not a log"),
        ("notes.txt", r"no log format recognises its content"),
        (".git", r"not searched: version control"),
        ("venv", r"not searched: a Python environment"),
        ("det-project/train_net.py", r"source code"),
        ("det-project/output/model_final.pth", r"model weights"),
        ("data/train.parquet", r"a dataset or database file"),
    ],
)
def test_what_is_not_a_run_is_skipped_with_a_reason(tree: Path, relative: str,
                                                    reason: str) -> None:
    skipped = {path.relative_to(tree).as_posix(): why for path, why in discover(tree).skipped}
    assert relative in skipped
    assert re.search(reason, skipped[relative])


@pytest.mark.parametrize(
    ("relative", "names"),
    [
        ("det-project", ["det-project/output"]),
        ("det-project/output", ["det-project/output"]),
        ("det-project/output/metrics.json", ["det-project/output"]),
        ("tracking", ["Default/baseline", "sweep/baseline", "tracking/" + RUN_IDS[2]]),
        ("tracking/mlruns", ["Default/baseline", "sweep/baseline", "tracking/" + RUN_IDS[2]]),
        ("tracking/mlruns/1", ["baseline", "tracking/" + RUN_IDS[2]]),
        ("tracking/mlruns/1/" + RUN_IDS[2], ["tracking/" + RUN_IDS[2]]),
        ("lit", ["lit-small", "lit/version_1"]),
        ("lit/lightning_logs/version_1", ["lit/version_1"]),
        ("hf-out", ["hf-sweep-3"]),
        ("logs", ["owt", "shakespeare"]),
        ("logs/owt.log", ["owt"]),
    ],
)
def test_any_part_of_the_tree_gives_the_same_runs(tree: Path, relative: str,
                                                  names: list[str]) -> None:
    assert sorted(run.name for run in discover_runs(tree / relative)) == names


def test_names_are_stable_across_discoveries(tree: Path) -> None:
    first = [(run.path, run.name) for run in discover_runs(tree)]
    assert first == [(run.path, run.name) for run in discover_runs(tree)]


def test_loading_a_discovered_run_keeps_its_name(tree: Path) -> None:
    sources = {run.name: run for run in discover_runs(tree)}
    run = load_source(sources["sweep/baseline"])
    assert (run.name, run.format) == ("sweep/baseline", "mlflow")
    assert run.meta["run_name"] == "baseline"
    assert run.meta["experiment"] == "sweep"


@pytest.mark.parametrize(
    ("relative", "name", "fmt"),
    [
        ("det-project", "det-project/output", "jsonl"),  # no format reads it whole: discovery
        ("lit/lightning_logs/version_0", "lit-small", "lightning_csv"),
        ("logs/owt.log", "owt", "text_log"),
        ("hf-out", "hf-sweep-3", "hf_trainer"),
    ],
)
def test_load_run_names_a_run_as_discovery_does(tree: Path, relative: str, name: str,
                                                fmt: str) -> None:
    run = load_run(tree / relative)
    assert (run.name, run.format) == (name, fmt)


@pytest.mark.parametrize(
    ("relative", "error", "match"),
    [
        ("tracking", InputError, r"holds 3 runs \(.*baseline.*\), not one\. .*inspect"),
        ("logs", InputError, r"holds 2 runs \(owt, shakespeare\), not one"),
        ("docs", FormatNotRecognisedError, r"docs: no supported training-log format .*"
         r"\(it holds README\.md\)"),
    ],
)
def test_load_run_of_a_folder_of_runs_names_them(tree: Path, relative: str,
                                                 error: type[Exception], match: str) -> None:
    _write(tree / "docs" / "README.md", NANOGPT_LINE.format(i=1, loss=1.0) * 5)
    with pytest.raises(error, match=match):
        load_run(tree / relative)


def test_discover_a_missing_path_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere: no such file or folder\. Give a run"):
        discover(tmp_path / "nowhere")


def test_the_walk_stops_at_its_depth_and_says_so(tmp_path: Path, monkeypatch) -> None:
    deep = tmp_path / "a" / "b" / "c"
    _write(deep / "train.log", NANOGPT_LINE.format(i=1, loss=1.0) * 3)
    monkeypatch.setattr(discovery_module, "MAX_DEPTH", 1)
    found = discover(tmp_path)
    assert found.runs == ()
    assert [(p.relative_to(tmp_path).as_posix(), why) for p, why in found.skipped] == [
        ("a/b", "more than 1 folders deep: not searched (point at it)")]


def test_a_tensorboard_run_with_split_sub_folders_is_one_run(tmp_path: Path) -> None:
    for split in ("train", "validation"):
        _write(tmp_path / "keras-run" / split / "events.out.tfevents.1.host", b"")
    _write(tmp_path / "other-run" / "events.out.tfevents.2.host", b"")
    runs = discover_runs(tmp_path)
    assert [(run.name, run.format, len(run.files)) for run in runs] == [
        ("keras-run", "tensorboard", 2), ("other-run", "tensorboard", 1)]


def test_a_folder_with_one_oddly_named_log_is_a_run_named_after_it(tmp_path: Path) -> None:
    _write(tmp_path / "resnet-sgd" / "log_train.log", "epoch,loss,val_loss\n1,0.9,1.0\n"
           "2,0.7,0.9\n")
    [run] = discover_runs(tmp_path / "resnet-sgd")
    assert (run.name, run.name_origin, run.path.name) == ("resnet-sgd", "folder", "log_train.log")
    loaded = load_run(tmp_path / "resnet-sgd")  # the folder reads as the file given directly
    assert loaded.name == "resnet-sgd"
    assert loaded.series("train", "loss")["value"].tolist() == [0.9, 0.7]


def test_same_stem_in_two_folders_is_told_apart_by_relative_path(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        for stem in ("train", "eval"):
            _write(tmp_path / folder / f"{stem}.log",
                   NANOGPT_LINE.format(i=1, loss=1.0) * 3)
    names = sorted(run.name for run in discover_runs(tmp_path))
    assert names == ["a/eval", "a/train", "b/eval", "b/train"]


def test_runs_given_one_by_one_are_named_together(tmp_path: Path) -> None:
    """Two copies of one run (same run.yaml title) given as two paths get their folder names."""
    for folder in ("good", "broken"):
        _write(tmp_path / "runs" / folder / "trainer_state.json", _state((10, 20)))
        _write(tmp_path / "runs" / folder / "run.yaml", "title: Same title\n")
    found = discover_all([tmp_path / "runs" / "good", tmp_path / "runs" / "broken",
                          tmp_path / "runs"])  # runs/ again: each run is listed once
    assert [(run.name, run.name_origin) for run in found.runs] == [
        ("good", "run.yaml title, told apart by its path"),
        ("broken", "run.yaml title, told apart by its path")]
    [alone] = discover_runs(tmp_path / "runs" / "good")
    assert (alone.name, alone.name_origin) == ("Same title", "run.yaml title")


def test_discover_all_refuses_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing: no such file or folder"):
        discover_all([tmp_path, tmp_path / "missing"])


# --- text logs: enough matching lines ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "recognised"),
    [
        (NANOGPT_LINE.format(i=1, loss=1.0), True),  # a one-line log
        (NANOGPT_LINE.format(i=1, loss=1.0) * 3 + "note\n" * 20, True),  # enough lines
        ("notes\n" * 5 + NANOGPT_LINE.format(i=1, loss=1.0) + "more notes\n" * 5, False),
        ("a\n" + NANOGPT_LINE.format(i=1, loss=1.0) * 2 + "b\nc\nd\ne\n", False),
        ("x\n" + NANOGPT_LINE.format(i=1, loss=1.0) * 2, True),  # 2 of 3 lines
        ("Our notes:\n" + NANOGPT_LINE.format(i=1, loss=1.0), False),  # 1 of 2: not more than half
    ],
)
def test_a_text_log_needs_enough_matching_lines(tmp_path: Path, text: str,
                                                recognised: bool) -> None:
    path = _write(tmp_path / "train.log", text)
    assert text_log.detect(path) is recognised


# --- MLflow run folder without meta.yaml -------------------------------------------------


def test_an_mlflow_run_without_meta_yaml_is_read_from_its_metrics(tree: Path) -> None:
    run = load_run(tree / "tracking" / "mlruns" / "1" / RUN_IDS[2])
    assert run.series("train", "loss")["value"].tolist() == [2.5, 1.5]
    assert run.meta["params"] == {"lr": "0.001"}
    assert "in_progress" not in run.meta  # nothing says whether it ended
    assert any("no meta.yaml" in w and "unknown" in w for w in run.warnings)


def test_a_metrics_folder_of_other_files_is_not_an_mlflow_run(tmp_path: Path) -> None:
    _write(tmp_path / "run" / "metrics" / "notes", "this is not a metric\n")
    assert discovery_module.run_folder_format(tmp_path / "run", FORMATS) is None


# --- inspect: what was found, how it was grouped, why the rest was skipped -----------------


def test_inspect_of_a_folder_of_runs_lists_runs_and_skips(tree: Path) -> None:
    from reportlib.ingest.inspection import inspect_run

    text = inspect_run(tree)
    assert text.startswith(f"{tree}: {len(EXPECTED)} runs\n")
    for fmt, name, origin in EXPECTED.values():
        assert f"\n  {name}\n    name from: {origin}" in text
        assert f"\n    format:    {fmt}\n" in text
    assert "\n    README.md: a document, not a log\n" in text
    assert "\n    notes.txt: no log format recognises its content\n" in text


def test_inspect_of_one_run_says_where_its_name_comes_from(tree: Path) -> None:
    from reportlib.ingest.inspection import inspect_run

    text = inspect_run(tree / "det-project")
    assert "  run name: det-project/output (from its folder)\n" in text
    assert "    train_net.py: source code or configuration, not a log" in text


# --- select_runs: the one rule every command follows --------------------------------------


@pytest.mark.parametrize(
    ("given", "names", "skipped", "errors"),
    [
        (["logs"], ["owt", "shakespeare"], [], []),
        (["logs/owt.log", "README.md"], ["owt"], [("README.md", r"a document, not a log")], []),
        (["logs", "missing"], ["owt", "shakespeare"], [], [("missing", r"no such file")]),
        (["README.md"], [], [], [("README.md", r"README\.md: is a document, not a training log")]),
        (["docs-only"], [], [], [("docs-only", r"docs-only: no supported .*it holds notes\.md")]),
        # a format would read it, but documents are never runs: every command says so
        (["docs-only/log.md"], [], [],
         [("docs-only/log.md", r"log\.md: is a document, not a training log")]),
        (["venv/lib/../pyvenv.cfg"], [], [],
         [("venv/lib/../pyvenv.cfg", r"pyvenv\.cfg: is source code or configuration, not a")]),
        (["lit/lightning_logs/version_1", "hf-out"], ["hf-sweep-3", "lit/version_1"], [], []),
    ],
)
def test_select_runs_is_one_rule_for_every_command(tree: Path, monkeypatch, given: list[str],
                                                    names: list[str], skipped: list,
                                                    errors: list) -> None:
    monkeypatch.chdir(tree)
    _write(tree / "docs-only" / "notes.md", "# Notes\n")
    if any(g.endswith("log.md") for g in given):
        _write(tree / "docs-only" / "log.md", NANOGPT_LINE.format(i=1, loss=1.0) * 3)
    selection = select_runs(given)
    assert sorted(run.name for run in selection.runs) == names
    assert [(str(p), ) for p, _ in selection.skipped] == [(s,) for s, _ in skipped]
    for (_, why), (_, pattern) in zip(selection.skipped, skipped, strict=True):
        assert re.search(pattern, why)
    assert [str(p) for p, _ in selection.errors] == [e for e, _ in errors]
    for (_, error), (_, pattern) in zip(selection.errors, errors, strict=True):
        assert re.search(pattern, error.one_line()) and "\n" not in error.one_line()


def test_a_folder_of_runs_is_compared_whole(tree: Path) -> None:
    from reportlib.compare import load_comparison

    comparison = load_comparison([tree / "lit"])
    assert sorted(run.name for run in comparison.runs) == ["lit-small", "lit/version_1"]


# --- every command sees the same runs under the same names ---------------------------------


def _names_from_summary(tree: Path, monkeypatch) -> set[str]:
    from click.testing import CliRunner

    from reportlib.cli import main

    result = CliRunner().invoke(main, ["summary", str(tree), "--json"])
    assert result.exit_code == 0, result.output
    return {json.loads(line)["run"]["name"] for line in result.stdout.splitlines()}


def _names_from_check(tree: Path, monkeypatch) -> set[str]:
    from click.testing import CliRunner

    from reportlib.cli import main

    # no fixture run overfits: each passes with one "ok" line
    result = CliRunner().invoke(main, ["check", str(tree), "--fail-on", "overfitting"])
    assert result.exit_code == 0, result.output
    names = set()
    for line in result.stdout.splitlines():
        assert line.startswith("ok ")
        names.add(line[3:].split(": no overfitting finding")[0])
    return names


def _names_from_build(tree: Path, monkeypatch) -> set[str]:
    from click.testing import CliRunner

    from reportlib import batch
    from reportlib.cli import main

    def fake(source, out_dir, smoothing, pdf, whitespace=False, engine=None):  # tested elsewhere
        return batch.BatchItem(source.path, "built", name=source.name, seconds=0.0)

    monkeypatch.setattr(batch, "_build_one", fake)
    build_in_this_process(monkeypatch)
    result = CliRunner().invoke(main, ["build", str(tree), "-o", str(tree.parent / "out"),
                                       "-j", "1"])
    assert result.exit_code == 0, result.output
    return {line[len("built "):].rsplit(": ", 1)[0] for line in result.stdout.splitlines()
            if line.startswith("built ")}


def _names_from_inspect(tree: Path, monkeypatch) -> set[str]:
    from reportlib.ingest.inspection import inspect_run

    lines = inspect_run(tree).splitlines()
    return {line.strip() for line, after in zip(lines, lines[1:], strict=False)
            if after.startswith("    name from: ")}


@pytest.mark.parametrize("command", [_names_from_summary, _names_from_check, _names_from_build,
                                     _names_from_inspect])
def test_every_command_finds_the_same_runs(tree: Path, monkeypatch, command) -> None:
    assert command(tree, monkeypatch) == {name for _, name, _ in EXPECTED.values()}


def test_a_path_that_cannot_be_searched_is_one_error(tmp_path: Path) -> None:
    """Regression: a FIFO given as the only path was reported twice."""
    os.mkfifo(tmp_path / "pipe.log")
    selection = select_runs([tmp_path / "pipe.log"])
    assert [error.one_line() for _, error in selection.errors] == [
        f"{tmp_path / 'pipe.log'}: is neither a regular file nor a folder (a pipe, socket or "
        "device?). Point at the run folder or at the log file itself."]
    assert selection.runs == () and selection.skipped == ()


def test_a_format_may_declare_its_run_folder_layout(tmp_path: Path, monkeypatch) -> None:
    """A registered format with ``run_folder_files`` makes such a folder one run, unsearched."""
    from types import SimpleNamespace

    from reportlib import ingest

    def run_folder_files(folder: Path) -> tuple[Path, ...] | None:
        marker = folder / "custom-run.marker"
        return (marker,) if marker.is_file() else None

    custom = SimpleNamespace(NAME="custom", DESCRIPTION="a custom-run.marker folder",
                             detect=lambda p: False, load=None,
                             run_folder_files=run_folder_files)
    monkeypatch.setattr(ingest, "FORMATS", (*ingest.FORMATS, custom))
    _write(tmp_path / "exp-a" / "custom-run.marker", "x")
    _write(tmp_path / "exp-a" / "inner" / "train.log", NANOGPT_LINE.format(i=1, loss=1.0) * 3)
    [run] = discover_runs(tmp_path)
    assert (run.name, run.format, run.files) == ("exp-a", "custom",
                                                 (tmp_path / "exp-a" / "custom-run.marker",))


def test_a_link_back_up_the_tree_is_searched_once(tmp_path: Path) -> None:
    _write(tmp_path / "proj" / "run-a" / "train.log", NANOGPT_LINE.format(i=1, loss=1.0) * 3)
    (tmp_path / "proj" / "run-a" / "loop").symlink_to(tmp_path / "proj")
    found = discover(tmp_path / "proj")
    assert [run.name for run in found.runs] == ["run-a"]
    assert (tmp_path / "proj" / "run-a" / "loop",
            "a link to a folder already searched") in found.skipped


# --- the real public logs of tests/data (PROVENANCE.tsv), found in one discovery -------------

DATA = Path(__file__).parent / "data"

#: What discovery makes of each kind of file in tests/data/PROVENANCE.tsv: a run read
#: as this format, or skipped with this reason (a Lightning hparams.yaml alone, a
#: Marian log that prints no metric line).
KIND_OUTCOMES = {
    "hf_trainer_state": "hf_trainer",
    "jsonl": "jsonl",
    "keras_csvlogger": "keras_csv",
    "mlflow_meta_yaml": "mlflow",
    "mlflow_metric": "mlflow",
    "opennmt_log": "text_log",
    "other_csv": "csv",
    "pl_metrics_csv": "lightning_csv",
    "pl_hparams_yaml": "skipped: Lightning hyperparameters without a metrics.csv",
    "tensorboard_events": "tensorboard",
    "fairseq_train_log": "fairseq",
    "mmengine_scalars_json": "mmengine",
    "mmengine_vis_json": "mmengine",
    "wandb_history_jsonl": "wandb",
    "yolo_args_yaml": "yolo",  # the run's facts, part of its run folder
    "yolo_results_csv": "yolo",
}
#: Generated test files (kind "generated") are read as the format of their folder.
GENERATED_OUTCOMES = {"keras": "keras_csv", "lightning": "lightning_csv", "wandb": "wandb",
                      "mmengine": "mmengine"}
#: Files that belong to a run folder of another format: the trainer_state.json of the
#: run whose event file lies beside it is part of that TensorBoard run folder.
FILE_OUTCOMES = {"tensorboard/tiny-codegen_trainer_state.json": "tensorboard"}


def _provenance_rows() -> list[dict[str, str]]:
    lines = (DATA / "PROVENANCE.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line]


def test_every_public_log_of_tests_data_is_its_own_run_or_says_why_not() -> None:
    found = discover(DATA)
    by_file = {}
    for run in found.runs:  # a folder run holds every file below it
        for file in (run.path.rglob("*") if run.path.is_dir() else (run.path,)):
            by_file[file] = run
    skipped = dict(found.skipped)
    names = [run.name for run in found.runs]
    assert len(names) == len(set(names))
    for row in _provenance_rows():
        path = DATA / row["local_name"]
        expected = FILE_OUTCOMES.get(row["local_name"], KIND_OUTCOMES.get(row["kind"]))
        if row["kind"] == "generated":
            expected = GENERATED_OUTCOMES[row["local_name"].split("/")[0]]
        if expected is None:  # plain-text logs: Caffe and OpenNMT read, Marian's has no metric
            expected = "skipped: no log format" if "Marian" in row["notes"] else "text_log"
        if expected.startswith("skipped: "):
            assert skipped.get(path, "").startswith(expected[len("skipped: "):]), path
        else:
            assert path in by_file, (path, skipped.get(path))
            assert by_file[path].format == expected, path
    # The notes quote a Caffe log line: not a run (one line of a notes file is not a log).
    assert skipped[DATA / "PROVENANCE.tsv"] == "no log format recognises its content"
    # Each log file of a folder of several is a run of its own, named by its file stem.
    hf_runs = [run for run in found.runs
               if run.path.parent == DATA / "hf" and run.path.is_file()]
    assert len(hf_runs) == 7 and all(run.name == run.path.stem for run in hf_runs)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("make_logs.py", r"make_logs\.py: is source code or configuration, not a training log"),
        ("notes.md", r"notes\.md: is a document, not a training log"),
    ],
)
def test_load_run_refuses_what_discovery_never_opens(tmp_path: Path, name: str,
                                                     match: str) -> None:
    """A script that prints log lines is not a run, whichever command reads it."""
    path = _write(tmp_path / name, NANOGPT_LINE.format(i=1, loss=1.0) * 3)
    with pytest.raises(InputError, match=match):
        load_run(path)
    assert load_run(path, log_format="text_log").format == "text_log"  # forced, it reads
