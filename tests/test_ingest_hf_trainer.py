"""Tests of reportlib.ingest.hf_trainer on real trainer_state.json files and made-up broken ones.

The real files are in tests/data/hf/ (provenance in tests/data/PROVENANCE.tsv).
Expected counts come from what PROVENANCE.tsv says about each log (logging
interval, number of epochs); expected values are read from the JSON directly.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pandas as pd
import pytest

from reportlib.errors import InputError, ReportlibError
from reportlib.ingest import hf_trainer
from reportlib.run import make_scalars

DATA = Path(__file__).parent / "data" / "hf"

ANITHA = (
    "hf_trainer_state__Anitha1406__English_To_Colloquial_Telugu_Translation_model"
    "__trainer_state.json"
)
HENOK = "hf_trainer_state__HenokB__amharic-to-geez__trainer_state.json"
LANOR = "hf_trainer_state__Lanor-Jephthah1__NLLB-Twi-QLoRA__metrics_trainer_state_phase2_final.json"
MUBASHIR = (
    "hf_trainer_state__Mubashir214__Decoder-Only-GPT-2-or-LLaMA-Pseudo-code-to-Code-C-Generation"
    "__trainer_state.json"
)
KHUSH = "hf_trainer_state__khushpatel2002__method-comment-generation__model_trainer_state.json"
KUNAL = (
    "hf_trainer_state__kunaljangid01__nlp_assignment_transformer"
    "__checkpoint-2000_trainer_state.json"
)
RNPCS = "hf_trainer_state__rnpcs__philschmid-bart-large-cnn-samsum__trainer_state.json"
ALL_FILES = [ANITHA, HENOK, LANOR, MUBASHIR, KHUSH, KUNAL, RNPCS]


def raw_state(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def logged(name: str, key: str) -> list[tuple[int, float]]:
    """(step, value) of ``key`` in the log entries that are not the end-of-training summary."""
    return [
        (entry["step"], float(entry[key]))
        for entry in raw_state(name)["log_history"]
        if key in entry and "train_runtime" not in entry
    ]


def write_state(folder: Path, log_history: list, name: str = "trainer_state.json", **top) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({**top, "log_history": log_history}), encoding="utf-8")
    return path


# --- the real logs ---------------------------------------------------------------------------

# Counts derived from each log's settings as PROVENANCE.tsv describes them:
# Anitha: loss every 50 of 935 steps -> 18, eval each of 5 epochs; HenokB: every 500 of 2752 -> 5;
# Lanor: every 10 of 1355 -> 135; Mubashir: every 100 of 626 -> 6, one eval at 500;
# kunaljangid: every 500 of 2000 -> 4, eval each of 10 epochs; rnpcs: one loss entry.
CURVE_COUNTS = [
    (ANITHA, {("train", "loss"): 18, ("train", "grad_norm"): 18, ("eval", "loss"): 5}),
    (HENOK, {("train", "loss"): 5, ("train", "learning_rate"): 5, ("eval", "loss"): 0}),
    (LANOR, {("train", "loss"): 135, ("train", "grad_norm"): 135, ("eval", "loss"): 0}),
    (MUBASHIR, {("train", "loss"): 6, ("eval", "loss"): 1, ("eval", "runtime"): 1}),
    (KHUSH, {("train", "loss"): 0, ("eval", "loss"): 0}),
    (KUNAL, {("train", "loss"): 4, ("train", "learning_rate"): 4, ("eval", "loss"): 10}),
    (RNPCS, {("train", "loss"): 1, ("eval", "loss"): 0}),
]


@pytest.mark.parametrize(("name", "counts"), CURVE_COUNTS, ids=lambda v: str(v)[:30])
def test_rows_per_curve(name: str, counts: dict) -> None:
    run = hf_trainer.load(DATA / name)
    for (split, metric), expected in counts.items():
        assert len(run.series(split, metric)) == expected, (split, metric)


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_logged_value_becomes_one_row(name: str) -> None:
    """Rows = the numeric values of all non-summary entries, minus step and epoch."""
    entries = [e for e in raw_state(name)["log_history"] if "train_runtime" not in e]
    expected = sum(len(set(e) - {"step", "epoch"}) for e in entries)
    run = hf_trainer.load(DATA / name)
    assert len(run.scalars) == expected
    assert run.format == "hf_trainer"
    assert run.input_files == [DATA / name]


@pytest.mark.parametrize(
    ("name", "key", "split", "metric"),
    [
        (ANITHA, "loss", "train", "loss"),
        (ANITHA, "eval_loss", "eval", "loss"),
        (ANITHA, "grad_norm", "train", "grad_norm"),
        (HENOK, "loss", "train", "loss"),
        (LANOR, "loss", "train", "loss"),
        (LANOR, "learning_rate", "train", "learning_rate"),
        (MUBASHIR, "eval_loss", "eval", "loss"),
        (MUBASHIR, "eval_samples_per_second", "eval", "samples_per_second"),
        (KUNAL, "eval_loss", "eval", "loss"),
        (KUNAL, "learning_rate", "train", "learning_rate"),
        (RNPCS, "loss", "train", "loss"),
    ],
)
def test_first_and_last_values_match_the_json(name: str, key: str, split: str, metric: str) -> None:
    expected = logged(name, key)
    series = hf_trainer.load(DATA / name).series(split, metric)
    assert (int(series["step"].iloc[0]), series["value"].iloc[0]) == expected[0]
    assert (int(series["step"].iloc[-1]), series["value"].iloc[-1]) == expected[-1]
    rows = hf_trainer.load(DATA / name).scalars
    curve = rows[(rows["split"] == split) & (rows["metric"] == metric)]
    assert set(curve["source_key"]) == {key}


@pytest.mark.parametrize("name", ALL_FILES)
def test_top_level_keys_go_into_meta(name: str) -> None:
    state = raw_state(name)
    meta = hf_trainer.load(DATA / name).meta
    for key, value in state.items():
        if key != "log_history":
            assert meta[key] == value, key
    assert "log_history" not in meta


@pytest.mark.parametrize(
    ("name", "has_summary", "missing_summary_key"),
    [
        (HENOK, True, None),
        (RNPCS, True, "train_loss"),  # very old format: summary without train_loss
        (ANITHA, False, None),
        (KUNAL, False, None),  # a checkpoint's trainer_state never has one
    ],
)
def test_final_summary_goes_to_meta_not_to_the_loss_curve(
    name: str, has_summary: bool, missing_summary_key: str | None
) -> None:
    run = hf_trainer.load(DATA / name)
    entries = [e for e in raw_state(name)["log_history"] if "train_runtime" in e]
    assert ("train_summary" in run.meta) is has_summary
    if has_summary:
        summary = run.meta["train_summary"]
        for key, value in entries[-1].items():
            assert summary[key] == value, key
        assert summary["step"] not in set(run.series("train", "loss")["step"])
        assert missing_summary_key is None or missing_summary_key not in summary
    # The summary's train_loss is not a point of the train-loss curve.
    assert not (run.scalars["source_key"] == "train_loss").any()
    assert not (run.scalars["source_key"] == "total_flos").any()


@pytest.mark.parametrize("name", ALL_FILES)
def test_finished_runs_are_not_in_progress(name: str) -> None:
    run = hf_trainer.load(DATA / name)
    assert run.meta["in_progress"] is False  # every corpus file has global_step == max_steps
    assert not any("unfinished" in w for w in run.warnings)


def test_eval_step_need_not_be_a_multiple_of_the_logging_step() -> None:
    run = hf_trainer.load(DATA / ANITHA)
    steps = list(run.series("eval", "loss")["step"])
    assert steps == [187, 374, 561, 748, 935]  # epoch ends of 935 steps / 5 epochs
    assert all(step % run.meta["logging_steps"] for step in steps)
    assert list(run.series("eval", "loss")["epoch"]) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_first_record_may_be_an_eval() -> None:
    run = hf_trainer.load(DATA / KUNAL)
    assert raw_state(KUNAL)["log_history"][0].keys() >= {"eval_loss"}
    assert run.series("eval", "loss")["step"].iloc[0] == 200
    assert run.series("train", "loss")["step"].iloc[0] == 500
    assert run.scalars["split"].iloc[0] == "eval"


@pytest.mark.parametrize(("name", "step"), [(KUNAL, 1000), (KUNAL, 2000), (MUBASHIR, 500)])
def test_train_and_eval_rows_sharing_a_step_stay_separate(name: str, step: int) -> None:
    rows = hf_trainer.load(DATA / name).scalars
    at_step = rows[rows["step"] == step]
    losses = at_step[at_step["metric"] == "loss"]
    assert sorted(losses["split"]) == ["eval", "train"]
    train_loss = dict(logged(name, "loss"))[step]
    eval_loss = dict(logged(name, "eval_loss"))[step]
    assert losses.set_index("split")["value"].to_dict() == {"train": train_loss, "eval": eval_loss}


def test_learning_rate_of_exactly_zero_is_kept() -> None:
    series = hf_trainer.load(DATA / KUNAL).series("train", "learning_rate")
    assert len(series) == 4
    assert series["value"].iloc[-1] == 0.0
    assert series["step"].iloc[-1] == 2000


def test_empty_log_history_gives_an_empty_run_and_says_why() -> None:
    run = hf_trainer.load(DATA / KHUSH)
    assert run.scalars.empty
    assert run.curves() == []
    assert list(run.scalars.columns) == [
        "step",
        "epoch",
        "split",
        "metric",
        "value",
        "wall_time",
        "source_key",
    ]
    # Old format: no logging_steps key, so the Trainer's default (500) vs max_steps 10.
    assert run.warnings == [
        "the log has no logged values: the Trainer's default logging_steps (500) > max_steps (10)?"
    ]


@pytest.mark.parametrize("name", [HENOK, KUNAL, RNPCS])
def test_old_format_without_grad_norm(name: str) -> None:
    run = hf_trainer.load(DATA / name)
    assert ("train", "grad_norm") not in run.curves()
    assert ("train", "loss") in run.curves()


def test_epochs_are_kept_as_written_even_when_rounded() -> None:
    series = hf_trainer.load(DATA / HENOK).series("train", "loss")
    assert list(series["epoch"]) == [0.18, 0.36, 0.55, 0.73, 0.91]


def test_unrounded_float_noise_is_kept_exactly() -> None:
    series = hf_trainer.load(DATA / LANOR).series("train", "loss")
    assert series["value"].iloc[0] == 34.908502197265626


def test_wall_time_is_unknown_for_trainer_logs() -> None:
    assert hf_trainer.load(DATA / ANITHA).scalars["wall_time"].isna().all()


# --- folder layouts --------------------------------------------------------------------------

TRAIN = {"loss": 1.0, "learning_rate": 1e-4, "epoch": 0.5}


def test_folder_with_trainer_state(tmp_path: Path) -> None:
    state = write_state(tmp_path / "my-run", [{**TRAIN, "step": 10}], global_step=10, max_steps=10)
    run = hf_trainer.load(tmp_path / "my-run")
    assert run.name == "my-run"
    assert run.input_files == [state]
    assert run.warnings == []


def test_checkpoint_only_folder_reads_the_highest_step(tmp_path: Path) -> None:
    # 500 sorts after 2000 as text: the choice must be numeric.
    for step in (500, 2000, 1000):
        write_state(
            tmp_path / "out" / f"checkpoint-{step}",
            [{**TRAIN, "step": step}],
            global_step=step,
            max_steps=2000,
        )
    run = hf_trainer.load(tmp_path / "out")
    assert run.input_files == [tmp_path / "out" / "checkpoint-2000" / "trainer_state.json"]
    assert list(run.series("train", "loss")["step"]) == [2000]
    [warning] = run.warnings
    assert "checkpoint-2000/trainer_state.json" in warning and "newest of 3" in warning
    assert run.meta["in_progress"] is False


def test_mid_training_checkpoint_is_in_progress(tmp_path: Path) -> None:
    write_state(
        tmp_path / "out" / "checkpoint-500",
        [{**TRAIN, "step": 500}],
        global_step=500,
        max_steps=2000,
    )
    run = hf_trainer.load(tmp_path / "out")
    assert run.meta["in_progress"] is True
    assert any("unfinished: global_step 500 < max_steps 2000" in w for w in run.warnings)


@pytest.mark.parametrize(
    ("extra_entries", "top"),
    [
        ([{"step": 300, "epoch": 3.0, "train_runtime": 12.0, "total_flos": 1.0}], {}),
        ([], {"stateful_callbacks": {"TrainerControl": {"args": {"should_training_stop": True}}}}),
    ],
    ids=["summary", "should_training_stop"],
)
def test_stopped_early_is_not_in_progress(tmp_path: Path, extra_entries: list, top: dict) -> None:
    path = write_state(
        tmp_path, [{**TRAIN, "step": 300}, *extra_entries], global_step=300, max_steps=1000, **top
    )
    run = hf_trainer.load(path)
    assert run.meta["in_progress"] is False
    assert run.meta["stopped_early"] is True
    assert any("stopped before max_steps" in w for w in run.warnings)


def test_stale_top_level_file_is_flagged(tmp_path: Path) -> None:
    write_state(tmp_path, [{**TRAIN, "step": 100}], global_step=100, max_steps=100)
    write_state(tmp_path / "checkpoint-300", [{**TRAIN, "step": 300}], global_step=300)
    run = hf_trainer.load(tmp_path)
    assert run.input_files == [tmp_path / "trainer_state.json"]
    assert any("checkpoint-300 (step 300) is newer" in w for w in run.warnings)


def test_folder_without_trainer_state_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "checkpoint-10").mkdir()  # a checkpoint folder without the file
    with pytest.raises(InputError, match=r"holds no trainer_state\.json.*trainer\.save_state\(\)"):
        hf_trainer.load(tmp_path)


# --- values ----------------------------------------------------------------------------------


def test_eval_metrics_are_eval_rows_with_normalised_names(tmp_path: Path) -> None:
    entry = {
        "step": 50,
        "epoch": 1.0,
        "eval_loss": 2.0,
        "eval_chrf": 31.5,
        "eval_runtime": 3.0,
        "eval_samples_per_second": 10.0,
        "eval_steps_per_second": 1.0,
    }
    run = hf_trainer.load(write_state(tmp_path, [entry]))
    got = {(r.split, r.metric): (r.value, r.source_key) for r in run.scalars.itertuples()}
    assert got == {
        ("eval", "loss"): (2.0, "eval_loss"),
        ("eval", "chrf"): (31.5, "eval_chrf"),
        ("eval", "runtime"): (3.0, "eval_runtime"),
        ("eval", "samples_per_second"): (10.0, "eval_samples_per_second"),
        ("eval", "steps_per_second"): (1.0, "eval_steps_per_second"),
    }


def test_numbers_written_as_text_are_read(tmp_path: Path) -> None:
    run = hf_trainer.load(write_state(tmp_path, [{"step": "20", "epoch": "0.5", "loss": "7.585"}]))
    assert run.series("train", "loss").to_dict("records")[0]["value"] == 7.585
    assert run.series("train", "loss")["step"].iloc[0] == 20


def test_nan_and_infinity_are_kept_and_reported(tmp_path: Path) -> None:
    # Python's json writes NaN/Infinity tokens and reads them back.
    path = tmp_path / "trainer_state.json"
    path.write_text(
        '{"log_history": [{"step": 1, "loss": NaN}, {"step": 2, "loss": Infinity},'
        ' {"step": 3, "loss": "nan"}, {"step": 4, "loss": 1.5}]}'
    )
    run = hf_trainer.load(path)
    values = list(run.series("train", "loss")["value"])
    assert math.isnan(values[0]) and values[1] == math.inf and math.isnan(values[2])
    assert values[3] == 1.5
    assert run.has_non_finite
    assert any(w.startswith("NaN or infinite values kept as logged: 3") for w in run.warnings)


def test_entries_without_step_are_skipped_with_their_index(tmp_path: Path) -> None:
    entries = [
        {"loss": 1.0, "step": 1},
        {"loss": 2.0},
        {"loss": 3.0, "step": None},
        {"loss": 4.0, "step": 4},
    ]
    run = hf_trainer.load(write_state(tmp_path, entries))
    assert list(run.series("train", "loss")["step"]) == [1, 4]
    assert "2 log entries without a 'step' skipped (log_history[1], log_history[2])" in run.warnings


def test_null_values_are_skipped_with_a_warning(tmp_path: Path) -> None:
    run = hf_trainer.load(write_state(tmp_path, [{"step": 1, "loss": 1.0, "grad_norm": None}]))
    assert run.curves() == [("train", "loss")]
    assert ("1 value that is null or not one number skipped (log_history[0] 'grad_norm')"
            in run.warnings)


def test_duplicate_steps_after_a_resume_keep_the_later_value(tmp_path: Path) -> None:
    first = [{"step": s, "loss": 10.0 + s} for s in (10, 20, 30)]
    resumed = [{"step": s, "loss": float(s)} for s in (20, 30, 40)]
    run = hf_trainer.load(write_state(tmp_path, first + resumed))
    series = run.series("train", "loss")
    assert list(series["step"]) == [10, 20, 30, 40]
    assert list(series["value"]) == [20.0, 20.0, 30.0, 40.0]
    assert any(w.startswith("2 values logged twice") and "steps 20-30" in w for w in run.warnings)


def test_transformers_3_total_flos_in_every_entry_is_no_summary(tmp_path: Path) -> None:
    """transformers 3.x added total_flos to every entry, train and eval, at the same step."""
    entries = [
        {"step": 500, "epoch": 1.0, "loss": 2.0, "learning_rate": 1e-5, "total_flos": 10.0},
        {"step": 500, "epoch": 1.0, "eval_loss": 2.5, "total_flos": 10.0},
    ]
    run = hf_trainer.load(write_state(tmp_path, entries))
    assert "train_summary" not in run.meta
    assert run.series("train", "loss")["value"].tolist() == [2.0]
    assert run.series("eval", "loss")["value"].tolist() == [2.5]
    assert run.series("train", "total_flos")["value"].tolist() == [10.0]
    assert run.series("eval", "total_flos")["value"].tolist() == [10.0]
    assert run.warnings == []  # no false "logged twice"


def test_several_summaries_keep_the_last(tmp_path: Path) -> None:
    entries = [
        {"step": 5, "train_runtime": 1.0, "train_loss": 3.0},
        {"step": 9, "train_runtime": 2.0, "train_loss": 2.0},
    ]
    run = hf_trainer.load(write_state(tmp_path, entries))
    assert run.meta["train_summary"]["train_loss"] == 2.0
    assert any("2 end-of-training summaries (steps 5, 9" in w for w in run.warnings)
    assert any(
        w.startswith("the log has no logged values (log_history holds only") for w in run.warnings
    )


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"logging_steps": 50, "max_steps": 10}, "logging_steps (50) > max_steps (10)?"),
        ({"logging_steps": 5, "max_steps": 10}, None),
        ({"max_steps": 10}, "default logging_steps (500) > max_steps (10)?"),
        ({"max_steps": 900}, None),
        ({}, None),
    ],
)
def test_empty_log_warning_names_the_likely_reason(tmp_path: Path, top: dict, expected) -> None:
    run = hf_trainer.load(write_state(tmp_path, [], **top))
    [warning] = [w for w in run.warnings if "no logged values" in w]
    if expected is None:
        assert warning == "the log has no logged values"
    else:
        assert warning.endswith(expected)


# --- errors ----------------------------------------------------------------------------------

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 4855\n"
)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (LFS_POINTER, r"trainer_state\.json: is a Git LFS pointer.*Run `git lfs pull`"),
        ("", r"trainer_state\.json: is empty"),
        (b"\xff\xfe\x00{", r"is not UTF-8 text"),
        (
            '{"log_history": [{"step": 1, "loss": 2.0}',
            r"line 1, column 42: ends before the JSON is "
            r"complete\. The file is truncated",
        ),
        (
            '{\n  "log_history": [\n    {"step": 1,, "loss": 2.0}\n  ]\n}',
            r"line 3, column 16: is not valid JSON \(Expecting property name",
        ),
        ("[1, 2]", r"is a JSON list, not an object with a 'log_history' key"),
        ('{"global_step": 3}', r"has no 'log_history' key.*very old or foreign"),
        (
            '{"log_history": {"step": 1}}',
            r"key 'log_history': 'log_history' is a JSON object, not "
            r"a list",
        ),
        ('{"log_history": [{"step": 1}, 7]}', r"log_history\[1\]: is a JSON number, not an object"),
        (
            '{"log_history": [{"step": 1, "loss": "abc"}]}',
            r"log_history\[0\]: 'loss' is the text 'abc', not a number\. Log only numbers",
        ),
        (
            '{"log_history": [{"step": 1, "loss": 1}, {"step": 2, "loss": true}]}',
            r"log_history\[1\]: 'loss' is True \(a boolean\), not a number",
        ),
        (
            '{"log_history": [{"step": 12.5, "loss": 1}]}',
            r"log_history\[0\]: 'step' is 12\.5, not a whole number",
        ),
        ('{"log_history": [{"step": -3, "loss": 1}]}', r"'step' is -3, not a whole number"),
        (
            '{"log_history": [{"step": 1, "epoch": "one", "loss": 1}]}',
            r"'epoch' is the text 'one', not a number",
        ),
    ],
    ids=[
        "lfs",
        "empty",
        "binary",
        "truncated",
        "syntax",
        "list",
        "no-log-history",
        "log-history-dict",
        "entry-number",
        "text-value",
        "bool-value",
        "fractional-step",
        "negative-step",
        "text-epoch",
    ],
)
def test_broken_files_raise_one_line_errors(tmp_path: Path, content, match: str) -> None:
    path = tmp_path / "trainer_state.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match) as info:
        hf_trainer.load(path)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, ReportlibError)


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("trainer_state.json", '{"log_history": []}', True),
        ("phase2_final.json", '{\n  "epoch": 1.0,\n  "log_history": []\n}', True),
        ("trainer_state.json", LFS_POINTER, True),  # by name: load() then says `git lfs pull`
        ("trainer_state.json", "not json", True),  # by name: load() then says where it breaks
        ("other.json", '{"epoch": 1.0, "loss": 2.0}', False),
        ("other.json", '[{"log_history": []}]', False),
        ("metrics.csv", "step,loss\n1,2.0\n", False),
        ("trainer_log.jsonl", '{"current_steps": 1, "loss": 2.0}\n', False),
        ("empty.json", "", False),
    ],
)
def test_detect_files_by_content(tmp_path: Path, name: str, content: str, expected: bool) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert hf_trainer.detect(path) is expected


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (["trainer_state.json"], True),
        (["checkpoint-10/trainer_state.json"], True),
        (["checkpoint-10/optimizer.pt"], False),
        (["checkpoints/trainer_state.json"], False),
        (["metrics.csv"], False),
        ([], False),
    ],
)
def test_detect_folders_by_layout(tmp_path: Path, layout: list[str], expected: bool) -> None:
    for relative in layout:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text('{"log_history": []}', encoding="utf-8")
    assert hf_trainer.detect(tmp_path) is expected


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_corpus_file_is_detected(name: str) -> None:
    assert hf_trainer.detect(DATA / name)


# --- the column-wise reader against the entry-by-entry one -----------------------------------
# scalars_from_log_history reads a clean log column by column and falls back to
# the entry-by-entry reader (_rows_from_log_history) for anything else; both end in
# one tidy step and must give the same frame, summary and warnings.


def both_readers(entries: list) -> tuple[tuple, tuple]:
    """(column-wise result, entry-by-entry result) for one log_history."""
    fast = hf_trainer._columns_from_log_history(entries, Path("trainer_state.json"))
    assert fast is not None, "the column-wise reader fell back"
    return fast, hf_trainer._rows_from_log_history(entries, Path("trainer_state.json"))


def assert_same_result(fast: tuple, slow: tuple) -> None:
    pd.testing.assert_frame_equal(fast[0], slow[0])
    assert repr(fast[1]) == repr(slow[1])  # repr: NaN epochs compare equal
    assert fast[2] == slow[2]


@pytest.mark.parametrize("name", [n for n in ALL_FILES if raw_state(n)["log_history"]])
def test_column_wise_reader_equals_entry_by_entry_on_the_corpus(name: str) -> None:
    assert_same_result(*both_readers(raw_state(name)["log_history"]))


NAN, INF = math.nan, math.inf
ODD_LOGS = {
    "nulls, a key only null": [{"step": 1, "loss": 1.0, "grad_norm": None},
                               {"step": 2, "loss": None, "eval_bleu": None}],
    "no step, null step": [{"loss": 1.0}, {"step": None, "loss": 2.0}, {"step": 3, "loss": 3.0}],
    "resumed: steps go back, values twice": [
        *({"step": s, "loss": 10.0 + s, "epoch": s / 10} for s in (10, 20, 30, 40)),
        *({"step": s, "loss": float(s), "epoch": s / 10} for s in (20, 30, 50)),
    ],
    "non-finite, listed in log order": [
        {"step": 5, "loss": INF}, {"step": 5, "eval_loss": NAN, "eval_bleu": -INF},
        {"step": 2, "loss": NAN}, *({"step": s, "loss": NAN} for s in range(6, 12)),
    ],
    "several summaries and a summary without step": [
        {"step": 4, "loss": 1.0}, {"step": 5, "train_runtime": 1.0, "train_loss": 3.0},
        {"train_runtime": 9.0}, {"step": 9, "train_runtime": 2.0, "train_loss": None},
    ],
    "unprefixed keys of an eval entry": [
        {"step": 500, "loss": 2.0, "total_flos": 10.0},
        {"step": 500, "eval_loss": 2.5, "total_flos": 10.0, "num_input_tokens_seen": 7},
    ],
    "two keys of one curve in one entry": [{"step": 1, "eval_loss": 1.0, "eval/loss": 2.0},
                                           {"step": 2, "eval/loss": 3.0, "eval_loss": 4.0}],
    "keys in other orders, int and float steps and epochs": [
        {"loss": 1, "step": 1, "epoch": 0}, {"epoch": 0.5, "step": 2.0, "loss": 2.5},
        {"step": 3, "learning_rate": 0, "loss": 1e308},
    ],
    "a summary marker only": [{"step": 9, "train_runtime": 2.0}],
}


@pytest.mark.parametrize("entries", ODD_LOGS.values(), ids=ODD_LOGS.keys())
def test_column_wise_reader_equals_entry_by_entry_on_odd_logs(entries: list) -> None:
    assert_same_result(*both_readers(entries))


@pytest.mark.parametrize("seed", range(4))
def test_column_wise_reader_equals_entry_by_entry_on_random_logs(seed: int) -> None:
    rng = random.Random(seed)
    keys = ["loss", "eval_loss", "eval_chrf", "learning_rate", "grad_norm", "total_flos",
            "eval/loss", "epoch", "train_runtime", "train_loss"]
    for _ in range(50):
        entries = []
        for _ in range(rng.randint(1, 40)):
            entry = {key: rng.choice([rng.random(), 1, None, NAN, INF, -INF, 0])
                     for key in rng.sample(keys, rng.randint(0, 4))}
            if rng.random() < 0.9:
                entry["step"] = rng.choice([rng.randint(0, 20), None, float(rng.randint(0, 20))])
            entries.append(dict(reversed(entry.items())) if rng.random() < 0.5 else entry)
        assert_same_result(*both_readers(entries))


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ([{"step": 1, "loss": 1.0}, "x"], r"log_history\[1\]: is a JSON string"),
        ([{"step": 1, "loss": True}], r"'loss' is True \(a boolean\)"),
        ([{"step": 1, "loss": 1.0}, {"step": 2, "loss": "x"}], r"log_history\[1\]: 'loss' is the"),
        ([{"step": 1.5, "loss": 1.0}], r"'step' is 1\.5, not a whole number"),
        ([{"step": 2**63, "loss": 1.0}], r"not a whole number of steps"),
        ([{"step": -1, "loss": 1.0}], r"not a whole number of steps"),
        # The first entry at fault is named, whichever key group it is in.
        ([{"step": 1, "epoch": "x", "loss": 1.0}], r"'epoch' is the text 'x'"),
        ([{"step": 1, "train_runtime": False}], r"'train_runtime' is False"),
    ],
)
def test_odd_values_are_judged_entry_by_entry(entries: list, match: str) -> None:
    assert hf_trainer._columns_from_log_history(entries, Path("t.json")) is None
    with pytest.raises(InputError, match=match):
        hf_trainer.scalars_from_log_history(entries, Path("t.json"))


@pytest.mark.parametrize(
    ("entries", "clean"),
    [([{"step": "20", "loss": "7.5"}], [{"step": 20, "loss": 7.5}]),
     ([{"step": 1, "loss": 10**400}], [{"step": 1, "loss": INF}])],
    ids=["numbers as text", "int too large for a float"],
)
def test_values_only_the_entry_reader_handles_read_as_their_clean_form(entries, clean) -> None:
    """The entry reader takes what the column reader refuses, and gives the clean log's frame."""
    assert hf_trainer._columns_from_log_history(entries, Path("t.json")) is None
    frame, summary, warnings = hf_trainer.scalars_from_log_history(entries, Path("t.json"))
    expected = hf_trainer._columns_from_log_history(clean, Path("t.json"))
    pd.testing.assert_frame_equal(frame, expected[0])
    assert (summary, warnings) == (expected[1], expected[2])


