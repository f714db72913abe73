"""Property-based tests of every parser (hypothesis, derandomized).

Two properties, for every format in :data:`reportlib.ingest.FORMATS` (so a new
format is fuzzed as soon as it is registered) and for the other readers of
user files (run.yaml, prediction files and names):

1. for any bytes (random, or a valid log mutated: cut, bytes flipped, inserted,
   deleted, repeated), the parser returns a valid ``scalars`` frame or raises
   reportlib's own error type, and whatever it returns can be analysed and
   written to summary.json;
2. for any valid log, loading it gives back exactly the values written (NaN and
   infinities included), at the steps and in the order written.

The budget is :data:`FUZZ_EXAMPLES` examples per parser and property (set
``REPORTLIB_FUZZ_EXAMPLES`` to fuzz longer); ``derandomize=True`` makes every
run try the same examples, so CI is deterministic.
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reportlib.analysis import analyze_run
from reportlib.errors import PredictionsError, ReportlibError
from reportlib.ingest import FORMATS, load_run
from reportlib.ingest.predictions import parse_prediction_name
from reportlib.ingest.run_yaml import read_run_yaml
from reportlib.run import SCALAR_COLUMNS, SPLITS, Run
from reportlib.summary import summary_json
from tests.bad_inputs.make_bad_inputs import event_file

#: Examples per parser and property in CI (about 1-3 s per parser).
FUZZ_EXAMPLES = int(os.environ.get("REPORTLIB_FUZZ_EXAMPLES", "200"))

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- valid logs


@dataclass(frozen=True)
class Point:
    """One logged value: the format's own name for it and where it lands in the frame."""

    step: int
    split: str
    value: float


@dataclass(frozen=True)
class Writer:
    """How to write a valid log of one format.

    ``write(folder, points)`` writes the files and returns the path to load;
    ``float32`` formats store values as 32-bit floats; ``steps_kept`` is False
    for formats that number epochs (their step is the epoch's rank).
    """

    write: Callable[[Path, list[Point]], Path]
    float32: bool = False
    steps_kept: bool = True
    non_finite: bool = True
    extra: frozenset[tuple[str, str]] = frozenset()


def _number(value: float) -> str:
    """A float as Python prints it (``nan``, ``inf``, shortest round-trip digits)."""
    return repr(value)


def _json_number(value: float) -> str:
    return json.dumps(value)  # NaN, Infinity, -Infinity: what Python's json writes


def write_hf_trainer(folder: Path, points: list[Point]) -> Path:
    log = [{"step": p.step, "epoch": p.step / 100,
            ("loss" if p.split == "train" else "eval_loss"): p.value} for p in points]
    state = {"global_step": max((p.step for p in points), default=0), "log_history": log}
    (folder / "trainer_state.json").write_text(json.dumps(state, indent=2))
    return folder


def write_jsonl(folder: Path, points: list[Point]) -> Path:
    path = folder / "trainer_log.jsonl"
    lines = [f'{{"step": {p.step}, "{"loss" if p.split == "train" else "eval_loss"}": '
             f"{_json_number(p.value)}}}" for p in points]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def write_lightning(folder: Path, points: list[Point]) -> Path:
    version = folder / "version_0"
    version.mkdir()
    rows = ["epoch,step,train_loss,val_loss"]
    for p in points:
        cells = [_number(p.value), ""] if p.split == "train" else ["", _number(p.value)]
        rows.append(f"0,{p.step},{cells[0]},{cells[1]}")
    (version / "metrics.csv").write_text("\n".join(rows) + "\n")
    return version


def write_plain_csv(folder: Path, points: list[Point]) -> Path:
    path = folder / "log.csv"
    rows = ["step,split,loss"] + [f"{p.step},{'train' if p.split == 'train' else 'val'},"
                                  f"{_number(p.value)}" for p in points]
    path.write_text("\n".join(rows) + "\n")
    return path


