"""Tests of TensorBoard ingest: tfrecord framing, event decoding, log dirs.

Event files come from TensorBoard's own writers: the committed example run's
file (written by the Trainer's TensorBoardCallback through torch's
SummaryWriter), torch's SummaryWriter here, and TensorBoard's EventFileWriter
for Events built with its protos (TF2-style tensor scalars, hparams, text,
histograms). Expected values come from what was written, from the run's own
trainer_state.json, or from TensorBoard's EventAccumulator: never from
reportlib's own reading.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from reportlib.errors import InputError
from reportlib.ingest import detect_format, load_run, tensorboard, tfevents
from reportlib.ingest.tfevents import decode_event, decode_events
from reportlib.ingest.tfrecord import frame_record, scan_records

try:  # TensorBoard's writer and protos write the test files; without it, those tests skip
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError:  # pragma: no cover - tensorboard is in the test environment
    event_pb2 = summary_pb2 = tensor_pb2 = tensor_shape_pb2 = EventFileWriter = None

needs_tensorboard = pytest.mark.skipif(EventFileWriter is None, reason="tensorboard not installed")

DATA = Path(__file__).parent / "data" / "tensorboard"
EVENT_FILE = DATA / "events.out.tfevents.1795635129.vm.7413.0"
STATE_FILE = DATA / "tiny-codegen_trainer_state.json"


# --- writing event files with TensorBoard's own writer ---------------------------------------


def write_events(folder: Path, events: list[event_pb2.Event]) -> Path:
    """Write Events with TensorBoard's EventFileWriter; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    writer = EventFileWriter(str(folder))
    for event in events:
        writer.add_event(event)
    writer.close()
    (path,) = set(folder.iterdir()) - before
    return path


def scalar_event(step: int, tag: str, value: float, wall_time: float = 1000.0) -> event_pb2.Event:
    event = event_pb2.Event(wall_time=wall_time, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event


def tensor_event(step: int, tag: str, tensor: tensor_pb2.TensorProto,
                 plugin: str | None = "scalars", wall_time: float = 1000.0) -> event_pb2.Event:
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if plugin is not None:
        value.metadata.plugin_data.plugin_name = plugin
    summary = summary_pb2.Summary(value=[value])
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary)


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def scalar_tensor(dtype: int, **fields) -> tensor_pb2.TensorProto:
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                  **fields)


# --- the example run's event file -----------------------------------------------------------


def state_values(key: str) -> dict[int, float]:
    history = json.loads(STATE_FILE.read_text())["log_history"]
    return {e["step"]: e[key] for e in history if key in e and "train_runtime" not in e}


@pytest.mark.parametrize(
    ("split", "metric", "key"),
    [
        ("train", "loss", "loss"),
        ("train", "grad_norm", "grad_norm"),
        ("train", "learning_rate", "learning_rate"),
        ("eval", "loss", "eval_loss"),
        ("eval", "chrf", "eval_chrf"),
    ],
)
def test_example_run_matches_its_trainer_state(split: str, metric: str, key: str) -> None:
    """The event file and trainer_state.json of one run record the same values."""
    expected = state_values(key)
    series = tensorboard.load(EVENT_FILE.parent).series(split, metric)
    assert dict(zip(series["step"], series["value"], strict=True)) == pytest.approx(
        {step: f32(value) for step, value in expected.items()}, rel=1e-6
    )
    epochs = state_values("epoch")
    assert series["epoch"].tolist() == pytest.approx([epochs[s] for s in series["step"]],
                                                     rel=1e-6)


