"""Tests of reportlib.ingest: the format registry, detect_format and load_run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

import reportlib
from reportlib import ingest
from reportlib.errors import FormatNotRecognisedError, InputError, ParameterError, PredictionsError
from reportlib.run import Run, make_scalars

DATA = Path(__file__).parent / "data" / "hf"
KUNAL = (
    "hf_trainer_state__kunaljangid01__nlp_assignment_transformer"
    "__checkpoint-2000_trainer_state.json"
)

STATE = {
    "global_step": 20,
    "max_steps": 20,
    "log_history": [
        {"step": 10, "epoch": 0.5, "loss": 2.0},
        {"step": 20, "epoch": 1.0, "eval_loss": 1.5, "eval_chrf": 12.0},
    ],
}


def make_run_folder(
    folder: Path, *, run_yaml: str | None = None, steps: tuple[int, ...] = ()
) -> Path:
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(json.dumps(STATE), encoding="utf-8")
    if run_yaml is not None:
        (folder / "run.yaml").write_text(run_yaml, encoding="utf-8")
    if steps:
        (folder / "references.jsonl").write_text('{"id": 1, "prompt": "p", "reference": "r"}\n')
        (folder / "predictions").mkdir()
        for step in steps:
            (folder / "predictions" / f"step-{step:06d}.jsonl").write_text(
                '{"id": 1, "prediction": "r"}\n'
            )
    return folder


def test_every_registered_format_fulfils_the_contract() -> None:
    names = [fmt.NAME for fmt in ingest.FORMATS]
    assert len(names) == len(set(names))
    assert ingest.supported_formats() == tuple(names)
    assert "hf_trainer" in names
    for fmt in ingest.FORMATS:
        assert isinstance(fmt.NAME, str) and fmt.NAME
        assert isinstance(fmt.DESCRIPTION, str) and fmt.DESCRIPTION
        assert callable(fmt.detect) and callable(fmt.load)


def test_load_run_is_reexported() -> None:
    assert reportlib.load_run is ingest.load_run
    assert "load_run" in reportlib.__all__


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_detect_format_of_a_trainer_run(tmp_path: Path, kind: str) -> None:
    folder = make_run_folder(tmp_path / "run")
    path = folder if kind == "folder" else folder / "trainer_state.json"
    assert ingest.detect_format(path) == "hf_trainer"
    assert ingest.detect_format(str(path)) == "hf_trainer"


def test_missing_path_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"nope: no such file or folder\. Give a run folder"
    ) as info:
        ingest.load_run(tmp_path / "nope")
    assert not isinstance(info.value, FormatNotRecognisedError)
    with pytest.raises(InputError, match=r"no such file or folder"):
        ingest.detect_format(tmp_path / "nope")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("metrics.csv", "name,colour\nfoo,red\n"),  # a CSV, but of no numbers
        ("train.log", "nohup: ignoring input\n"),
        ("results.json", '{"eval_loss": 1.0}'),
        ("empty.txt", ""),
    ],
)
def test_unrecognised_file_lists_the_supported_formats(
    tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    pattern = r"recognises this file\. Supported formats: hf_trainer, lightning_csv, "
    with pytest.raises(FormatNotRecognisedError, match=pattern) as info:
        ingest.load_run(path)
    assert str(info.value).startswith(str(path) + ": ")
    assert all(fmt.NAME in str(info.value) for fmt in ingest.FORMATS)
    assert "reportlib inspect" in str(info.value)  # and how to force a format
    assert "\n" not in str(info.value) and len(str(info.value)) < 400 + len(str(path))


def test_unrecognised_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(
        FormatNotRecognisedError,
        match=r"recognises this folder \(it holds notes\.txt\)\. Supported formats: hf_trainer, ",
    ):
        ingest.detect_format(tmp_path)


def test_lfs_pointer_of_any_name_says_git_lfs_pull(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n")
    with pytest.raises(InputError, match=r"metrics\.csv: is a Git LFS pointer.*`git lfs pull`"):
        ingest.load_run(path)


def test_load_run_of_a_complete_run_folder(tmp_path: Path) -> None:
    folder = make_run_folder(
        tmp_path / "tiny-codegen",
        run_yaml="title: Tiny run\ndataset: {name: d, size: 50}\n",
        steps=(10, 20),
    )
    run = ingest.load_run(folder)
    assert isinstance(run, Run)
    # run.yaml's title names the run before its folder does (issue 12)
    assert (run.name, run.format, run.path) == ("Tiny run", "hf_trainer", folder)
    assert run.meta["title"] == "Tiny run"
    assert run.meta["dataset"] == {"name": "d", "size": 50}
    assert run.meta["global_step"] == 20  # from the log, beside run.yaml's keys
    assert run.series("eval", "chrf")["value"].tolist() == [12.0]
    assert run.predictions is not None
    assert run.predictions.keyed_by == "step"
    assert list(run.predictions.checkpoints) == [10, 20]
    assert run.input_files == [
        folder / "trainer_state.json",
        folder / "run.yaml",
        folder / "references.jsonl",
        folder / "predictions" / "step-000010.jsonl",
        folder / "predictions" / "step-000020.jsonl",
    ]
    assert run.warnings == []


def test_a_file_takes_its_folder_as_the_run_folder(tmp_path: Path) -> None:
    folder = make_run_folder(tmp_path / "my-run", run_yaml="title: From the parent\n", steps=(10,))
    run = ingest.load_run(folder / "trainer_state.json")
    assert run.name == "From the parent"  # the folder's run.yaml title names it
    assert run.path == folder / "trainer_state.json"
    assert run.meta["title"] == "From the parent"
    assert run.predictions is not None and list(run.predictions.checkpoints) == [10]


def test_relative_dot_path_gets_the_real_folder_name(tmp_path: Path, monkeypatch) -> None:
    folder = make_run_folder(tmp_path / "dotted")
    monkeypatch.chdir(folder)
    assert ingest.load_run(".").name == "dotted"


def test_corpus_file_loads_through_the_registry(tmp_path: Path) -> None:
    folder = tmp_path / "kunal"
    folder.mkdir()
    shutil.copy(DATA / KUNAL, folder / KUNAL)
    run = ingest.load_run(folder / KUNAL)
    assert run.format == "hf_trainer"
    assert run.name == "kunal"
    assert run.predictions is None
    assert len(run.series("eval", "loss")) == 10


@pytest.mark.parametrize(
    ("run_yaml", "match"),
    [
        (
            "dataset: {size: many}\n",
            r"run\.yaml: key 'dataset\.size': is 'many', not a whole number",
        ),
        ("- a\n- b\n", r"run\.yaml: is a YAML list, not a mapping"),
    ],
)
def test_run_yaml_errors_surface_from_load_run(tmp_path: Path, run_yaml: str, match: str) -> None:
    folder = make_run_folder(tmp_path / "r", run_yaml=run_yaml)
    with pytest.raises(InputError, match=match):
        ingest.load_run(folder)


def test_contradicting_prediction_names_surface_from_load_run(tmp_path: Path) -> None:
    folder = make_run_folder(tmp_path / "r", steps=(10,))
    (folder / "predictions" / "epoch-01.jsonl").write_text("{}\n")
    with pytest.raises(PredictionsError, match=r"named by step .* and others by epoch"):
        ingest.load_run(folder)


def test_log_format_skips_detection(tmp_path: Path) -> None:
    path = tmp_path / "odd-name.txt"
    path.write_text(json.dumps(STATE), encoding="utf-8")  # "log_history" far from a .json name
    assert ingest.load_run(path, log_format="hf_trainer").format == "hf_trainer"


def test_unknown_log_format_is_a_parameter_error(tmp_path: Path) -> None:
    folder = make_run_folder(tmp_path / "r")
    with pytest.raises(
        ParameterError, match=r"log_format must be one of hf_trainer, .*got 'comet_ml'"
    ):
        ingest.load_run(folder, log_format="comet_ml")


def test_a_new_format_is_one_registry_entry(tmp_path: Path, monkeypatch) -> None:
    """A format module plugged into FORMATS is detected, loaded and gets run.yaml applied."""
    path = tmp_path / "log.custom"
    path.write_text("CUSTOM 1\n")
    (tmp_path / "run.yaml").write_text("title: custom\n")

    def load(p: Path) -> Run:
        return Run(name="ignored", path=p, format="custom", input_files=[p])

    custom = SimpleNamespace(
        NAME="custom",
        DESCRIPTION="a file starting with CUSTOM",
        detect=lambda p: p.is_file() and p.read_text().startswith("CUSTOM"),
        load=load,
    )
    monkeypatch.setattr(ingest, "FORMATS", (*ingest.FORMATS, custom))
    assert ingest.supported_formats()[-1] == "custom"
    assert ingest.detect_format(path) == "custom"
    run = ingest.load_run(path)
    # the run.yaml title names the run (before the folder)
    assert (run.format, run.name, run.meta["title"]) == ("custom", "custom", "custom")
    (tmp_path / "other.txt").write_text("x")
    with pytest.raises(
        FormatNotRecognisedError,
        match=r"formats: hf_trainer, .*, custom \(the README",
    ):
        ingest.load_run(tmp_path / "other.txt")


# --- _make_safe: what load_run repairs for every format ----------------------------------------


def run_with_names(names: list[str], values: list[float], *, categorical: bool) -> Run:
    frame = make_scalars([{"step": i, "split": "eval", "metric": name, "value": value,
                           "source_key": f"eval_{name}"}
                          for i, (name, value) in enumerate(zip(names, values, strict=True))])
    if not categorical:
        frame = frame.astype({"metric": object, "source_key": object})
    return Run(name="r", path=Path("r"), format="test", scalars=frame)


@pytest.mark.parametrize("categorical", [True, False], ids=["categorical", "text"])
def test_lone_surrogates_in_names_become_replacement_characters(categorical: bool) -> None:
    # Two names that differ only in their lone surrogate repair to one name.
    run = run_with_names(["a\ud800", "a\udc00", "b"], [1.0, 2.0, 3.0], categorical=categorical)
    ingest._make_safe(run, Path("r"))
    assert run.scalars["metric"].tolist() == ["a\ufffd", "a\ufffd", "b"]
    assert run.scalars["source_key"].tolist() == ["eval_a\ufffd", "eval_a\ufffd", "eval_b"]
    "".join(run.scalars["source_key"]).encode("utf-8")  # every name can be written now
    if categorical:
        assert run.scalars["metric"].cat.categories.tolist() == ["a\ufffd", "b"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, -2.0, float("nan"), float("inf")], None),
        ([1e151, float("nan"), -1e200], "2 value(s) beyond ±1e+150 kept as logged (eval a 1e+151"),
        ([float("-inf"), 1e150], None),
    ],
)
def test_huge_values_are_said_nan_and_inf_are_not_huge(values: list, expected: str | None) -> None:
    run = run_with_names(["a"] * len(values), values, categorical=True)
    ingest._make_safe(run, Path("r"))
    huge = [w for w in run.warnings if "beyond" in w]
    assert (huge[0].startswith(expected) if expected else huge == []), huge
