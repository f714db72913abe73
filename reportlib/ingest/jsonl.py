"""JSON-lines logs: one JSON object per line, each a logging call at some step.

Written by LLaMA-Factory (``trainer_log.jsonl``: ``current_steps``,
``total_steps``, ``loss``, ``lr``, ``elapsed_time`` as ``H:MM:SS``...),
detectron2 (``metrics.json``, despite its name: ``iteration``, ``total_loss``,
``lr``, ``bbox/AP``..., its evaluators' results the validation curves, see
:func:`evaluator_names`) and countless hand-written loops
(``{"step": ..., "<metric>": ...}``). So the file is recognised by its content,
not its name.

In each object:

- the step is the first of :data:`STEP_KEYS` present; the epoch, of
  :data:`EPOCH_KEYS`; a wall time, of :data:`WALL_TIME_KEYS` (seconds, or an
  ``H:MM:SS`` elapsed time);
- every other number (or number written as text) is a metric; nested objects
  are flattened with ``/`` (``{"eval": {"loss": 1}}`` is ``eval/loss``); text,
  lists and booleans are not metrics and are skipped (and counted in a warning);
  ``null`` is no value at all and is simply skipped;
- progress keys (:data:`PROGRESS_KEYS`) are not metrics either: the last
  ``total_steps`` goes to ``meta["max_steps"]``, and a log that stops short of
  it is in progress.

A last line that is not complete JSON (the run is still writing) is left out
with a warning; a broken line anywhere else is an error that gives its number.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reportlib.errors import InputError
from reportlib.ingest.logfile import (
    MAX_NESTING_DEPTH,
    first_log_file,
    json_number,
    read_json_lines,
    read_log_head,
    whole_step,
)
from reportlib.ingest.tidy import (
    LoggedBuilder,
    epoch_to_column,
    hf_summary_to_meta,
    listed,
    plural,
    tidy_scalars,
)
from reportlib.run import Run

NAME = "jsonl"
DESCRIPTION = (
    "a JSON-lines log, one {\"step\": ..., \"<metric>\": ...} object per line (LLaMA-Factory "
    "trainer_log.jsonl, detectron2 metrics.json...) or the folder holding it"
)

#: Keys that hold the step, in order of preference.
STEP_KEYS = (
    "step", "global_step", "current_steps", "iteration", "iter", "_step", "train/global_step",
    "trainer/global_step", "steps",
)
#: Keys that hold the epoch.
EPOCH_KEYS = ("epoch", "train/epoch", "epochs")
#: Keys that hold a wall-clock time (Unix seconds) or the time since the start.
WALL_TIME_KEYS = ("wall_time", "_timestamp", "timestamp", "elapsed_time", "_runtime")
#: Keys that say how far along the run is: not metrics.
PROGRESS_KEYS = frozenset(
    {"total_steps", "max_steps", "percentage", "remaining_time", "eta_seconds", "eta"}
)

#: detectron2's evaluators write their results under the task's name: COCO's
#: ``bbox/AP``, ``segm/AP50``, ``keypoints/APs``, ``sem_seg/mIoU``, ``panoptic_seg/PQ``.
#: They are evaluations (of the validation set the config names), never training values.
EVALUATOR_PREFIXES = ("bbox/", "segm/", "keypoints/", "sem_seg/", "panoptic_seg/")


def evaluator_names(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{"bbox/AP": ("eval", "map"), "bbox/AP50": ("eval", "bbox/ap50"), ...}``.

    The first task's overall ``AP`` (COCO's mean over IoU 0.5-0.95) is the ``map``
    curve, the main evaluation metric; every other evaluator value keeps its name.
    """
    names: dict[str, tuple[str, str]] = {}
    for key in keys:
        if key.startswith(EVALUATOR_PREFIXES):
            task, _, name = key.partition("/")
            main = name == "AP" and not any(m == ("eval", "map") for m in names.values())
            names[key] = ("eval", "map" if main else key.lower())
    return names


#: File names looked for in a folder, in order (LLaMA-Factory, detectron2, generic).
FILE_NAMES = ("trainer_log.jsonl", "metrics.json", "metrics.jsonl", "log.jsonl", "train_log.jsonl")

#: How many of the first lines detection looks at.
DETECT_LINES = 5