def test_example_run_summary_and_skipped_values() -> None:
    run = tensorboard.load(EVENT_FILE)
    summary = json.loads(STATE_FILE.read_text())["log_history"][-1]
    assert run.meta["train_summary"]["step"] == summary["step"]
    assert run.meta["train_summary"]["train_loss"] == pytest.approx(summary["train_loss"], rel=1e-6)
    assert not (run.scalars["metric"].isin(["train_loss", "train_runtime", "epoch"])).any()
    # The Trainer writes its args and model config as text summaries: counted, not read.
    assert run.meta["skipped_values"] == {"text tensors": 2}
    assert run.warnings == []
    assert run.scalars["wall_time"].between(1.7e9, 1.9e9).all()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (EVENT_FILE, "tensorboard"),
        (EVENT_FILE.parent, "tensorboard"),
    ],
)
def test_detected_as_tensorboard(path: Path, expected: str) -> None:
    assert detect_format(path) == expected


def test_a_trainer_folder_with_a_tb_subfolder_is_read_from_trainer_state(tmp_path: Path) -> None:
    shutil.copy(STATE_FILE, tmp_path / "trainer_state.json")
    (tmp_path / "tb").mkdir()
    shutil.copy(EVENT_FILE, tmp_path / "tb" / EVENT_FILE.name)
    assert detect_format(tmp_path) == "hf_trainer"
    assert detect_format(tmp_path / "tb") == "tensorboard"
    assert load_run(tmp_path, log_format="tensorboard").format == "tensorboard"


def test_renamed_event_file_is_recognised_by_content(tmp_path: Path) -> None:
    renamed = tmp_path / "log.bin"
    shutil.copy(EVENT_FILE, renamed)
    assert tensorboard.detect(renamed)
    garbage = tmp_path / "other.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert not tensorboard.detect(garbage)


# --- files written here ---------------------------------------------------------------------


def test_torch_summary_writer_every_point_is_kept(tmp_path: Path) -> None:
    """10,000 points per tag: TensorBoard's loader would sample them; reportlib keeps all."""
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    rng = np.random.default_rng(0)
    losses = rng.random(10_000)
    writer = torch_tb.SummaryWriter(str(tmp_path))
    for step, loss in enumerate(losses):
        writer.add_scalar("train/loss", loss, step)
        if step % 1000 == 0:
            writer.add_scalar("eval/loss", loss * 2, step)
    writer.close()
    run = tensorboard.load(tmp_path)
    train = run.series("train", "loss")
    assert len(train) == 10_000
    assert train["value"].tolist() == [f32(x) for x in losses]
    assert run.series("eval", "loss")["step"].tolist() == list(range(0, 10_000, 1000))


@needs_tensorboard
def test_tf2_tensor_scalars_and_other_plugins_match_event_accumulator(tmp_path: Path) -> None:
    """Tensor scalars of every common layout, next to hparams/text/histograms that are not."""
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea
    from tensorboard.util import tensor_util

    events = []
    for step in range(1, 40):
        events += [
            scalar_event(step, "simple", step / 3),
            tensor_event(step, "float_val", scalar_tensor(1, float_val=[step * 0.25])),
            tensor_event(step, "content_f32",
                         scalar_tensor(1, tensor_content=struct.pack("<f", -step / 7)),
                         plugin="scalars" if step == 1 else None),  # metadata once, as TF2 does
            tensor_event(step, "double", tensor_util.make_tensor_proto(np.float64(step / 9))),
            tensor_event(step, "int64", tensor_util.make_tensor_proto(np.int64(-step))),
            tensor_event(step, "half", tensor_util.make_tensor_proto(np.float16(step / 4))),
        ]
        if step % 10 == 0:
            histo = summary_pb2.Summary.Value(tag="weights")
            histo.histo.max = 1.0
            events.append(event_pb2.Event(step=step, summary=summary_pb2.Summary(value=[histo])))
            events.append(tensor_event(step, "_hparams_/x", scalar_tensor(1, float_val=[0.0]),
                                       plugin="hparams"))
            events.append(tensor_event(step, "notes",
                                       tensor_util.make_tensor_proto(np.array([b"hi"])), "text"))
        multi = event_pb2.Event(wall_time=5.0, step=step)
        multi.summary.value.add(tag="multi/a", simple_value=step)
        multi.summary.value.add(tag="multi/b", simple_value=-step)
        events.append(multi)
    path = write_events(tmp_path, events)

    accumulator = pea.EventAccumulator(str(path), size_guidance={"tensors": 0},
                                       purge_orphaned_data=False)
    accumulator.Reload()
    expected = {}
    for tag in accumulator.Tags()["tensors"]:
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
            expected[tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
                             for e in accumulator.Tensors(tag)]
    decoded = decode_events(scan_records(path))
    found: dict[str, list] = {}
    for step, tag, value in zip(decoded.step, decoded.tag, decoded.value, strict=True):
        found.setdefault(decoded.tags[tag], []).append((int(step), float(value)))
    assert found == expected
    assert set(found) == {"simple", "float_val", "content_f32", "double", "int64", "half",
                          "multi/a", "multi/b"}
    assert decoded.skipped == {"histograms": 3, "hparams tensors": 3, "text tensors": 3}