def test_an_empty_log_history_gives_an_empty_frame() -> None:
    frame, summary, warnings = hf_trainer.scalars_from_log_history([], Path("t.json"))
    assert frame.empty and list(frame.columns) == list(make_scalars([]).columns)
    assert summary is None and warnings == []


def test_a_log_of_many_key_sets_is_read_entry_by_entry() -> None:
    """Each distinct set of keys costs the column-wise reader more than a few entries."""
    entries = [{"step": i, f"metric_{i}": float(i)} for i in range(200)]
    assert hf_trainer._columns_from_log_history(entries, Path("t.json")) is None
    frame, _, warnings = hf_trainer.scalars_from_log_history(entries, Path("t.json"))
    assert len(frame) == 200 and frame["metric"].nunique() == 200 and warnings == []


def test_an_epoch_count_that_restarts_is_said_and_gives_no_epochs_or_size(tmp_path: Path) -> None:
    """An audited Whisper run's epoch went back from 5.06 to 0.0 at step 52050 (resumed with
    other settings): its final epoch, 4.008, made a size estimate 3x too large. Generated
    here: a state whose epoch restarts once, with an end-of-training summary."""
    history = [{"step": s, "epoch": e, "loss": 1.0 / s} for s, e in
               ((100, 1.0), (200, 2.0), (300, 3.0), (400, 0.5), (500, 1.5))]
    history.append({"step": 500, "epoch": 1.5, "train_runtime": 50.0,
                    "train_samples_per_second": 64.0, "train_loss": 0.5})
    state = {"log_history": history, "global_step": 500, "max_steps": 500, "epoch": 1.5,
             "num_train_epochs": 2, "train_batch_size": 8}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    run = hf_trainer.load(tmp_path)
    assert run.meta["epoch_restarts"] == [400]
    assert "train_size_estimate" not in run.meta and "epochs_run" not in run.meta
    assert any(w.startswith("the epoch count goes back at step 400 (from 3 to 0.5)")
               for w in run.warnings)