_CLOCK = re.compile(r"^(?:(\d+) days?, )?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def find_log_file(folder: Path) -> Path | None:
    """A folder's JSON-lines log: the first of :data:`FILE_NAMES`, else its only ``*.jsonl``."""
    named = first_log_file(folder, FILE_NAMES, _looks_like_jsonl)
    if named is not None:
        return named
    candidates = [p for p in sorted(folder.glob("*.jsonl")) if _looks_like_jsonl(p)]
    return candidates[0] if len(candidates) == 1 else None


def detect(path: Path) -> bool:
    """Whether ``path`` is a JSON-lines log (or a folder holding one).

    By content: the first lines are JSON objects and one has a step or epoch key.
    """
    if path.is_dir():
        return find_log_file(path) is not None
    return _looks_like_jsonl(path)


def load(path: Path) -> Run:
    """Read a JSON-lines log (or the folder holding it) into a :class:`Run`.

    Returns
    -------
    A Run with format ``"jsonl"``; ``meta["max_steps"]`` from ``total_steps``,
    ``meta["in_progress"]``, ``meta["train_summary"]`` (a Trainer's final
    summary line), and a warning for every line or value skipped.

    Raises
    ------
    InputError
        A folder without such a log; an empty, non-UTF-8 or LFS-pointer file; a
        line that is not a JSON object (not the last one); a step that is not a
        whole number.
    """
    path = Path(path)
    if path.is_dir():
        found = find_log_file(path)
        if found is None:
            raise InputError(
                f"holds no JSON-lines log ({', '.join(FILE_NAMES)} or one *.jsonl)",
                path=path,
                hint="Point at the log file itself",
            )
        path = found
    read = read_json_lines(path)
    warnings: list[str] = list(read.warnings)
    meta: dict[str, Any] = {"in_progress": True} if read.in_progress else {}
    built = LoggedBuilder(with_wall_time=True)
    no_step: list[int] = []
    skipped_keys: dict[str, int] = {}
    last_progress: tuple[int, Any, float | None] | None = None
    for number, record in read.records:
        flat = _flatten(record)
        step_key = next((k for k in STEP_KEYS if flat.get(k) is not None), None)
        epoch_key = next((k for k in EPOCH_KEYS if flat.get(k) is not None), None)
        wall_key = next((k for k in WALL_TIME_KEYS if flat.get(k) is not None), None)
        if step_key is None and epoch_key is None:
            no_step.append(number)
            continue
        step = whole_step(flat[step_key], path, number, step_key) if step_key else -1
        epoch = json_number(flat[epoch_key]) if epoch_key else math.nan
        wall = _seconds(flat[wall_key]) if wall_key else math.nan
        if "total_steps" in flat or "max_steps" in flat:
            last_progress = (step, flat.get("total_steps", flat.get("max_steps")), epoch)
        for key, raw in flat.items():
            if key in (step_key, epoch_key, wall_key) or key in PROGRESS_KEYS:
                continue
            if raw is None:
                continue  # null: nothing logged under that key in this record
            value = json_number(raw)
            if value is None:
                skipped_keys[key] = skipped_keys.get(key, 0) + 1
                continue
            built.add(key, step, value, epoch, wall)
    logged = built.logged()
    if len(logged) and (logged.step < 0).all():
        logged.step = _epoch_ranks(logged.epoch)
        meta["step_unit"] = "epoch"
    elif (logged.step < 0).any():
        missing = logged.step < 0
        warnings.append(
            f"{plural(int(missing.sum()), 'value')} logged with an epoch but no step skipped"
        )
        logged = logged.select(~missing)
    logged = epoch_to_column(logged)
    logged, summary = hf_summary_to_meta(logged)
    if summary:
        meta["train_summary"] = summary
    scalars, tidy_warnings = tidy_scalars(logged, names=evaluator_names(logged.keys))
    if no_step:
        warnings.append(
            f"{plural(len(no_step), 'line')} without a step or epoch skipped "
            f"(line {listed(no_step)})"
        )
    if skipped_keys:
        warnings.append(
            "values that are not numbers skipped: "
            + listed(f"'{k}' ({plural(n, 'value')})" for k, n in sorted(skipped_keys.items()))
        )
    warnings.extend(tidy_warnings)
    warnings.extend(_progress(last_progress, meta))
    if scalars.empty:
        warnings.append("the log has no logged values (only progress records)")
    return Run.from_log_file(path, NAME, scalars, meta=meta, warnings=warnings)


def _looks_like_jsonl(path: Path) -> bool:
    head = read_log_head(path)
    lines = [line for line in head.splitlines() if line.strip()][:DETECT_LINES]
    if not lines:
        return False
    complete = lines if len(head) < 64 * 1024 else lines[:-1] or lines
    found_position = False
    for index, line in enumerate(complete):
        try:
            record = json.loads(line)
        except RecursionError:
            return False
        except json.JSONDecodeError:
            if index == len(complete) - 1 and index > 0:
                break  # a cut last line
            return False
        if not isinstance(record, dict):
            return False
        flat = _flatten(record)
        found_position |= any(flat.get(k) is not None for k in (*STEP_KEYS, *EPOCH_KEYS))
    return found_position


def _flatten(record: dict[str, Any], prefix: str = "", depth: int = 1) -> dict[str, Any]:
    """Nested objects as ``a/b`` keys; below :data:`MAX_NESTING_DEPTH` levels, not read."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if depth < MAX_NESTING_DEPTH:
                flat.update(_flatten(value, prefix=f"{name}/", depth=depth + 1))
        else:
            flat[name] = value
    return flat


def _seconds(raw: Any) -> float:
    """Seconds from a number or an ``H:MM:SS`` / ``D days, H:MM:SS`` elapsed time."""
    value = json_number(raw)
    if value is not None:
        return value
    if isinstance(raw, str):
        match = _CLOCK.match(raw.strip())
        if match:
            days, hours, minutes, seconds = match.groups()
            return ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + float(seconds)
    return math.nan


def _epoch_ranks(epochs: np.ndarray) -> np.ndarray:
    distinct = np.unique(epochs[np.isfinite(epochs)])
    return (np.searchsorted(distinct, epochs) + 1).astype(np.int64)


def _progress(last: tuple[int, Any, float | None] | None, meta: dict[str, Any]) -> list[str]:
    """``meta["max_steps"]`` and, when the log stops short of it, ``in_progress``.

    A log whose last record is one step short of ``total_steps`` at a whole epoch
    (step 6565 of 6566 at epoch 7.0) finished: LLaMA-Factory's total can count one
    step more than the epochs hold.
    """
    if last is None:
        return []
    step, total, epoch = last
    total_value = json_number(total)
    if total_value is None or total_value <= 0 or total_value != int(total_value):
        return []
    meta["max_steps"] = int(total_value)
    whole_epoch = epoch is not None and math.isfinite(epoch) and epoch > 0 \
        and float(epoch).is_integer()
    if step >= total_value or (whole_epoch and step == total_value - 1):
        meta.setdefault("in_progress", False)
        return []
    meta["in_progress"] = True
    return [
        f"the log stops at step {step} of {int(total_value)}: the run is still in progress, "
        "or it stopped early"
    ]