def write_keras(folder: Path, points: list[Point]) -> Path:
    # One row per epoch: every point is an epoch (steps are ignored), train then val columns.
    path = folder / "training.log"
    rows = ["epoch,loss,val_loss"]
    for epoch, p in enumerate(points):
        rows.append(f"{epoch},{_number(p.value)},NA" if p.split == "train"
                    else f"{epoch},NA,{_number(p.value)}")
    path.write_text("\n".join(rows) + "\n")
    return path


def write_tensorboard(folder: Path, points: list[Point]) -> Path:
    scalars = [(p.step, "train/loss" if p.split == "train" else "eval/loss", p.value)
               for p in points]
    (folder / "events.out.tfevents.1700000000.host").write_bytes(event_file(scalars))
    return folder


def write_mlflow(folder: Path, points: list[Point]) -> Path:
    run = folder / "mlruns" / "0" / "0123456789abcdef0123456789abcdef"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text(
        "artifact_uri: file:///tmp/a\nend_time: 1700000100000\nexperiment_id: '0'\n"
        "lifecycle_stage: active\nrun_id: 0123456789abcdef0123456789abcdef\n"
        "run_uuid: 0123456789abcdef0123456789abcdef\nstart_time: 1700000000000\nstatus: 3\n")
    for name, split in (("loss", "train"), ("val_loss", "eval")):
        lines = [f"{1700000000000 + p.step} {_number(p.value)} {p.step}"
                 for p in points if p.split == split]
        (run / "metrics" / name).write_text("".join(line + "\n" for line in lines))
    return run