def test_the_results_files_beside_the_state_give_sizes_and_the_final_evaluation(
        tmp_path: Path) -> None:
    """As an audited run_clm output folder: all_results.json (Trainer.save_metrics) states
    train_samples 120140 and a final eval_loss 0.989 the log_history does not hold; the
    report said 'not evaluated' and estimated the size instead. Generated values here."""
    from reportlib import analyze

    history = [{"step": s, "epoch": s / 100, "loss": 2.0 / s} for s in range(10, 110, 10)]
    state = {"log_history": history, "global_step": 100, "max_steps": 100, "epoch": 1.0,
             "num_train_epochs": 1, "train_batch_size": 8}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    (tmp_path / "all_results.json").write_text(json.dumps(
        {"epoch": 1.0, "eval_loss": 0.989, "eval_samples": 150, "train_samples": 800}),
        encoding="utf-8")
    run = hf_trainer.load(tmp_path)
    assert (run.meta["train_size"], run.meta["eval_size"]) == (800, 150)
    assert run.meta["sources"]["train_size"] == "all_results.json: train_samples"
    assert "train_size_estimate" not in run.meta
    assert tmp_path / "all_results.json" in run.input_files
    (missing,) = [f for f in analyze(tmp_path).analysis.findings
                  if f.kind.value == "no_data" and f.panel == "val_loss"]
    assert missing.message == ("Validation loss was not logged during training: "
                               "all_results.json holds one evaluation after it (eval_loss "
                               "0.989), so there is no curve to judge generalisation by.")


