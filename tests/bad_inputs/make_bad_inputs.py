"""Generate reportlib's corpus of bad inputs (issue 7), deterministically.

Every case is a run folder or a log file that a user could hand to reportlib,
damaged in one way: empty, binary, a Git LFS pointer, truncated at every kind
of boundary, non-finite or absurd numbers, text where numbers belong, steps
that repeat or go back, half a run, predictions that do not match, bytes that
are not UTF-8, very long lines, deep nesting, a 1,000,000-step log, files that
are not files. For each, :class:`BadInput` says what reportlib must do: build
a report whose warnings (or findings) name the problem, or stop with one error
line that names the file.

Usage::

    python tests/bad_inputs/make_bad_inputs.py OUT_DIR [--large]

writes the corpus under OUT_DIR and prints how many cases there are of each
kind. The tests (tests/test_bad_inputs.py) call :func:`make_corpus` into a
temporary folder instead of committing the files. Everything here is
generated (seeded) except the small real files of ``tests/bad_inputs/real/``,
whose provenance is in tests/data/PROVENANCE.tsv.

Only the standard library is used, so the script runs anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import struct
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The test data folder, which holds real files (see its PROVENANCE.tsv).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: What a real log with nothing to plot must say (or be refused as unreadable).
NOTHING_TO_PLOT = (r"no logged values|no (metric|value|loss|scalar|step|number)|too few|not logged|"
                   r"one point|single|only \d|not recognise|no supported")

#: Real files from public repositories that are bad inputs as they stand (copied
#: into tests/data by the ingest tests, provenance in tests/data/PROVENANCE.tsv):
#: (case name, path under tests/data, path inside the case, target inside the case,
#: outcome, pattern, description).
REAL_FILES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("real_empty_log_history",
     "hf/hf_trainer_state__khushpatel2002__method-comment-generation__model_trainer_state.json",
     "trainer_state.json", "", "report", r"no logged values",
     "real: a smoke-test run whose log_history is [] (logging_steps > max_steps)"),
    ("real_jsonl_single_line_no_loss", "jsonl/jsonl__aa-n__Qwen3_Lora__trainer_log.jsonl",
     "trainer_log.jsonl", "trainer_log.jsonl", "either", NOTHING_TO_PLOT,
     "real: a LLaMA-Factory trainer_log.jsonl with one progress line and no loss"),
    ("real_text_log_without_metrics",
     "text_log/plaintext_log__GuoxiangJiang__Transformer-in-en-de-trans__logs_train.log",
     "train.log", "train.log", "either", NOTHING_TO_PLOT,
     "real: a nohup log of a run that crashed before logging anything"),
    ("real_csv_single_row",
     "csv/other_csv__MrP539__Text_Machine_Translation_opus-mt-en-fr_finetune_kde4__results_"
     "training_log.csv", "training_log.csv", "training_log.csv", "either", NOTHING_TO_PLOT,
     "real: a CSV dump of one trainer.evaluate() with no step column"),
)

#: Seed of every random byte in the corpus.
SEED = 20240607

#: Steps in the "huge" log of the size kind.
LARGE_STEPS = 1_000_000

#: What a truncated log in a format that may stream (JSONL, CSV, events, text)
#: must say when it is read anyway: that its end is missing.
TRUNCATION_WORDS = (r"truncat|incomplete|not complete|in progress|still writing|unfinished|"
                    r"no line end|cut|partial|ends|corrupt|checksum")

#: The error every unrecognised input gets.
NOT_RECOGNISED = r"no supported training-log format recognises"

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)


@dataclass(frozen=True)
class BadInput:
    """One damaged input and what reportlib must do with it.

    Attributes
    ----------
    name:
        Unique id (also the case's folder name under the corpus root).
    kind:
        Its category, for the README's robustness table.
    target:
        The path (relative to the corpus root) given to reportlib.
    culprit:
        The file or folder (relative to the corpus root) the error must name.
    outcome:
        ``"error"``: one error line naming ``culprit`` and matching ``pattern``;
        ``"report"``: a report whose warnings or findings match ``pattern``
        (``""``: the run is valid though odd, a report is all that is asked);
        ``"either"``: one of the two (a format may read what is complete and
        warn, or refuse the file).
    pattern:
        A regular expression (case-insensitive).
    needs_format:
        The ingest format (``NAME``) that reads the case when it is not damaged;
        when that format is not registered the case must fail as "not recognised".
    scoring:
        The damage is in prediction files, which only scoring reads
        (:func:`reportlib.scoring.score_run`): the case is checked there.
    description:
        One line for people.
    """

    name: str
    kind: str
    target: str
    culprit: str
    outcome: str
    pattern: str
    description: str
    needs_format: str | None = None
    scoring: bool = False


# --------------------------------------------------------------------------- writers


def trainer_state(log_history: list, **top: object) -> dict:
    """A trainer_state.json object like the Trainer's (keys it always writes, sorted)."""
    state = {
        "best_metric": None,
        "best_model_checkpoint": None,
        "epoch": 3.0,
        "eval_steps": 10,
        "global_step": 30,
        "is_hyper_param_search": False,
        "is_local_process_zero": True,
        "is_world_process_zero": True,
        "log_history": log_history,
        "logging_steps": 5,
        "max_steps": 30,
        "num_train_epochs": 3,
        "save_steps": 10,
        "total_flos": 12345.0,
        "train_batch_size": 8,
        "trial_name": None,
        "trial_params": None,
    }
    state.update(top)
    return state


def healthy_log(steps: int = 30, *, every: int = 5, eval_every: int = 10) -> list[dict]:
    """A plausible log_history: train entries every ``every`` steps, evals every ``eval_every``."""
    log: list[dict] = []
    for step in range(every, steps + 1, every):
        epoch = round(step / 10, 4)
        log.append({"epoch": epoch, "grad_norm": 1.5 + step / 100, "learning_rate": 1e-3,
                    "loss": round(3.0 - step / 20, 4), "step": step})
        if step % eval_every == 0:
            log.append({"epoch": epoch, "eval_chrf": 10.0 + step, "eval_loss": 3.1 - step / 25,
                        "eval_runtime": 1.25, "eval_samples_per_second": 40.0, "step": step})
    return log


def state_text(state: dict, *, ensure_ascii: bool = True) -> str:
    """JSON as the Trainer writes it (``json.dumps(indent=2, sort_keys=True)``, NaN tokens)."""
    return json.dumps(state, indent=2, sort_keys=True, ensure_ascii=ensure_ascii) + "\n"


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    key = _varint(number << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as TFRecord framing uses it (pure Python, small inputs only)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC of ``data``."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """One TFRecord: length, masked CRC of the length, data, masked CRC of the data."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc(length)) + data
            + struct.pack("<I", masked_crc(data)))


def scalar_event(step: int, tag: str, value: float, wall_time: float) -> bytes:
    """A TensorBoard ``Event`` holding one ``simple_value`` scalar (protobuf wire format)."""
    summary_value = _field(1, 2, tag.encode()) + _field(2, 5, struct.pack("<f", value))
    summary = _field(1, 2, summary_value)
    return (_field(1, 1, struct.pack("<d", wall_time)) + _field(2, 0, _varint(step))
            + _field(5, 2, summary))


def event_file(points: list[tuple[int, str, float]]) -> bytes:
    """A TensorBoard event file: the version record, then one record per scalar."""
    start = 1_700_000_000.0
    header = _field(1, 1, struct.pack("<d", start)) + _field(3, 2, b"brain.Event:2")
    records = [tfrecord(header)]
    records += [tfrecord(scalar_event(step, tag, value, start + step))
                for step, tag, value in points]
    return b"".join(records)


def lightning_csv(rows: int = 12) -> str:
    """A Lightning CSVLogger metrics.csv: sparse rows, train every step, val every 4th."""
    lines = ["epoch,step,train_loss,val_loss"]
    for step in range(rows):
        lines.append(f"0,{step},{3.0 - step / 10:.4f},")
        if step % 4 == 3:
            lines.append(f"0,{step},,{3.2 - step / 10:.4f}")
    return "\n".join(lines) + "\n"


def jsonl_log(rows: int = 12) -> str:
    """A JSON-lines log: one ``{"step", "loss", ...}`` object per line."""
    return "".join(
        json.dumps({"step": step, "loss": round(3.0 - step / 10, 4), "lr": 1e-3}) + "\n"
        for step in range(1, rows + 1)
    )


# --------------------------------------------------------------------------- the corpus


class _Corpus:
    """Collects cases while writing their files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cases: list[BadInput] = []
        self.random = random.Random(SEED)

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def add(self, name: str, kind: str, files: dict[str, str | bytes], *, outcome: str,
            pattern: str, description: str, target: str = "", culprit: str | None = None,
            needs_format: str | None = None, scoring: bool = False) -> None:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            self.write(f"{name}/{rel}", content)
        target_rel = f"{name}/{target}" if target else name
        culprit_rel = f"{name}/{culprit}" if culprit is not None else target_rel
        self.cases.append(BadInput(name, kind, target_rel.rstrip("/"), culprit_rel.rstrip("/"),
                                   outcome, pattern, description, needs_format, scoring))

    def state(self, name: str, kind: str, state: dict | str | bytes, *, outcome: str,
              pattern: str, description: str, extra: dict[str, str | bytes] | None = None,
              culprit: str | None = "trainer_state.json") -> None:
        """A run folder whose trainer_state.json is ``state`` (an object, or its text)."""
        content = state_text(state) if isinstance(state, dict) else state
        self.add(name, kind, {"trainer_state.json": content, **(extra or {})}, outcome=outcome,
                 pattern=pattern, description=description, culprit=culprit)

    def bytes(self, size: int) -> bytes:
        return bytes(self.random.getrandbits(8) for _ in range(size))


def _empty(c: _Corpus) -> None:
    c.state("empty_state_file", "empty", b"", outcome="error", pattern=r"is empty",
            description="trainer_state.json of 0 bytes")
    c.state("whitespace_state_file", "empty", "  \n\n\t\n", outcome="error", pattern=r"is empty",
            description="trainer_state.json holding only whitespace")
    c.add("empty_folder", "empty", {}, outcome="error", pattern=NOT_RECOGNISED,
          description="a run folder with nothing in it")
    c.state("empty_log_history", "empty", trainer_state([]), outcome="report",
            pattern=r"no logged values",
            description="log_history is [] (logging_steps > max_steps)")
    c.state("empty_run_yaml", "empty", trainer_state(healthy_log()), outcome="report",
            pattern=r"run\.yaml is empty", extra={"run.yaml": ""},
            description="an empty run.yaml beside a good log", culprit="run.yaml")
    c.add("empty_unnamed_file", "empty", {"log.txt": b""}, target="log.txt", outcome="error",
          pattern=r"is empty|" + NOT_RECOGNISED, description="a 0-byte log file given directly")
    good = {"trainer_state.json": state_text(trainer_state(healthy_log()))}
    c.add("empty_references", "empty",
          {**good, "references.jsonl": "", "predictions/step-10.jsonl":
           '{"id": 1, "prediction": "a"}\n'}, culprit="references.jsonl", outcome="error",
          pattern=r"no sample", scoring=True, description="references.jsonl of 0 bytes")
    c.add("empty_predictions", "empty",
          {**good, "references.jsonl": '{"id": 1, "reference": "a"}\n',
           "predictions/step-10.jsonl": ""}, culprit="predictions/step-10.jsonl",
          outcome="error", pattern=r"no prediction", scoring=True,
          description="an empty prediction file")


def _binary(c: _Corpus) -> None:
    c.state("binary_state_file", "binary", b"\x89\xff\xfe" + c.bytes(4096), outcome="error",
            pattern=r"not UTF-8", description="random bytes named trainer_state.json")
    c.add("binary_unnamed_file", "binary", {"run.log": b"\x00\xff" + c.bytes(4096)},
          target="run.log", outcome="error", pattern=NOT_RECOGNISED,
          description="random bytes in a file of no known name")
    c.state("gzipped_state_file", "binary",
            gzip.compress(state_text(trainer_state(healthy_log())).encode(), mtime=0),
            outcome="error", pattern=r"not UTF-8",
            description="a gzip-compressed trainer_state.json under the plain name")
    c.state("nul_bytes_state_file", "binary", b"\x00" * 2048, outcome="error",
            pattern=r"not valid JSON", description="trainer_state.json of NUL bytes")
    c.state("binary_run_yaml", "binary", trainer_state(healthy_log()), outcome="error",
            pattern=r"not UTF-8", extra={"run.yaml": b"\xff\xfe" + c.bytes(512)},
            culprit="run.yaml", description="random bytes in run.yaml")
    good = {"trainer_state.json": state_text(trainer_state(healthy_log()))}
    c.add("binary_references", "binary",
          {**good, "references.jsonl": b"\xff\x00" + c.bytes(512),
           "predictions/step-10.jsonl": '{"id": 1, "prediction": "a"}\n'},
          culprit="references.jsonl", outcome="error", pattern=r"not UTF-8|not valid JSON",
          scoring=True, description="random bytes in references.jsonl")
    c.add("binary_event_file", "binary", {"events.out.tfevents.1700000000.host": c.bytes(4096)},
          outcome="either", pattern=TRUNCATION_WORDS + r"|not|no scalar|empty|damaged|record",
          needs_format="tensorboard", culprit="events.out.tfevents.1700000000.host",
          description="random bytes under a TensorBoard event file name")


def _lfs(c: _Corpus) -> None:
    hint = r"Git LFS pointer.*git lfs pull"
    c.state("lfs_state_file", "lfs_pointer", LFS_POINTER, outcome="error", pattern=hint,
            description="a Git LFS pointer in place of trainer_state.json")
    c.add("lfs_unnamed_log", "lfs_pointer", {"trainer_log.jsonl": LFS_POINTER},
          target="trainer_log.jsonl", outcome="error", pattern=hint,
          description="a Git LFS pointer given directly as the log")
    c.add("lfs_checkpoint_state", "lfs_pointer",
          {"checkpoint-20/trainer_state.json": LFS_POINTER}, culprit="checkpoint-20/"
          "trainer_state.json", outcome="error", pattern=hint,
          description="the only checkpoint's trainer_state.json is an LFS pointer")
    c.state("lfs_run_yaml", "lfs_pointer", trainer_state(healthy_log()), outcome="error",
            pattern=hint, extra={"run.yaml": LFS_POINTER}, culprit="run.yaml",
            description="run.yaml is an LFS pointer")
    c.add("lfs_event_file", "lfs_pointer", {"events.out.tfevents.1700000000.host": LFS_POINTER},
          culprit="events.out.tfevents.1700000000.host", outcome="error", pattern=hint,
          needs_format="tensorboard", description="an LFS pointer in place of an event file")
    good = {"trainer_state.json": state_text(trainer_state(healthy_log()))}
    c.add("lfs_references", "lfs_pointer",
          {**good, "references.jsonl": LFS_POINTER,
           "predictions/step-10.jsonl": '{"id": 1, "prediction": "a"}\n'},
          culprit="references.jsonl", outcome="error", pattern=hint, scoring=True,
          description="references.jsonl is an LFS pointer")


def _json_cuts(text: str) -> dict[str, int]:
    """Byte-free character offsets of every kind of JSON boundary in a trainer_state text."""
    history = text.index('"log_history"')
    first_entry = text.index("{", history)
    loss_key = text.index('"loss"', first_entry)
    loss_value = text.index(":", loss_key) + 2
    second_entry = text.index("},", first_entry) + 2
    checkpoint = text.index('"best_model_checkpoint": "') + len('"best_model_checkpoint": "')
    nan = text.index("NaN")
    infinity = text.index("Infinity")
    true = text.index("true")
    escape = text.index("\\u00e9")
    return {
        "after_first_brace": 1,
        "mid_top_key": text.index('"best_metric"') + 5,
        "mid_string_value": checkpoint + 4,
        "mid_escape": escape + 3,
        "after_log_history_key": history + len('"log_history"'),
        "after_log_history_colon": history + len('"log_history":'),
        "after_open_bracket": text.index("[", history) + 1,
        "after_entry_open_brace": first_entry + 1,
        "mid_metric_key": loss_key + 3,
        "after_metric_key": loss_key + len('"loss"'),
        "after_colon": loss_key + len('"loss":'),
        "mid_number": loss_value + 3,
        "after_number_dot": text.index(".", loss_value) + 1,
        "between_entries": second_entry,
        "mid_nan": nan + 2,
        "mid_infinity": infinity + 4,
        "mid_true": true + 2,
        "before_last_brace": len(text.rstrip()) - 1,
    }


def _truncated(c: _Corpus) -> None:
    log = healthy_log()
    log[1]["grad_norm"] = float("nan")
    log[2]["grad_norm"] = float("inf")
    state = trainer_state(log, best_model_checkpoint="out/checkpoint-20",
                          trial_name="essai-\u00e9t\u00e9")
    text = state_text(state)
    for kind, offset in _json_cuts(text).items():
        c.state(f"truncated_json_{kind}", "truncated", text[:offset], outcome="error",
                pattern=r"ends before the JSON is complete",
                description=f"trainer_state.json cut {kind.replace('_', ' ')}")
    raw = state_text(state, ensure_ascii=False).encode("utf-8")
    cut = raw.index("\u00e9".encode()) + 1
    c.state("truncated_json_mid_utf8_char", "truncated", raw[:cut], outcome="error",
            pattern=r"ends before the JSON is complete",
            description="trainer_state.json cut between the two bytes of a UTF-8 character")

    lines = jsonl_log()
    cut = lines.index("\n", len(lines) // 2) + 8
    c.add("truncated_jsonl_mid_line", "truncated", {"trainer_log.jsonl": lines[:cut]},
          target="trainer_log.jsonl", outcome="either", pattern=TRUNCATION_WORDS,
          needs_format="jsonl", description="a JSON-lines log cut inside its last line")
    csv = lightning_csv()
    cut = csv.index("\n", len(csv) // 2) + 4
    c.add("truncated_lightning_csv_mid_row", "truncated", {"version_0/metrics.csv": csv[:cut]},
          target="version_0", culprit="version_0/metrics.csv", outcome="either",
          pattern=TRUNCATION_WORDS, needs_format="lightning_csv",
          description="a Lightning metrics.csv cut inside a row")
    c.add("truncated_lightning_csv_mid_header", "truncated", {"version_0/metrics.csv": csv[:9]},
          target="version_0", culprit="version_0/metrics.csv", outcome="either",
          pattern=TRUNCATION_WORDS + r"|no .*(column|step|values|rows)|header|" + NOT_RECOGNISED,
          needs_format="lightning_csv", description="a Lightning metrics.csv cut inside its header")

    events = event_file([(step, "train/loss", 3.0 - step / 10) for step in range(1, 11)])
    first = len(tfrecord(event_file([])))  # the version record
    record = len(tfrecord(scalar_event(1, "train/loss", 1.0, 0.0)))
    name = "events.out.tfevents.1700000000.host"
    fifth = first + 4 * record  # where the fifth scalar record starts
    cuts = {"in_length": 3, "in_length_crc": 10, "in_payload": 12 + record // 2,
            "in_data_crc": record - 2}
    for label, offset in cuts.items():
        c.add(f"truncated_events_{label}", "truncated", {name: events[: fifth + offset]},
              culprit=name, outcome="either", pattern=TRUNCATION_WORDS, needs_format="tensorboard",
              description=f"a TensorBoard event file cut {label.replace('_', ' ')}")
    c.add("events_version_record_only", "truncated", {name: events[:first]}, culprit=name,
          outcome="either", pattern=NOTHING_TO_PLOT, needs_format="tensorboard",
          description="a TensorBoard event file holding only its version record")
    corrupt = bytearray(events)
    corrupt[fifth + 20] ^= 0xFF
    c.add("corrupt_events_payload", "truncated", {name: bytes(corrupt)}, culprit=name,
          outcome="either", pattern=TRUNCATION_WORDS, needs_format="tensorboard",
          description="a TensorBoard event file with one flipped byte (checksum mismatch)")


def _numbers(c: _Corpus) -> None:
    def with_values(*values: object, key: str = "loss") -> dict:
        log = [{"epoch": i / 10, key: value, "step": 5 * (i + 1)} for i, value in enumerate(values)]
        log.append({"epoch": 0.5, "eval_loss": 2.0, "step": 5 * len(values)})
        return trainer_state(log)

    non_finite = r"NaN or infinite values kept"
    c.state("nan_loss", "non_finite", with_values(2.0, float("nan"), 1.5), outcome="report",
            pattern=non_finite, description="a NaN training loss")
    c.state("inf_loss", "non_finite", with_values(2.0, float("inf"), float("-inf"), 1.0),
            outcome="report", pattern=non_finite, description="+inf and -inf training losses")
    c.state("all_nan_loss", "non_finite", with_values(float("nan"), float("nan")),
            outcome="report", pattern=non_finite, description="every training loss is NaN")
    c.state("overflowing_float", "non_finite", state_text(with_values(2.0, 1.0)).replace(
        '"loss": 1.0', '"loss": 1e400'), outcome="report", pattern=non_finite,
        description="a float literal beyond double range (1e400)")
    c.state("overflowing_integer", "non_finite", state_text(with_values(2.0, 1.0)).replace(
        '"loss": 1.0', '"loss": ' + "9" * 400), outcome="report", pattern=non_finite,
        description="a 400-digit integer value")
    c.state("huge_values", "non_finite", with_values(2.0, 1e308, 1.5, -1e308), outcome="report",
            pattern=r"beyond ±1e\+150 kept as logged", description="values near the double limit")
    c.state("negative_loss", "non_finite", with_values(-2.0, -3.5, -4.0), outcome="report",
            pattern="", description="negative training losses (legal for some objectives)")
    c.state("nan_epoch", "non_finite", state_text(with_values(2.0, 1.5)).replace(
        '"epoch": 0.1', '"epoch": NaN'), outcome="report", pattern="",
        description="an entry whose epoch is NaN")
    for label, step in (("negative_step", -5), ("fractional_step", 2.5), ("nan_step", "NaN"),
                        ("huge_step", 10**30), ("int64_overflow_step", 2**63)):
        text = state_text(trainer_state([{"loss": 1.0, "step": 5}]))
        c.state(label, "non_finite", text.replace('"step": 5', f'"step": {step}'),
                outcome="error", pattern=r"log_history\[0\]: 'step' is",
                description=f"a step of {str(step)[:20]}")


def _types(c: _Corpus) -> None:
    def entry(**values: object) -> dict:
        return trainer_state([{"step": 5, **values}])

    cases = [
        ("text_value", entry(loss="abc"), r"'loss' is the text 'abc', not a number"),
        ("boolean_value", entry(loss=True), r"'loss' is True \(a boolean\)"),
        ("text_step", trainer_state([{"loss": 1.0, "step": "ten"}]), r"'step' is the text"),
        ("text_epoch", entry(loss=1.0, epoch="first"), r"'epoch' is the text 'first'"),
        ("state_is_list", [], r"is a JSON list, not an object"),
        ("state_is_number", 42, r"is a JSON number, not an object"),
        ("log_history_is_object", trainer_state({"0": {"loss": 1}}), r"'log_history' is a JSON "
         r"object"),
        ("entry_is_number", trainer_state([{"loss": 1.0, "step": 5}, 7]),
         r"log_history\[1\]: is a JSON number"),
        ("no_log_history", {"global_step": 5}, r"has no 'log_history' key"),
    ]
    for name, state, pattern in cases:
        text = json.dumps(state, indent=2)
        c.state(name, "wrong_type", text, outcome="error", pattern=pattern,
                description=f"trainer_state.json: {name.replace('_', ' ')}")
    # compute_metrics may return a list or a dict (per-class thresholds, a report): not one
    # number, so not a curve, and skipped with a warning; the rest of the run is read.
    for name, extra in (("list_value", [0.5, 0.4]), ("object_value", {"v": 1.0})):
        c.state(name, "wrong_type",
                trainer_state([{"loss": 2.0, "step": 5}, {"loss": 1.5, "step": 10,
                                                          "eval_thresholds": extra}]),
                outcome="report", pattern="",
                description=f"trainer_state.json: a metric that is a JSON "
                            f"{'list' if isinstance(extra, list) else 'object'}")
    c.state("numeric_text_values", "wrong_type",
            trainer_state([{"loss": "2.5", "step": 5}, {"loss": " 1.5 ", "step": 10}]),
            outcome="report", pattern="", description="numbers written as text (transformers 5 "
            "prints them so)")
    c.state("weird_top_level_types", "wrong_type",
            trainer_state(healthy_log(), global_step="thirty", max_steps=[30],
                          num_train_epochs="three", logging_steps={"a": 1},
                          stateful_callbacks={"TrainerControl": {"args": 5}}),
            outcome="report", pattern="",
            description="top-level facts of the wrong types (global_step text, args a number)")
    yaml_cases = [
        ("yaml_title_is_list", "title: [1, 2]\n", r"key 'title'.*not text"),
        ("yaml_seed_is_text", "seed: abc\n", r"key 'seed'.*not a whole number"),
        ("yaml_size_negative", "dataset: {name: x, size: -5}\n", r"key 'dataset.size'"),
        ("yaml_is_list", "- a\n- b\n", r"is a YAML list, not a mapping"),
        ("yaml_invalid", "title: [unclosed\nnotes: x\n",
         r"line \d+, column \d+: is not valid YAML"),
        ("yaml_python_tag", "title: !!python/object/apply:os.system ['true']\n",
         r"is not valid YAML"),
    ]
    for name, text, pattern in yaml_cases:
        c.state(name, "wrong_type", trainer_state(healthy_log()), outcome="error",
                pattern=pattern, extra={"run.yaml": text}, culprit="run.yaml",
                description=f"run.yaml: {name[5:].replace('_', ' ')}")


def _steps(c: _Corpus) -> None:
    log = healthy_log(20) + [{"epoch": 1.0, "loss": 2.0, "step": 10},
                             {"epoch": 1.0, "loss": 1.9, "step": 15}]
    c.state("duplicated_steps", "steps", trainer_state(log), outcome="report",
            pattern=r"logged twice for the same step",
            description="a resumed run that logged steps 10 and 15 again")
    log = [{"loss": 3.0 - i / 10, "step": step} for i, step in enumerate([10, 20, 30, 15, 25])]
    c.state("decreasing_steps", "steps", trainer_state(log), outcome="report",
            pattern=r"steps go back",
            description="steps that go back (30, then 15) without repeating one")
    log = healthy_log(10) + [{"loss": 1.0}, {"epoch": 2.0, "loss": 0.9}]
    c.state("entries_without_step", "steps", trainer_state(log), outcome="report",
            pattern=r"without a 'step' skipped", description="two entries with no step")
    c.state("no_entry_has_step", "steps", trainer_state([{"loss": 1.0}, {"loss": 0.5}]),
            outcome="report", pattern=r"without a 'step' skipped.*|no logged values",
            description="no entry has a step")
    summary = {"epoch": 3.0, "step": 30, "total_flos": 1.0, "train_loss": 2.0,
               "train_runtime": 10.0}
    c.state("two_final_summaries", "steps", trainer_state(healthy_log() + [summary, summary]),
            outcome="report", pattern=r"2 end-of-training summaries",
            description="train() called twice")


def _partial(c: _Corpus) -> None:
    log = healthy_log()
    c.state("only_eval_rows", "partial_run",
            trainer_state([e for e in log if "eval_loss" in e]), outcome="report",
            pattern=r"no training loss|training loss.*(not|no)",
            description="a log holding only evaluations")
    c.state("only_train_rows", "partial_run",
            trainer_state([e for e in log if "eval_loss" not in e]), outcome="report",
            pattern=r"no validation loss|validation loss.*(not|no)",
            description="a log holding only training losses")
    c.state("single_point", "partial_run", trainer_state([{"loss": 2.0, "step": 5}]),
            outcome="report", pattern=r"too few|one point|single|only 1|1 logged point",
            description="one training loss, nothing else")
    c.state("summary_only", "partial_run",
            trainer_state([{"epoch": 3.0, "step": 30, "train_loss": 2.0, "train_runtime": 9.0}]),
            outcome="report", pattern=r"only the end-of-training summary",
            description="log_history holds only train()'s final summary")
    c.state("in_progress", "partial_run", trainer_state(healthy_log(15), global_step=15,
                                                         max_steps=30),
            outcome="report", pattern=r"looks unfinished", description="global_step < max_steps")
    c.add("checkpoint_only", "partial_run",
          {"checkpoint-10/trainer_state.json": state_text(trainer_state(healthy_log(10)))},
          outcome="report", pattern=r"no trainer_state\.json at the top",
          description="a Trainer output_dir with only checkpoint-10/")
    for name, source, rel, target, outcome, pattern, description in REAL_FILES:
        if (DATA_DIR / source).is_file():
            c.add(name, "partial_run", {rel: (DATA_DIR / source).read_bytes()}, target=target,
                  culprit=rel, outcome=outcome, pattern=pattern, description=description)


def _predictions(c: _Corpus) -> None:
    good = {"trainer_state.json": state_text(trainer_state(healthy_log()))}
    refs = "".join(json.dumps({"id": i, "prompt": f"p{i}", "reference": f"r{i}"}) + "\n"
                   for i in range(5))

    def preds(ids: list, key: str = "prediction") -> str:
        return "".join(json.dumps({"id": i, key: f"r{i}"}) + "\n" for i in ids)

    c.add("prediction_ids_do_not_match", "predictions",
          {**good, "references.jsonl": refs, "predictions/step-10.jsonl": preds([0, 1, 2, 3, 7])},
          culprit="predictions/step-10.jsonl", outcome="error",
          pattern=r"1 id\(s\) of the references have no prediction: 4.*not in the references: 7",
          scoring=True, description="one prediction id is not a reference id")
    c.add("prediction_ids_as_text", "predictions",
          {**good, "references.jsonl": refs,
           "predictions/step-10.jsonl": "".join(json.dumps({"id": str(i), "prediction": "x"})
                                                + "\n" for i in range(5))},
          culprit="predictions/step-10.jsonl", outcome="error", pattern=r'3 and "3" differ',
          scoring=True, description='ids written "0" where the references say 0')
    c.add("prediction_duplicate_id", "predictions",
          {**good, "references.jsonl": refs, "predictions/step-10.jsonl": preds([0, 1, 1, 2, 3])},
          culprit="predictions/step-10.jsonl", outcome="error", pattern=r"duplicate id 1",
          scoring=True, description="a prediction id repeated")
    c.add("prediction_missing_key", "predictions",
          {**good, "references.jsonl": refs,
           "predictions/step-10.jsonl": preds(range(5), key="output")},
          culprit="predictions/step-10.jsonl", outcome="error", pattern=r'no "prediction" key',
          scoring=True, description='prediction lines with "output" instead of "prediction"')
    c.add("prediction_deeply_nested_line", "predictions",
          {**good, "references.jsonl": refs,
           "predictions/step-10.jsonl": "[" * 100_000 + "]" * 100_000 + "\n"},
          culprit="predictions/step-10.jsonl", outcome="error", pattern=r"too deeply",
          scoring=True, description="a prediction line nested 100,000 levels deep")
    c.add("prediction_not_utf8", "predictions",
          {**good, "references.jsonl": refs,
           "predictions/step-10.jsonl": b'{"id": 0, "prediction": "caf\xe9"}\n'},
          culprit="predictions/step-10.jsonl", outcome="error", pattern=r"not UTF-8",
          scoring=True, description="a Latin-1 byte in a prediction")
    c.add("predictions_without_references", "predictions",
          {**good, "predictions/step-10.jsonl": preds(range(5))}, outcome="report",
          pattern=r"references\.jsonl is missing", culprit="",
          description="prediction files but no references.jsonl")
    c.add("references_without_predictions", "predictions",
          {**good, "references.jsonl": refs}, outcome="report",
          pattern=r"holds no \*\.jsonl file", culprit="",
          description="references.jsonl but no prediction file")
    c.add("predictions_step_and_epoch", "predictions",
          {**good, "references.jsonl": refs, "predictions/step-10.jsonl": preds(range(5)),
           "predictions/epoch-01.jsonl": preds(range(5))}, culprit="predictions",
          outcome="error", pattern=r"named by step .* by epoch",
          description="prediction files named by step and by epoch")
    c.add("predictions_same_step_twice", "predictions",
          {**good, "references.jsonl": refs, "predictions/step-10.jsonl": preds(range(5)),
           "predictions/10.jsonl": preds(range(5))}, culprit="predictions", outcome="error",
          pattern=r"both hold the predictions of step 10",
          description="two files for the same checkpoint")
    c.add("prediction_file_unnamed", "predictions",
          {**good, "references.jsonl": refs, "predictions/best.jsonl": preds(range(5))},
          outcome="report", pattern=r"no step or epoch number in the name", culprit="",
          description="a prediction file whose name has no step")


def _encoding(c: _Corpus) -> None:
    text = state_text(trainer_state(healthy_log(), trial_name="caf\u00e9"), ensure_ascii=False)
    c.state("latin1_state_file", "encoding", text.encode("latin-1"), outcome="error",
            pattern=r"line \d+: is not UTF-8 text",
            description="trainer_state.json saved as Latin-1")
    c.state("utf16_state_file", "encoding", text.encode("utf-16"), outcome="error",
            pattern=r"not UTF-8", description="trainer_state.json saved as UTF-16")
    c.state("utf8_bom_state_file", "encoding", b"\xef\xbb\xbf" + text.encode(), outcome="report",
            pattern="", description="a UTF-8 byte-order mark before the JSON")
    c.state("crlf_state_file", "encoding", text.replace("\n", "\r\n"), outcome="report",
            pattern="", description="Windows line endings")
    lone = state_text(trainer_state([{"loss": 1.0, "step": 5, "eval_x\ud800y": 2.0},
                                     {"eval_loss": 1.0, "step": 5}]))
    c.state("lone_surrogate_escape", "encoding", lone, outcome="report", pattern="",
            description='a metric name holding the JSON escape "\\ud800" (a lone surrogate)')
    c.state("latin1_run_yaml", "encoding", trainer_state(healthy_log()), outcome="error",
            pattern=r"not UTF-8", extra={"run.yaml": "title: caf\u00e9\n".encode("latin-1")},
            culprit="run.yaml", description="run.yaml saved as Latin-1")
    c.state("yaml_surrogate_pair_escape", "encoding", trainer_state(healthy_log()),
            outcome="report", pattern="", extra={"run.yaml": 'title: "smile \\ud83d\\ude00"\n'},
            culprit="run.yaml", description="an emoji written as a YAML surrogate-pair escape")


def _long_lines(c: _Corpus) -> None:
    c.state("huge_text_value", "long_lines", trainer_state([{"loss": "x" * 5_000_000,
                                                             "step": 5}]),
            outcome="error", pattern=r"'loss' is the text 'xxx.*characters",
            description="a 5 MB string where the loss should be (the error stays short)")
    c.state("huge_metric_name", "long_lines",
            trainer_state(healthy_log() + [{"eval_" + "m" * 100_000: 1.0, "step": 30}]),
            outcome="report", pattern="", description="a metric name 100,000 characters long")
    one_line = json.dumps(trainer_state(healthy_log(3000)))
    c.state("single_line_state_file", "long_lines", one_line, outcome="report", pattern="",
            description=f"trainer_state.json on one line of {len(one_line):,} characters")
    c.state("huge_run_yaml_note", "long_lines", trainer_state(healthy_log()), outcome="report",
            pattern="", extra={"run.yaml": "notes: '" + "word " * 200_000 + "'\n"},
            culprit="run.yaml", description="a 1 MB note in run.yaml")
    c.add("jsonl_int64_overflow_step", "non_finite",
          {"trainer_log.jsonl": jsonl_log(3) + '{"step": 9223372036854775808, "loss": 1.0}\n'},
          target="trainer_log.jsonl", outcome="error", pattern=r"line 4: 'step' is",
          needs_format="jsonl", description="a JSON-lines step beyond int64 (2**63)")
    lines = jsonl_log(5) + json.dumps({"step": 6, "loss": 1.0, "note": "n" * 2_000_000}) + "\n"
    c.add("jsonl_huge_line", "long_lines", {"trainer_log.jsonl": lines},
          target="trainer_log.jsonl", outcome="either", pattern="", needs_format="jsonl",
          description="a JSON-lines log with a 2 MB line")


def _nesting(c: _Corpus) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    c.state("deeply_nested_log_history", "nesting", '{"log_history": ' + deep + "}",
            outcome="error", pattern=r"too deeply",
            description="log_history nested 100,000 levels deep")
    c.state("deeply_nested_top_key", "nesting",
            '{"log_history": [], "x": ' + "[" * 900 + "]" * 900 + "}", outcome="error",
            pattern=r"levels deep|too deeply",
            description="a top-level fact nested 900 levels deep (json accepts it)")
    c.state("yaml_deeply_nested", "nesting", trainer_state(healthy_log()), outcome="error",
            pattern=r"too deeply|levels deep", extra={"run.yaml": "x: " + deep + "\n"},
            culprit="run.yaml", description="run.yaml nested 100,000 levels deep")
    c.state("yaml_self_reference", "nesting", trainer_state(healthy_log()), outcome="error",
            pattern=r"contains itself", extra={"run.yaml": "x: &loop [*loop]\n"},
            culprit="run.yaml", description="a run.yaml value that contains itself (alias cycle)")
    levels = zip("abcdefgh", "bcdefghi", strict=True)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in levels)
    c.state("yaml_alias_bomb", "nesting", trainer_state(healthy_log()), outcome="error",
            pattern=r"more than [\d,]+ values", extra={"run.yaml": bomb}, culprit="run.yaml",
            description="a 'billion laughs' run.yaml (9 levels of 9 aliases)")
    c.add("jsonl_deeply_nested_line", "nesting",
          {"trainer_log.jsonl": jsonl_log(3) + deep + "\n"}, target="trainer_log.jsonl",
          outcome="either", pattern=r"too deeply|nested|not (a JSON object|valid)|skipped",
          needs_format="jsonl", description="a JSON-lines log with a line nested 100,000 deep")


def _redos(c: _Corpus) -> None:
    lines = "".join(f"{step} aaaa{step}\n" for step in range(1, 4)) + "1 " + "a" * 40 + "b\n"
    c.add("text_log_exponential_pattern", "regex_dos",
          {"train.log": lines,
           "run.yaml": "text_log:\n  patterns:\n    - '^(?P<step>\\d+) (a+)+(?P<loss>\\d+)$'\n"},
          target="train.log", outcome="error", needs_format="text_log",
          pattern=r"repeats a part that itself repeats|" + NOT_RECOGNISED,
          description="a run.yaml line pattern (a+)+ that backtracks for hours on 'aaa...b'")


def _filesystem(c: _Corpus) -> None:
    c.add("missing_path", "filesystem", {}, target="does-not-exist", outcome="error",
          pattern=r"no such file or folder", description="a path that does not exist")
    c.add("state_file_is_a_folder", "filesystem", {"trainer_state.json/x": "x"},
          outcome="error", pattern=NOT_RECOGNISED,
          description="trainer_state.json is a folder")
    folder = c.root / "fifo_state_file"
    folder.mkdir(parents=True, exist_ok=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "named_pipe.log")
        c.cases.append(BadInput("fifo_state_file", "filesystem", "fifo_state_file/named_pipe.log",
                                "fifo_state_file/named_pipe.log", "error",
                                r"neither a regular file nor a folder",
                                "a named pipe given as the log (reading it would block)"))
    folder = c.root / "dangling_symlink"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").symlink_to(folder / "gone.json")
    c.cases.append(BadInput("dangling_symlink", "filesystem", "dangling_symlink/trainer_state.json",
                            "dangling_symlink/trainer_state.json", "error",
                            r"no such file or folder", "a symlink to a file that is gone"))


def _large(c: _Corpus, steps: int = LARGE_STEPS) -> None:
    path = c.root / "million_steps" / "trainer_state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'{{"global_step": {steps}, "max_steps": {steps}, "log_history": [\n')
        for step in range(1, steps + 1):
            sep = "," if step < steps else ""
            handle.write(f'{{"epoch": {step / steps:.6f}, "loss": {2.0 / (1 + step / 1e4):.5f}, '
                         f'"step": {step}}}{sep}\n')
        handle.write("]}\n")
    c.cases.append(BadInput("million_steps", "size", "million_steps",
                            "million_steps/trainer_state.json", "report", "",
                            f"a trainer_state.json with {steps:,} logged steps"))


#: The generators of each kind, in the order the README lists them.
KINDS: dict[str, Callable[[_Corpus], None]] = {
    "empty": _empty,
    "binary": _binary,
    "lfs_pointer": _lfs,
    "truncated": _truncated,
    "non_finite": _numbers,
    "wrong_type": _types,
    "steps": _steps,
    "partial_run": _partial,
    "predictions": _predictions,
    "encoding": _encoding,
    "long_lines": _long_lines,
    "nesting": _nesting,
    "regex_dos": _redos,
    "filesystem": _filesystem,
}


def make_corpus(root: str | os.PathLike[str], *, large: bool = False) -> list[BadInput]:
    """Write every bad input under ``root`` (which must be empty or missing).

    Parameters
    ----------
    root:
        The corpus folder.
    large:
        Also write the 1,000,000-step log (about 50 MB, a few seconds).

    Returns
    -------
    The cases, in a stable order.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    corpus = _Corpus(root)
    for make in KINDS.values():
        make(corpus)
    if large:
        _large(corpus)
    names = [case.name for case in corpus.cases]
    duplicates = [name for name, count in Counter(names).items() if count > 1]
    if duplicates:
        raise ValueError(f"duplicate case names: {duplicates}")
    return corpus.cases


def main(argv: list[str] | None = None) -> int:
    """Write the corpus to a folder and print the number of cases of each kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--large", action="store_true", help="also write the 1M-step log")
    args = parser.parse_args(argv)
    if args.out_dir.exists() and any(args.out_dir.iterdir()):
        shutil.rmtree(args.out_dir)
    cases = make_corpus(args.out_dir, large=args.large)
    counts = Counter(case.kind for case in cases)
    for kind, count in counts.items():
        print(f"{kind:12s} {count:4d}")
    print(f"{'total':12s} {len(cases):4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