def write_text_log(folder: Path, points: list[Point]) -> Path:
    # nanoGPT prints "iter N: loss X, ..." for training and "step N: train loss X, val loss Y".
    path = folder / "train.log"
    lines = []
    for p in points:
        if p.split == "train":
            lines.append(f"iter {p.step}: loss {_number(p.value)}, time 12.50ms, mfu 1.00%")
        else:
            lines.append(f"step {p.step}: train loss 1.0, val loss {_number(p.value)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_yolo(folder: Path, points: list[Point]) -> Path:
    # One row per epoch (steps are ignored); two components per split, the second 0, so
    # their sum (the "loss" curve) is the value written, NaN and inf included.
    path = folder / "results.csv"
    rows = ["                  epoch,    train/box_loss,    train/cls_loss, metrics/mAP50-95(B),"
            "      val/box_loss,      val/cls_loss"]
    for epoch, p in enumerate(points):
        cells = ([_number(p.value), "0.0", "0.5", "", ""] if p.split == "train"
                 else ["", "", "0.5", _number(p.value), "0.0"])
        rows.append(",".join(cell.rjust(18) for cell in [str(epoch), *cells]))
    path.write_text("\n".join(rows) + "\n")
    return folder


def write_mmengine(folder: Path, points: list[Point]) -> Path:
    # An iteration-based mmengine run: train lines with lr/iter, val lines with step only.
    vis = folder / "vis_data"
    vis.mkdir()
    lines = [f'{{"lr": 0.01, "loss": {_json_number(p.value)}, "iter": {p.step}, "step": {p.step}}}'
             if p.split == "train" else f'{{"loss": {_json_number(p.value)}, "step": {p.step}}}'
             for p in points]
    (vis / "scalars.json").write_text("".join(line + "\n" for line in lines))
    return folder


def write_fairseq(folder: Path, points: list[Point]) -> Path:
    path = folder / "train.log"
    lines = [f"| epoch 001 | loss {_number(p.value)} | num_updates {p.step}" if p.split == "train"
             else f"| epoch 001 | valid on 'valid' subset | loss {_number(p.value)} | "
             f"num_updates {p.step}" for p in points]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_wandb(folder: Path, points: list[Point]) -> Path:
    files = folder / "files"
    files.mkdir()
    lines = [json.dumps({"_step": i, "_runtime": 1.5 * i, "train/global_step": p.step,
                         ("train/loss" if p.split == "train" else "eval/loss"): p.value})
             for i, p in enumerate(points)]
    (files / "wandb-history.jsonl").write_text("".join(line + "\n" for line in lines))
    return folder


#: A writer of valid logs for each registered format, by ``NAME``.
WRITERS: dict[str, Writer] = {
    "hf_trainer": Writer(write_hf_trainer),
    "jsonl": Writer(write_jsonl),
    "lightning_csv": Writer(write_lightning),
    "csv": Writer(write_plain_csv),
    "keras_csv": Writer(write_keras, steps_kept=False),
    "tensorboard": Writer(write_tensorboard, float32=True),
    "mlflow": Writer(write_mlflow),
    "text_log": Writer(write_text_log, extra=frozenset({("train", "loss_estimate")})),
    "yolo": Writer(write_yolo, steps_kept=False, extra=frozenset({
        ("train", "box_loss"), ("train", "cls_loss"), ("eval", "box_loss"), ("eval", "cls_loss"),
        ("eval", "map")})),
    "mmengine": Writer(write_mmengine, extra=frozenset({("train", "learning_rate")})),
    "fairseq": Writer(write_fairseq),
    "wandb": Writer(write_wandb),
}

FORMAT_NAMES = [fmt.NAME for fmt in FORMATS]


def check_scalars(frame: pd.DataFrame) -> None:
    """Assert ``frame`` is a valid tidy scalars frame (docs/architecture.md's data model)."""
    assert tuple(frame.columns) == SCALAR_COLUMNS
    assert frame["step"].dtype == np.int64 and (frame["step"] >= 0).all()
    for column in ("epoch", "value", "wall_time"):
        assert frame[column].dtype == np.float64, column
    assert frame["split"].isin(SPLITS).all()
    for column in ("metric", "source_key"):
        assert all(isinstance(name, str) for name in frame[column]), column
        "".join(frame[column]).encode("utf-8")  # no lone surrogates: every output is UTF-8
    assert frame.index.equals(pd.RangeIndex(len(frame)))


def check_usable(run: Run) -> None:
    """Assert a loaded run has a valid frame and can be analysed and written out."""
    check_scalars(run.scalars)
    text = summary_json(run, analyze_run(run))
    json.loads(text)
    text.encode("utf-8")


# --------------------------------------------------------------------------- strategies


@st.composite
def mutated(draw: st.DrawFn, sample: bytes) -> bytes:
    """``sample`` damaged by 1-4 edits: cut, flip, insert, delete or repeat bytes."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(["cut", "flip", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if edit == "cut":
            del data[at:]
        elif edit == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16)
                               | st.sampled_from([b"\n", b",", b"NaN", b"\xff", b"{", b"\x00",
                                                  b'"', b"-1e999", b"\r\n", b"[" * 50]))
        elif edit == "delete":
            del data[at:at + draw(st.integers(1, 32))]
        elif edit == "repeat":
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[end:end] = data[at:end]
    return bytes(data)


def sample_points() -> list[Point]:
    values = [3.0, 2.5, float("nan"), 2.0, float("inf"), 1.5, 1.25, 1.0]
    return [Point(10 * (i + 1), "eval" if i % 3 == 2 else "train", v)
            for i, v in enumerate(values)]


def valid_sample(name: str) -> dict[str, bytes]:
    """The files of a valid log of format ``name`` (relative path -> bytes) and its target."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        WRITERS[name].write(folder, sample_points())
        return {str(p.relative_to(folder)): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}


def _fuzz_target(folder: Path, rel: str, fmt_name: str) -> Path:
    """What to load after damaging ``rel``: the folder of the sample, as a user would."""
    writer = WRITERS[fmt_name]
    probe = Path(tempfile.mkdtemp(dir=folder))
    target = writer.write(probe, [])
    return folder / target.relative_to(probe) if target != probe else folder


# --------------------------------------------------------------------------- property 1


def test_every_registered_format_has_a_writer():
    missing = [name for name in FORMAT_NAMES if name not in WRITERS]
    assert missing == [], f"add a writer of valid logs to WRITERS for {missing}"


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_NAMES)
def test_any_bytes_give_a_frame_or_reportlib_error(fmt):
    sample = valid_sample(fmt.NAME) if fmt.NAME in WRITERS else {"log.txt": b"step,loss\n1,2\n"}
    names = sorted(sample)

    @FUZZ
    @given(rel=st.sampled_from(names),
           data=st.data())
    def check(rel: str, data: st.DataObject) -> None:
        damaged = data.draw(st.binary(max_size=600) | mutated(sample[rel]), label="bytes")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for other, content in sample.items():
                (folder / other).parent.mkdir(parents=True, exist_ok=True)
                (folder / other).write_bytes(damaged if other == rel else content)
            path = folder / rel
            assert isinstance(fmt.detect(path), bool)
            assert isinstance(fmt.detect(folder), bool)
            for target in (path, folder):
                try:
                    run = fmt.load(target)
                except ReportlibError as error:
                    assert "\n" not in str(error)
                else:
                    check_scalars(run.scalars)
            load_and_use(folder)

    check()