@needs_tensorboard
def test_fast_path_and_general_decoder_agree_across_chunks(tmp_path: Path, monkeypatch) -> None:
    """Decode each record alone with the general decoder; the chunked fast path must agree."""
    monkeypatch.setattr(tfevents, "FAST_CHUNK", 7)
    rng = np.random.default_rng(3)
    events = []
    for i in range(200):
        tag = ["a", "bb/c", "x" * 130, "é/ü", "a"][i % 5]  # a long tag and a UTF-8 one too
        if i % 3:
            events.append(scalar_event(int(rng.integers(0, 2**40)), tag, float(rng.normal()),
                                       wall_time=float(rng.random() * 2e9)))
        else:
            events.append(tensor_event(i, tag, scalar_tensor(2, double_val=[rng.normal()])))
    events.append(scalar_event(0, "zero step", 1.0, wall_time=0.0))  # defaults are omitted
    path = write_events(tmp_path, events)
    scan = scan_records(path)
    decoded = decode_events(scan)
    expected = []
    for index, (start, length) in enumerate(zip(scan.starts, scan.lengths, strict=True)):
        event = decode_event(scan.content, int(start), int(start + length))
        expected += [(index, event.step, event.wall_time, v.tag, v.number)
                     for v in event.values if v.kind == "scalar"]
    got = [(int(r), int(s), float(w), decoded.tags[t], float(v)) for r, s, w, t, v in
           zip(decoded.record, decoded.step, decoded.wall_time, decoded.tag, decoded.value,
               strict=True)]
    assert got == expected
    assert len(got) == 201


