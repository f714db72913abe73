"""Ultralytics YOLO: the ``results.csv`` a training run writes (``runs/detect/train``).

One row per epoch; cells padded with spaces to a fixed width; columns
``epoch``, (``time``: seconds since the start, the wall time of the row's
values), ``train/<part>_loss``, ``metrics/<name>(B)``,
``val/<part>_loss`` and ``lr/pg0..2``. The folder's ``args.yaml`` (the
training arguments) goes into ``meta["yolo_args"]``, its model, data and seed
into the run facts.

Curves:

- each loss component stays a curve of its own (``train/box_loss`` is
  train ``box_loss``);
- ``loss`` is the sum of a split's components at each epoch: the loss the
  panels show. Ultralytics logs the components already multiplied by their
  gains (``box``, ``cls``, ``dfl``), so their sum is what it minimised (per
  image); ``meta["summed_losses"]`` names the columns summed;
- ``metrics/mAP50-95(B)`` is eval ``map``, the COCO name of AP@[.5:.95] and
  the main evaluation metric (higher is better); ``mAP50(B)`` is ``map50``,
  ``precision(B)`` and ``recall(B)`` are ``precision`` and ``recall``. Mask and
  pose models' ``(M)`` and ``(P)`` metrics get a ``_mask`` or ``_pose`` suffix;
- ``lr/pg0`` is the learning rate; ``lr/pg1``, ``lr/pg2`` are
  ``learning_rate_pg1``...;
- YOLOv5's ``metrics/mAP_0.5:0.95``, ``metrics/mAP_0.5`` and ``x/lr0`` are read
  the same way, and a classification run's ``metrics/accuracy_top1`` is eval
  ``accuracy`` (``train/loss`` and ``val/loss`` are its losses).

The step is the epoch's rank, the epoch as logged (ultralytics numbers epochs
from 0 in older versions, from 1 in newer ones; counted from 0, the number run
is the last + 1, in ``meta["epochs_run"]``), ``meta["step_unit"]`` is ``"epoch"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reportlib.errors import InputError
from reportlib.formatting import format_number
from reportlib.ingest.csv_log import count_epochs, read_csv_log, sniff_header
from reportlib.ingest.side_files import read_side_yaml
from reportlib.ingest.tidy import LoggedValues, concat_logged, key_to_wall_time, tidy_scalars
from reportlib.run import Run

NAME = "yolo"
DESCRIPTION = (
    "an ultralytics YOLO training folder (runs/detect/train: results.csv, args.yaml) or its "
    "results.csv"
)

RESULTS_FILE = "results.csv"
ARGS_FILE = "args.yaml"

#: The column prefixes of a split's values.
_SPLIT_PREFIXES = {"train/": "train", "val/": "eval", "metrics/": "eval"}
#: Ultralytics' task suffixes on metrics: boxes, masks, poses, oriented boxes.
_TASK_SUFFIX = re.compile(r"^(?P<name>.+?)\((?P<task>[BMPO])\)$")
_TASK_NAMES = {"B": "", "M": "_mask", "P": "_pose", "O": "_obb"}
#: Metric names as ultralytics writes them -> the normalised name.
_METRIC_NAMES = {"map50-95": "map", "map50": "map50", "map75": "map75",
                 "precision": "precision", "recall": "recall",
                 # YOLOv5's names, and classification runs' top-1 accuracy
                 "map_0.5:0.95": "map", "map_0.5": "map50", "accuracy_top1": "accuracy"}
#: Learning-rate columns: ultralytics' ``lr/pg0``, YOLOv5's ``x/lr0``.
_LR_COLUMN = re.compile(r"^(?:lr/pg|x/lr)(?P<group>\d+)$")

#: args.yaml keys copied into the run facts (as run.yaml names them).
_FACT_KEYS = {"model": "model", "seed": "seed", "data": "dataset"}


def detect(path: Path) -> bool:
    """Whether ``path`` is a results.csv of ultralytics (or a folder holding one).

    Judged by the header: an ``epoch`` column, ``train/..._loss`` columns and
    ``metrics/...`` columns.
    """
    if path.is_dir():
        path = path / RESULTS_FILE
        if not path.is_file():
            return False
    header = sniff_header(path)
    return header is not None and _is_yolo_header(header)


def load(path: Path) -> Run:
    """Read an ultralytics run folder or results.csv into a :class:`Run`.

    Returns
    -------
    A Run with format ``"yolo"``: the components, their per-split sums
    (``loss``), the metrics and learning rates, one step per epoch;
    ``meta["yolo_args"]`` from args.yaml when it is there.

    Raises
    ------
    InputError
        A folder without results.csv; a results.csv that cannot be read (see
        :func:`reportlib.ingest.csv_log.read_csv_log`).
    """
    path = Path(path)
    results = path / RESULTS_FILE if path.is_dir() else path
    if not results.is_file():
        raise InputError(f"holds no {RESULTS_FILE}", path=path,
                         hint="Point at the runs/detect/train folder ultralytics wrote")
    log = read_csv_log(results, names=column_names)
    logged = key_to_wall_time(with_summed_losses(log.logged), "time")
    scalars, warnings = tidy_scalars(logged, names=column_names(logged.keys))
    warnings[:0] = log.warnings
    meta: dict[str, object] = {"step_unit": "epoch", "columns": log.columns,
                               "summed_losses": summed_columns(log.logged.keys)}
    count_epochs(meta, scalars, RESULTS_FILE)
    if log.truncated:
        meta["in_progress"] = True
    # Say where a number not logged comes from.
    warnings += summed_loss_warnings(meta["summed_losses"], f"a column of {RESULTS_FILE}")
    run = Run.from_log_file(results, NAME, scalars, meta=meta, warnings=warnings)
    args_file = results.parent / ARGS_FILE
    if args_file.is_file():
        run.input_files.append(args_file)
        args, problem = read_side_yaml(args_file)
        if problem:
            run.warnings.append(problem)
        elif isinstance(args, dict):
            meta["yolo_args"] = args
            for key, fact in _FACT_KEYS.items():
                if args.get(key) not in (None, ""):
                    meta.setdefault(fact, str(args[key]) if fact != "seed" else args[key])
    if scalars.empty:
        run.warnings.append(f"{RESULTS_FILE} has no logged values")
    return run


def column_names(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{column: (split, metric)}`` for ultralytics' columns (see the module docstring)."""
    names: dict[str, tuple[str, str]] = {}
    for key in keys:
        if (match := _LR_COLUMN.match(key)):
            group = match.group("group")
            names[key] = ("train", "learning_rate" if group == "0" else f"learning_rate_pg{group}")
            continue
        for prefix, split in _SPLIT_PREFIXES.items():
            if key.startswith(prefix):
                names[key] = (split, _metric_name(key.removeprefix(prefix)))
                break
    return names