def load_and_use(path: Path) -> None:
    """``load_run(path)`` gives a usable run or reportlib's one-line error."""
    try:
        run = load_run(path)
    except ReportlibError as error:
        assert "\n" not in str(error)
        event(f"refused: {type(error).__name__}")
        return
    event(f"loaded: {run.format}, {'some' if len(run.scalars) else 'no'} values")
    check_usable(run)


#: JSON values as logs hold them, and as damaged logs might: every type, odd numbers,
#: odd text (markup, control characters, lone surrogates), nesting.
JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=12) | st.sampled_from(["1.5", " 2 ", "nan", "inf", "-1e999",
                                                         "\ud800", "<b>x</b>", "1_000"]))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)
#: Keys of log entries: real ones (so entries reach the parsers' inner paths) and any text.
LOG_KEYS = st.sampled_from(["step", "epoch", "loss", "eval_loss", "learning_rate", "eval_chrf",
                            "train_runtime", "total_flos", "current_steps", "total_steps",
                            "iteration", "lr", "grad_norm", "val/loss", ""]) | st.text(max_size=10)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
NUMBERS = (FLOATS | FLOATS | FLOATS | st.integers(-(2**70), 2**70)
           | st.sampled_from(["1.5", " 2 ", "nan", "-inf", "1e999", "abc", ""]))
#: Entries shaped like real ones (a step and numbers), so most reach the inner paths.
PLAUSIBLE_ENTRY = st.fixed_dictionaries(
    {"step": st.integers(0, 10**6) | st.sampled_from([-1, 2**63, 1.5, "7", None])},
    optional={"epoch": NUMBERS, "loss": NUMBERS, "eval_loss": NUMBERS, "learning_rate": NUMBERS,
              "eval_chrf": NUMBERS, "train_runtime": NUMBERS, "train_loss": NUMBERS,
              "val/loss": NUMBERS, "current_steps": st.integers(0, 10**6),
              "total_steps": st.integers(0, 10**6), "": NUMBERS, "<b>x</b>": NUMBERS},
)
VALID_ENTRY = st.fixed_dictionaries(
    {"step": st.integers(0, 10**6)},
    optional={"epoch": FLOATS, "loss": FLOATS, "eval_loss": FLOATS, "eval_chrf": FLOATS,
              "grad_norm": FLOATS, "train_runtime": FLOATS},
)
LOG_ENTRY = (VALID_ENTRY | VALID_ENTRY | VALID_ENTRY | PLAUSIBLE_ENTRY
             | st.builds(lambda a, b: {**b, **a}, PLAUSIBLE_ENTRY,
                         st.dictionaries(LOG_KEYS, JSON_VALUES, max_size=2))
             | st.dictionaries(LOG_KEYS, JSON_VALUES, max_size=6))


#: Lists of log entries: valid ones with a few odd ones among them (one bad entry
#: fails the whole file, so most lists must be mostly valid to reach the inner paths).
LOG_ENTRIES = (st.lists(VALID_ENTRY, min_size=1, max_size=8)
               | st.tuples(st.lists(VALID_ENTRY, max_size=6),
                           st.lists(LOG_ENTRY | JSON_VALUES, min_size=1, max_size=2),
                           st.randoms(use_true_random=False))
               .map(lambda parts: parts[2].sample(parts[0] + parts[1], len(parts[0] + parts[1]))))


