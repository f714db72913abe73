"""TensorBoard log dirs: every scalar of every ``events.out.tfevents.*`` file.

A log dir may hold one event file or many: a run resumed or restarted writes
a new file (the Hugging Face Trainer even a new ``runs/<date>_<host>/``
sub-folder), and Keras writes ``train/`` and ``validation/`` sub-folders whose
files use the same tags (``epoch_loss``). So:

- files in a sub-folder named like a split (``train``, ``validation``,
  ``eval``...) get that split: ``validation/epoch_loss`` is the eval loss;
- all other files are sessions of one run, merged in the order they were
  written (their first event's time); a step logged again by a later session
  replaces the earlier value, and a warning says which steps;
- the ``epoch`` scalar (``train/epoch`` of the Trainer, ``epoch`` of Lightning)
  fills the ``epoch`` column of the values logged at the same step, instead of
  being a curve of its own;
- every point is kept: unlike TensorBoard's own loader, nothing is sampled.

Records are verified with their CRC32C checksums (:mod:`.tfrecord`): a corrupt
record is skipped or stops the reading of its file, with a warning that names
the file and byte offset, and is never misread. A last record cut short means
the run is still writing: what is complete is loaded and the run is marked in
progress.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from reportlib.errors import InputError
from reportlib.ingest import yolo
from reportlib.ingest.tfevents import decode_events
from reportlib.ingest.tfrecord import masked_crc, scan_records
from reportlib.ingest.tidy import (
    LoggedValues,
    concat_logged,
    epoch_to_column,
    hf_summary_to_meta,
    listed,
    plural,
    tidy_scalars,
)
from reportlib.metrics import normalise_key
from reportlib.run import Run

NAME = "tensorboard"
DESCRIPTION = (
    "a TensorBoard log dir (events.out.tfevents.* files, in sub-folders too) or one event file"
)

#: How event files are named by every TensorBoard writer (TF, PyTorch, tensorboardX).
EVENT_FILE_MARKER = "tfevents"

#: How deep below the given folder event files are looked for: the Trainer
#: writes ``<output_dir>/runs/<date>_<host>/`` (2), Keras ``<logs>/train/`` (1);
#: one more level covers a folder of such folders without walking a whole disk.
MAX_DEPTH = 3

#: Sub-folder names that give the split of the values below them (Keras writes
#: ``train/`` and ``validation/``; ``eval/`` and ``val/`` are common by hand).
SPLIT_FOLDERS = {
    "train": "train",
    "training": "train",
    "eval": "eval",
    "evaluation": "eval",
    "val": "eval",
    "valid": "eval",
    "validation": "eval",
    "dev": "eval",
    "test": "test",
}

#: Keras prefixes its per-epoch scalars with this (``epoch_loss``).
KERAS_EPOCH_PREFIX = "epoch_"

_FIRST_RECORD = 64  # bytes enough for the header and file_version event of a first record
_NAME_TIME = re.compile(r"tfevents\.(\d+)")


def find_event_files(folder: Path) -> list[Path]:
    """Event files at most :data:`MAX_DEPTH` folders below ``folder``, sorted by path.

    Hidden folders (``.git``...) are not entered.
    """
    found: list[Path] = []
    root_depth = len(folder.parts)
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        if len(here.parts) - root_depth >= MAX_DEPTH:
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(here / f for f in files if is_event_file_name(f))
    return sorted(found)


def is_event_file_name(name: str) -> bool:
    """Whether a file name is an event file's (``events.out.tfevents.<time>.<host>...``)."""
    return EVENT_FILE_MARKER in name and not name.endswith((".tmp", ".lock"))


def detect(path: Path) -> bool:
    """Whether ``path`` is a TensorBoard log dir or event file.

    A folder is one when an event file lies at most :data:`MAX_DEPTH` levels
    below it. A file is one by name (``*tfevents*``) or by content: its first
    record is a well-formed TFRecord whose event says ``brain.Event``.
    """
    if path.is_dir():
        return bool(find_event_files(path))
    if is_event_file_name(path.name):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(_FIRST_RECORD)
    except OSError:
        return False
    return len(head) > 12 and b"brain.Event" in head[12:] and _first_length_ok(head)