def _metric_name(name: str) -> str:
    match = _TASK_SUFFIX.match(name)
    suffix = ""
    if match:
        name, suffix = match.group("name"), _TASK_NAMES[match.group("task")]
    lowered = name.lower()
    return _METRIC_NAMES.get(lowered, lowered) + suffix


def is_ultralytics(keys: Sequence[str]) -> bool:
    """Whether a log's names are ultralytics' (``train/box_loss``... and ``metrics/...``),
    whatever file they come from (``results.csv``, or its TensorBoard event file)."""
    lowered = [key.lower() for key in keys]
    return (any(key.startswith("train/") and key.endswith("loss") for key in lowered)
            and any(key.startswith("metrics/") for key in lowered))


def without_final_revalidation(logged: LoggedValues) -> tuple[LoggedValues, list[str]]:
    """An ultralytics event file's last epoch without the second values of its metrics.

    When training ends, ultralytics validates the best weights (``best.pt``) again
    and logs the result at the last epoch's step, after that epoch's own values:
    a second score of another checkpoint, not the last epoch's. The first values at
    that step are kept; the later ones are left out, and said.
    """
    if not len(logged):
        return logged, []
    last = logged.step == logged.step.max()
    seen: set[int] = set()
    drop = np.zeros(len(logged), dtype=bool)
    for index in np.flatnonzero(last):
        code = int(logged.key[index])
        if code in seen:
            drop[index] = True
        seen.add(code)
    if not drop.any():
        return logged, []
    dropped = ", ".join(f"{logged.keys[int(logged.key[i])]} {format_number(float(logged.value[i]))}"
                        for i in np.flatnonzero(drop))
    return logged.select(~drop), [
        f"the last epoch (step {int(logged.step.max())}) is logged twice: ultralytics validates "
        f"the best weights (best.pt) again when training ends; the epoch's own values are "
        f"kept, and best.pt's ({dropped}) left out"]


def summed_loss_warnings(summed: dict[str, list[str]], source: str) -> list[str]:
    """Where each summed loss comes from (``source``: "a column of results.csv"): it is
    not a value of the log."""
    return [f"'{total}' is not {source}: it is the sum of {', '.join(parts)} at each "
            "epoch (the loss ultralytics minimises)" for total, parts in summed.items()]


def _is_yolo_header(header: Sequence[str]) -> bool:
    return "epoch" in [cell.lower() for cell in header] and is_ultralytics(header)


def _loss_columns(keys: Sequence[str]) -> dict[str, list[int]]:
    """The loss component columns of each split (``train/``, ``val/``), by key index."""
    found: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        for prefix in ("train/", "val/"):
            if key.startswith(prefix) and key.endswith("_loss"):
                found.setdefault(prefix, []).append(index)
    return found


def summed_columns(keys: Sequence[str]) -> dict[str, list[str]]:
    return {f"{prefix}loss": [keys[i] for i in codes]
            for prefix, codes in _loss_columns(keys).items() if len(codes) > 1}


def with_summed_losses(logged: LoggedValues) -> LoggedValues:
    """The values plus ``train/loss`` and ``val/loss``: the sum of each split's components.

    A sum is written only at epochs where every component of its split was
    logged (a NaN component makes the sum NaN, as it made the step's loss).
    """
    parts = [logged]
    for prefix, codes in _loss_columns(logged.keys).items():
        if len(codes) < 2 or f"{prefix}loss" in logged.keys:
            continue
        picked = np.isin(logged.key, codes)
        steps = logged.step[picked]
        distinct, position = np.unique(steps, return_inverse=True)
        totals = np.zeros(len(distinct))
        np.add.at(totals, position, logged.value[picked])
        complete = np.bincount(position, minlength=len(distinct)) == len(codes)
        epochs = np.full(len(distinct), np.nan)
        if logged.epoch is not None:
            epochs[position] = logged.epoch[picked]
        parts.append(LoggedValues(
            step=distinct[complete], value=totals[complete],
            key=np.zeros(int(complete.sum()), dtype=np.int64), keys=[f"{prefix}loss"],
            epoch=epochs[complete],
        ))
    return concat_logged(parts)