def test_a_metric_that_is_a_list_or_an_object_is_skipped_not_fatal(tmp_path: Path) -> None:
    """An audited multi-label run's compute_metrics returned per-label thresholds (a list):
    the whole trainer_state.json was refused. Generated values here."""
    state = {"log_history": [
        {"step": 10, "epoch": 1.0, "loss": 0.7},
        {"step": 10, "epoch": 1.0, "eval_loss": 0.6, "eval_f1": 0.5,
         "eval_thresholds": [0.4, 0.5], "eval_report": {"f1": 0.5}},
        {"step": 20, "epoch": 2.0, "loss": 0.5}]}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    run = hf_trainer.load(tmp_path)
    assert run.series("eval", "loss")["value"].tolist() == [0.6]
    assert run.series("eval", "f1")["value"].tolist() == [0.5]
    assert ("eval", "thresholds") not in run.curves()
    assert any("2 values that are null or not one number skipped" in w
               and "'eval_thresholds' (a JSON list)" in w for w in run.warnings)



def test_a_run_its_early_stopping_callback_stopped_says_so(tmp_path: Path) -> None:
    """As an audited Whisper run: EarlyStoppingCallback patience 5, counter 5, and the
    Trainer told to stop at step 1500 of 10990; 'early stopping?' can say it was. The
    callback's saved state as transformers writes it; the values generated."""
    state = {"log_history": [{"step": 500, "epoch": 0.5, "loss": 1.0},
                             {"step": 1500, "epoch": 1.36, "loss": 0.8}],
             "global_step": 1500, "max_steps": 10990, "epoch": 1.36,
             "stateful_callbacks": {
                 "EarlyStoppingCallback": {"args": {"early_stopping_patience": 5},
                                           "attributes": {"early_stopping_patience_counter": 5}},
                 "TrainerControl": {"args": {"should_training_stop": True}}}}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    run = hf_trainer.load(tmp_path)
    assert run.meta["stopped_early"] is True
    assert ("training stopped before max_steps: global_step 1500 < max_steps 10990 (its "
            "EarlyStoppingCallback had seen 5 evaluations without improvement, its patience)"
            in run.warnings)