def load(path: Path) -> Run:
    """Read a TensorBoard log dir or one event file into a :class:`Run`.

    Parameters
    ----------
    path:
        The log dir (its event files, sub-folders included, are merged as
        described in the module docstring) or one event file.

    Returns
    -------
    A Run with format ``"tensorboard"``: every scalar as a row with its
    ``wall_time``; ``meta["event_files"]`` (relative paths, in reading order),
    ``meta["skipped_values"]`` (histograms, images, text... counted) and
    ``meta["in_progress"]`` when a file ends in a partial record.

    Raises
    ------
    InputError
        A folder without event files; a file that cannot be read or is a Git
        LFS pointer; event files that hold no valid record at all.
    """
    path = Path(path)
    root = path if path.is_dir() else path.parent
    files = find_event_files(path) if path.is_dir() else [path]
    if not files:
        raise InputError(
            "holds no TensorBoard event files (events.out.tfevents.*)",
            path=path,
            hint=f"Point at the log dir your SummaryWriter wrote to (searched {MAX_DEPTH} "
            "folder levels deep)",
        )
    warnings: list[str] = []
    skipped: dict[str, int] = {}
    parts: list[tuple[float, str, LoggedValues]] = []
    in_progress = False
    valid_records = 0
    corrupt: list[str] = []
    for file in files:
        scan = scan_records(file)
        warnings.extend(scan.problems)
        corrupt.extend(scan.problems)
        events = decode_events(scan)
        relative = file.relative_to(root).as_posix()
        valid_records += len(scan) - len(events.malformed)
        if scan.truncated:
            in_progress = True
            tail = scan.size - (int(scan.starts[-1] + scan.lengths[-1]) + 4 if len(scan) else 0)
            warnings.append(
                f"{relative} ends in an incomplete record ({tail} bytes; the run is still "
                "writing it, or the file was copied while being written): the complete "
                "records were read"
            )
        if events.malformed:
            warnings.append(
                f"{relative}: {plural(len(events.malformed), 'record')} with a right checksum "
                f"but not a valid event skipped (at byte {listed(events.malformed)})"
            )
        for kind, count in events.skipped.items():
            skipped[kind] = skipped.get(kind, 0) + count
        prefix = _split_prefix(file.parent.relative_to(root))
        keys = [_prefixed(prefix, tag) for tag in events.tags]
        logged = LoggedValues(
            step=events.step,
            value=events.value,
            key=events.tag,
            keys=keys,
            wall_time=events.wall_time,
        )
        started = float(events.wall_time[0]) if len(events.wall_time) else float("inf")
        parts.append((_written_at(file, started), relative, logged))
    if valid_records == 0 and corrupt:
        raise InputError(
            f"no valid TensorBoard event record could be read ({corrupt[0]})",
            path=path,
            hint="The event file is corrupt, or not an event file; point at another copy",
        )
    parts.sort(key=lambda part: (part[0], part[1]))
    order = [relative for _, relative, _ in parts]
    if len({str(Path(rel).parent) for rel in order}) > 1:
        sessions = sorted({str(Path(rel).parent) for rel in order})
        if len([s for s in sessions if _split_prefix(Path(s)) is None]) > 1:
            warnings.append(
                f"event files of {len(sessions)} sub-folders were merged as sessions of one run, "
                f"in the order they were written ({listed(sessions)}); point at one sub-folder "
                "to read it alone"
            )
    logged = concat_logged([part for _, _, part in parts])
    logged = epoch_to_column(logged)
    logged, summary = hf_summary_to_meta(logged)
    names = _keras_names(logged.keys)
    meta: dict[str, object] = {"event_files": order, "skipped_values": skipped}
    if yolo.is_ultralytics(logged.keys):
        # An ultralytics run's event file: its names and summed losses, as its results.csv.
        names.update(yolo.column_names(logged.keys))
        meta["summed_losses"] = yolo.summed_columns(logged.keys)
        logged, revalidated = yolo.without_final_revalidation(logged)
        warnings += revalidated
        logged = yolo.with_summed_losses(logged)
        names.update(yolo.column_names(logged.keys))
        warnings += yolo.summed_loss_warnings(meta["summed_losses"], "a tag of the event file")
    scalars, tidy_warnings = tidy_scalars(logged, names=names)
    warnings.extend(tidy_warnings)
    if summary:
        meta["train_summary"] = summary
    if in_progress:
        meta["in_progress"] = True
    if scalars.empty:
        warnings.append(
            "the event files hold no scalar values"
            + (f" (only {', '.join(sorted(skipped))})" if skipped else "")
        )
    return Run(
        name=root.resolve().name,
        path=path,
        format=NAME,
        scalars=scalars,
        meta=meta,
        warnings=warnings,
        input_files=list(files),
    )


def _first_length_ok(head: bytes) -> bool:
    """Whether the first 12 bytes are a record length and its valid masked CRC32C."""
    try:
        from crc32c import crc32c
    except ImportError:
        return False
    stored = int.from_bytes(head[8:12], "little")
    computed = int(masked_crc(np.array([crc32c(head[:8])], dtype=np.uint64))[0])
    return computed == stored and int.from_bytes(head[:8], "little") < (1 << 31)


def _split_prefix(relative_dir: Path) -> str | None:
    """The split named by the innermost split-named folder of a relative path, if any."""
    for part in reversed(relative_dir.parts):
        if part.lower() in SPLIT_FOLDERS:
            return part
    return None


def _prefixed(folder: str | None, tag: str) -> str:
    """``folder/tag`` for a tag in a split-named folder, unless the tag names its split."""
    if folder is None or normalise_key(tag, default_split="")[0]:
        return tag
    return f"{folder}/{tag}"


def _written_at(file: Path, first_wall_time: float) -> float:
    """When a file was started: its first event's time, else the time in its name."""
    if np.isfinite(first_wall_time) and first_wall_time > 0:
        return first_wall_time
    match = _NAME_TIME.search(file.name)
    return float(match.group(1)) if match else float("inf")


def _keras_names(keys: list[str] | tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Names for Keras' ``<split folder>/epoch_<metric>`` tags (``validation/epoch_loss``)."""
    names = {}
    for key in keys:
        folder, _, tag = key.rpartition("/")
        if folder.lower() in SPLIT_FOLDERS and tag.startswith(KERAS_EPOCH_PREFIX):
            rest = tag[len(KERAS_EPOCH_PREFIX):]
            if rest:
                names[key] = (SPLIT_FOLDERS[folder.lower()], normalise_key(rest)[1])
    return names