@needs_tensorboard
def test_general_decoder_matches_protobuf(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        event = event_pb2.Event(wall_time=float(rng.random() * 1e9),
                                step=int(rng.integers(-(2**62), 2**62)))
        for k in range(int(rng.integers(0, 4))):
            event.summary.value.add(tag=f"t{k}" * int(rng.integers(1, 60)),
                                    simple_value=float(rng.normal()))
        data = event.SerializeToString()
        decoded = decode_event(data, 0, len(data))
        parsed = event_pb2.Event.FromString(data)
        assert (decoded.step, decoded.wall_time) == (parsed.step, parsed.wall_time)
        assert [(v.tag, v.number) for v in decoded.values] == [
            (v.tag, v.simple_value) for v in parsed.summary.value
        ]


@pytest.mark.parametrize("data", [b"\x0a\x05ab", b"\x10", b"\x0b", b"\x00\x01", b"\x09\x00"])
def test_malformed_event_bytes_raise(data: bytes) -> None:
    with pytest.raises(tfevents.MalformedRecordError):
        decode_event(data, 0, len(data))


# --- corrupt, truncated, resumed ------------------------------------------------------------


def five_steps(tmp_path: Path) -> Path:
    return write_events(tmp_path, [scalar_event(s, "loss", s / 10) for s in range(1, 6)])


def record_offsets(path: Path) -> list[int]:
    scan = scan_records(path)
    return [int(s) - 12 for s in scan.starts]


@needs_tensorboard
def test_corrupt_data_checksum_skips_that_record(tmp_path: Path) -> None:
    path = five_steps(tmp_path)
    offset = record_offsets(path)[3]  # the record of step 3 (record 0 is file_version)
    data = bytearray(path.read_bytes())
    data[offset + 14] ^= 0xFF
    path.write_bytes(bytes(data))
    run = tensorboard.load(tmp_path)
    assert run.series("train", "loss")["step"].tolist() == [1, 2, 4, 5]
    assert run.warnings == [
        f"{path.name}: 1 record(s) with a wrong data checksum skipped (a corrupt file; at byte "
        f"{offset})"
    ]


@needs_tensorboard
def test_corrupt_length_checksum_stops_reading_there(tmp_path: Path) -> None:
    path = five_steps(tmp_path)
    offset = record_offsets(path)[4]
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01  # the length: its checksum no longer matches
    path.write_bytes(bytes(data))
    run = tensorboard.load(tmp_path)
    assert run.series("train", "loss")["step"].tolist() == [1, 2, 3]
    assert run.warnings == [
        f"{path.name}: the record at byte {offset} has a wrong length checksum (a corrupt "
        f"file): the {len(data) - offset} bytes from there on were not read"
    ]


@needs_tensorboard
def test_a_file_with_no_valid_record_is_an_error(tmp_path: Path) -> None:
    path = five_steps(tmp_path)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"no valid TensorBoard event record could be read \(.*"
                                         r"wrong length checksum"):
        tensorboard.load(path)


@pytest.mark.parametrize("cut", [1, 5, 12, 20])
@needs_tensorboard
def test_a_cut_last_record_means_in_progress(tmp_path: Path, cut: int) -> None:
    path = five_steps(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    run = tensorboard.load(path)
    assert run.series("train", "loss")["step"].tolist() == [1, 2, 3, 4]
    assert run.meta["in_progress"] is True
    assert len(run.warnings) == 1
    assert run.warnings[0].startswith(f"{path.name} ends in an incomplete record (")


def test_an_empty_event_file_is_an_empty_run(tmp_path: Path) -> None:
    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"")
    run = tensorboard.load(tmp_path)
    assert run.scalars.empty
    assert run.warnings == ["the event files hold no scalar values"]


@needs_tensorboard
def test_resumed_run_in_a_new_subfolder_later_values_win(tmp_path: Path) -> None:
    """The Trainer writes runs/<date>_<host>/ per session; a resume repeats steps 30-40."""
    first = [scalar_event(s, "train/loss", 1.0 / s, wall_time=100.0 + s) for s in (10, 20, 30, 40)]
    second = [scalar_event(s, "train/loss", 2.0 / s, wall_time=500.0 + s) for s in (30, 40, 50)]
    write_events(tmp_path / "runs" / "Jan02_host", second)  # sorts first by name, written later
    write_events(tmp_path / "runs" / "Jan01_host", first)
    run = tensorboard.load(tmp_path)
    series = run.series("train", "loss")
    assert series["step"].tolist() == [10, 20, 30, 40, 50]
    assert series["value"].tolist() == pytest.approx([0.1, 0.05, 2 / 30, 0.05, 0.04])
    assert [Path(f).parent.name for f in run.meta["event_files"]] == ["Jan01_host", "Jan02_host"]
    assert any("steps 30-40" in w and "the later values were kept" in w for w in run.warnings)
    assert any("2 sub-folders were merged as sessions of one run" in w for w in run.warnings)