@FUZZ
@given(entries=LOG_ENTRIES,
       top=st.dictionaries(st.sampled_from(["global_step", "max_steps", "logging_steps",
                                            "num_train_epochs", "stateful_callbacks",
                                            "best_model_checkpoint"]) | st.text(max_size=6),
                           JSON_VALUES, max_size=4))
def test_any_trainer_state_json_gives_a_frame_or_reportlib_error(entries, top):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "trainer_state.json").write_text(
            json.dumps({**top, "log_history": entries}))
        load_and_use(Path(tmp))


@FUZZ
@given(lines=LOG_ENTRIES,
       cut=st.booleans())
def test_any_json_lines_give_a_frame_or_reportlib_error(lines, cut):
    with tempfile.TemporaryDirectory() as tmp:
        text = "".join(json.dumps(line) + "\n" for line in lines)
        (Path(tmp) / "trainer_log.jsonl").write_text(text[:-3] if cut else text)
        load_and_use(Path(tmp) / "trainer_log.jsonl")


CSV_CELLS = st.sampled_from(["", "NA", "nan", "inf", "-inf", "1e400", "abc", "1", "0.5", "-2",
                             "1e-320", "9" * 30, '"x,y"', "true", " "]) | st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6)
CSV_NAMES = st.sampled_from(["step", "epoch", "loss", "val_loss", "train_loss", "accuracy",
                             "lr-Adam", "split", "created_at", "wall_time", "", "step"])


@FUZZ
@given(header=st.lists(CSV_NAMES | st.text(max_size=6), min_size=1, max_size=5).map(
           lambda names: ["step", *names]) | st.lists(CSV_NAMES, min_size=1, max_size=5),
       name=st.sampled_from(["metrics.csv", "training.log", "log.csv"]),
       data=st.data())