@needs_tensorboard
def test_keras_train_and_validation_subfolders(tmp_path: Path) -> None:
    write_events(tmp_path / "train",
                 [scalar_event(e, "epoch_loss", 1.0 - e / 10) for e in range(3)])
    write_events(tmp_path / "validation",
                 [scalar_event(e, "epoch_loss", 1.5 - e / 10) for e in range(3)])
    run = tensorboard.load(tmp_path)
    assert run.curves() == [("train", "loss"), ("eval", "loss")]
    assert run.series("eval", "loss")["value"].tolist() == pytest.approx([1.5, 1.4, 1.3])
    keys = set(run.scalars["source_key"])
    assert keys == {"train/epoch_loss", "validation/epoch_loss"}
    assert not any("merged as sessions" in w for w in run.warnings)


@needs_tensorboard
def test_lightning_step_and_epoch_tags(tmp_path: Path) -> None:
    events = [scalar_event(s, "train_loss_step", s / 100) for s in range(1, 5)]
    events += [scalar_event(4, "train_loss_epoch", 0.025), scalar_event(4, "epoch", 0.0),
               scalar_event(4, "val_loss", 0.3)]
    write_events(tmp_path, events)
    run = tensorboard.load(tmp_path)
    assert run.curves() == [("train", "loss"), ("train", "loss_epoch"), ("eval", "loss")]
    assert run.series("eval", "loss")["epoch"].tolist() == [0.0]


def test_folder_without_event_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert not tensorboard.detect(tmp_path)
    with pytest.raises(InputError, match=r"holds no TensorBoard event files"):
        tensorboard.load(tmp_path)


@needs_tensorboard
def test_frame_record_is_what_tensorflow_writes(tmp_path: Path) -> None:
    """reportlib's framing (used by the benchmark) equals TensorBoard's writer's bytes."""
    event = scalar_event(7, "loss", 0.5)
    path = write_events(tmp_path, [event])
    records = path.read_bytes()
    assert records.endswith(frame_record(event.SerializeToString()))


@needs_tensorboard
def test_nan_and_inf_scalars_are_kept(tmp_path: Path) -> None:
    write_events(tmp_path, [scalar_event(1, "loss", math.nan), scalar_event(2, "loss", math.inf)])
    run = tensorboard.load(tmp_path)
    values = run.series("train", "loss")["value"]
    assert np.isnan(values.iloc[0]) and np.isinf(values.iloc[1])
    assert any(w.startswith("NaN or infinite values kept as logged: 2") for w in run.warnings)


def test_an_ultralytics_event_file_reads_as_its_results_csv(tmp_path: Path) -> None:
    """An audited YOLOv8 event file read alone: its training loss was 'not logged' (the
    three components were not summed), mAP was a train curve, and best.pt's final
    re-validation replaced the last epoch's mAP. Written here with torch's SummaryWriter
    in ultralytics' tag layout (generated values)."""
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    writer = torch_tb.SummaryWriter(str(tmp_path))
    for epoch in range(1, 6):
        for part, value in (("box", 1.0), ("cls", 2.0), ("dfl", 0.5)):
            writer.add_scalar(f"train/{part}_loss", value / epoch, epoch)
            writer.add_scalar(f"val/{part}_loss", 1.1 * value / epoch, epoch)
        writer.add_scalar("metrics/mAP50-95(B)", 0.1 * epoch, epoch)
    writer.add_scalar("metrics/mAP50-95(B)", 0.45, 5)  # best.pt validated again at the end
    writer.close()
    run = tensorboard.load(tmp_path)
    assert run.series("train", "loss")["value"].tolist() == pytest.approx(
        [3.5 / e for e in range(1, 6)], rel=1e-6)
    assert run.series("eval", "loss")["value"].tolist() == pytest.approx(
        [3.85 / e for e in range(1, 6)], rel=1e-6)
    assert run.series("eval", "map")["value"].tolist() == pytest.approx(
        [0.1 * e for e in range(1, 6)], rel=1e-6)
    assert any("ultralytics validates the best weights (best.pt) again" in w
               and "metrics/mAP50-95(B) 0.450" in w for w in run.warnings)