def test_any_csv_gives_a_frame_or_reportlib_error(header, name, data):
    # Mostly rows as wide as the header, of numbers (so the readers get past sniffing).
    numeric = st.lists(FLOATS.map(repr) | st.integers(0, 10**6).map(str),
                       min_size=len(header), max_size=len(header))
    row = numeric | numeric | st.lists(CSV_CELLS, min_size=len(header), max_size=len(header)) \
        | st.lists(CSV_CELLS, max_size=len(header) + 2)
    rows = data.draw(st.lists(row, max_size=6), label="rows")
    with tempfile.TemporaryDirectory() as tmp:
        text = "\n".join(",".join(cells) for cells in [header, *rows]) + "\n"
        (Path(tmp) / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        load_and_use(Path(tmp) / name)
        load_and_use(Path(tmp))


@FUZZ
@given(data=st.binary(max_size=400) | mutated(
    b"title: 'A run'\nmodel: {name: gpt2, parameters: 124}\ndataset: {name: d, size: 500}\n"
    b"epochs: 10\nseed: 1\nlearning_rate: 1e-3\nnotes: |\n  text\nmetric_names: {acc: accuracy}\n"
    b"x: &a [1, 2]\ny: *a\n"))
def test_run_yaml_any_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.yaml"
        path.write_bytes(data)
        try:
            values = read_run_yaml(path)
        except ReportlibError as error:
            assert "\n" not in str(error)
            return
        assert isinstance(values, dict)
        json.dumps(values, default=str).encode("utf-8")


@FUZZ
@given(name=st.text(max_size=40) | st.from_regex(
    r"(step|steps|global_step|checkpoint|ckpt|epoch|epochs)?[-_]?[0-9]{1,30}", fullmatch=True))
def test_prediction_file_names_parse_or_are_ignored(name):
    parsed = parse_prediction_name(Path(name.replace("/", "_").replace("\x00", "") + ".jsonl"))
    assert parsed is None or (parsed[0] in {"step", "epoch"} and parsed[1] >= 0)


REFERENCES = b"".join(json.dumps({"id": i, "prompt": "p", "reference": f"ref {i}"}).encode()
                      + b"\n" for i in range(4))
PREDICTIONS = b"".join(json.dumps({"id": i, "prediction": f"pred {i}"}).encode() + b"\n"
                       for i in range(4))


@FUZZ
@given(refs=st.binary(max_size=300) | mutated(REFERENCES),
       preds=st.binary(max_size=300) | mutated(PREDICTIONS))
def test_prediction_files_read_or_raise_predictions_error(refs, preds):
    from reportlib.scoring.inputs import read_predictions, read_references

    with tempfile.TemporaryDirectory() as tmp:
        ref_path, pred_path = Path(tmp) / "references.jsonl", Path(tmp) / "step-1.jsonl"
        ref_path.write_bytes(refs)
        pred_path.write_bytes(preds)
        try:
            ids, texts = read_references(ref_path)
            aligned = read_predictions(pred_path, {i: n for n, i in enumerate(ids)})
        except PredictionsError as error:
            assert "\n" not in str(error)
            return
        assert len(ids) == len(texts) == len(aligned)
        assert all(isinstance(t, str) for t in [*texts, *aligned])


# --------------------------------------------------------------------------- property 2


def _points_strategy(float32: bool, non_finite: bool) -> st.SearchStrategy[list[Point]]:
    width = 32 if float32 else 64
    values = st.floats(allow_nan=non_finite, allow_infinity=non_finite, width=width)
    return st.lists(
        # The writers write a train and a validation curve (a test split is one value at the end).
        st.tuples(st.integers(1, 3) | st.integers(1, 2**40), st.sampled_from(("train", "eval")),
                  values),
        min_size=1, max_size=25,
    ).map(_with_increasing_steps)


def _with_increasing_steps(items: list[tuple[int, str, float]]) -> list[Point]:
    points, step, used = [], 0, set()
    for gap, split, value in items:
        step += gap
        if (step, split) in used:  # one value per step and split: the log's own rule
            continue
        used.add((step, split))
        points.append(Point(step, split, value))
    return points


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_valid_logs_round_trip_exactly(name):
    if name not in WRITERS:
        pytest.fail(f"no writer of valid {name} logs: add one to WRITERS")
    writer = WRITERS[name]

    @FUZZ
    @given(points=_points_strategy(writer.float32, writer.non_finite))
    def check(points: list[Point]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            target = writer.write(Path(tmp), points)
            run = load_run(target)
        assert run.format == name
        check_scalars(run.scalars)
        for split in SPLITS:
            wanted = [p for p in points if p.split == split]
            got = run.series(split, "loss")
            values = got["value"].tolist()
            expected = [float(np.float32(p.value)) if writer.float32 else p.value
                        for p in wanted]
            assert len(values) == len(expected), (split, values, expected)
            assert all(_same(a, b) for a, b in zip(values, expected, strict=True)), (
                split, values, expected)
            if writer.steps_kept:
                assert got["step"].tolist() == [p.step for p in wanted]
        others = set(map(tuple, run.scalars[["split", "metric"]].to_numpy())) - {
            ("train", "loss"), ("eval", "loss"), *writer.extra}
        assert not others, f"values that were not written: {others}"

    check()


def test_tensorboard_writer_matches_tensorboard_itself(tmp_path):
    """The hand-written event files of these tests decode as TensorBoard's own reader says."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(event_file([(3, "train/loss", 1.5), (7, "eval/loss", float("nan"))]))
    records = list(RawEventFileLoader(str(path)).Load())
    assert len(records) == 3
    from tensorboard.compat.proto.event_pb2 import Event

    events = [Event.FromString(r) for r in records]
    assert events[0].file_version == "brain.Event:2"
    assert (events[1].step, events[1].summary.value[0].tag,
            events[1].summary.value[0].simple_value) == (3, "train/loss", 1.5)
    assert math.isnan(events[2].summary.value[0].simple_value)
    assert struct.calcsize("<f") == 4
