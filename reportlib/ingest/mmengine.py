"""OpenMMLab logs: mmengine's ``vis_data/scalars.json`` and mmdetection 2.x's ``*.log.json``.

Both are JSON lines, one object per logging call.

**mmengine** (mmdetection 3, mmpretrain, mmseg 1...): ``work_dir/<timestamp>/
vis_data/scalars.json``. Training lines hold ``lr``, ``loss``, its parts
(``loss_cls``...), ``epoch``, ``iter`` and ``step`` (the global iteration).
Validation lines hold the metrics (``coco/bbox_mAP``...) and ``step``, and
none of ``epoch``, ``iter``, ``lr`` (that is how they are told apart); in an
epoch-based run that ``step`` is the *epoch* evaluated, so a validation value
is placed at the last training step logged in that epoch (its epoch is kept).

**mmdetection 2.x / mmcv** (``work_dir/<timestamp>.log.json``): a first line of
environment and config, then lines with ``mode`` ``"train"`` or ``"val"``,
``epoch`` and ``iter``, the iteration *within* the epoch. The global step is
the iterations of the epochs before plus ``iter``; an epoch's length is the
``iter`` of its ``val`` line (mmcv logs the epoch's last iteration there), or
the last ``iter`` logged in it when it has no ``val`` line.

Names: ``coco/bbox_mAP`` (and 2.x's ``bbox_mAP``) is eval ``map``, AP@[.5:.95]
and the main evaluation metric; ``bbox_mAP_50`` is ``map50``, ``bbox_mAP_s`` is
``map_s``; ``segm_`` metrics get a ``_segm`` suffix; ``AR@100`` is ``ar@100``;
mmpretrain's ``accuracy/top1`` is ``accuracy`` (``accuracy/top5`` is
``accuracy_top5``); mmseg's ``mIoU``, ``aAcc`` and ``mAcc`` are ``iou``, ``accuracy`` and
``mean_accuracy`` (see :data:`reportlib.metrics.METRICS`).
The speed of a validation run (``time``, ``data_time``) is not a model
metric and is not read; training lines' ``time``, ``data_time`` and ``memory``
are train curves.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from reportlib.errors import InputError
from reportlib.ingest.logfile import json_number, read_json_lines, read_log_head, whole_step
from reportlib.ingest.tidy import LoggedBuilder, epoch_offsets, listed, plural, tidy_scalars
from reportlib.metrics import normalise_key
from reportlib.run import Run

NAME = "mmengine"
DESCRIPTION = (
    "an OpenMMLab work_dir: mmengine's vis_data/scalars.json or mmdetection 2.x's *.log.json "
    "(train and val lines)"
)

SCALARS_FILE = "scalars.json"
VIS_FOLDER = "vis_data"
LOG_JSON_SUFFIX = ".log.json"

#: Keys that place a line in time, not values.
_POSITION_KEYS = frozenset({"epoch", "iter", "step", "mode"})
#: Keys only training lines of mmengine's scalars.json have.
_TRAIN_MARKERS = ("epoch", "iter", "lr", "base_lr")
#: Keys of a validation line that measure the evaluation's speed, not the model.
_VAL_BOOKKEEPING = frozenset({"time", "data_time", "memory", "lr"})
#: ``<dataset>/<task>_mAP[_<suffix>]`` as mmdetection's metrics name mean AP.
_MEAN_AP = re.compile(r"^(?:[\w.-]+/)?(?P<task>bbox|segm|proposal)_mAP(?:_(?P<rest>\w+))?$")
#: mmpretrain's top-k accuracy names.
_TOP_K = re.compile(r"^(?:[\w.-]+/)?accuracy/top(?P<k>\d+)$")


def find_log_file(folder: Path) -> Path | None:
    """The log of an OpenMMLab work_dir (or of one of its timestamp folders).

    ``vis_data/scalars.json`` (or its twin ``vis_data/<timestamp>.json``) in
    ``folder``, else in its newest timestamp sub-folder (names sort by time),
    else its newest ``*.log.json``.
    """
    if folder.name == VIS_FOLDER:
        return _vis_log(folder)
    if (folder / VIS_FOLDER).is_dir():
        return _vis_log(folder / VIS_FOLDER)
    try:
        children = sorted(folder.iterdir(), reverse=True)
    except OSError:
        return None
    for child in children:
        if (child / VIS_FOLDER).is_dir() and (found := _vis_log(child / VIS_FOLDER)):
            return found
    for child in children:
        if child.name.endswith(LOG_JSON_SUFFIX) and child.is_file() and _is_mm_log(child):
            return child
    return None


def _vis_log(vis_data: Path) -> Path | None:
    """scalars.json, else the newest ``<timestamp>.json`` (the same values) in vis_data."""
    if (vis_data / SCALARS_FILE).is_file():
        return vis_data / SCALARS_FILE
    logs = sorted(vis_data.glob("*.json"), reverse=True)
    return next((log for log in logs if _is_mm_log(log)), None)


def detect(path: Path) -> bool:
    """Whether ``path`` is an OpenMMLab JSON log or a work_dir holding one (judged by content)."""
    if path.is_dir():
        found = find_log_file(path)
        return found is not None and _is_mm_log(found)
    return _is_mm_log(path)


def load(path: Path) -> Run:
    """Read an OpenMMLab JSON log (or the work_dir holding one) into a :class:`Run`.

    Returns
    -------
    A Run with format ``"mmengine"``; ``meta["mm_config"]`` holds the config
    text of a 2.x log's first line, ``meta["seed"]`` its seed.

    Raises
    ------
    InputError
        A folder without such a log; a line that is not a JSON object (not the
        last one); a step, epoch or iter that is not a whole number.
    """
    path = Path(path)
    if path.is_dir():
        found = find_log_file(path)
        if found is None:
            raise InputError(
                f"holds no {VIS_FOLDER}/{SCALARS_FILE} nor *{LOG_JSON_SUFFIX}",
                path=path,
                hint="Point at the work_dir (or its timestamp folder) mmengine or mmdetection "
                "wrote",
            )
        path = found
    read = read_json_lines(path)
    records, warnings, in_progress = read.records, list(read.warnings), read.in_progress
    meta: dict[str, Any] = {}
    if any("mode" in record for _, record in records):
        collected, skipped = _read_mmcv(records, path, meta)
    else:
        collected, skipped = _read_mmengine(records, path)
    if skipped:
        warnings.append(f"{plural(len(skipped), 'line')} without a step, epoch or mode skipped "
                        f"(line {listed(skipped)})")
    logged = collected.logged()
    scalars, tidy_warnings = tidy_scalars(logged, names=metric_names(logged.keys))
    warnings.extend(tidy_warnings)
    if in_progress:
        meta["in_progress"] = True
    if scalars.empty:
        warnings.append("the log has no logged values")
    return Run.from_log_file(path, NAME, scalars, meta=meta, warnings=warnings)


def metric_names(keys: list[str]) -> dict[str, tuple[str, str]]:
    """``{key: (split, metric)}`` for the keys :func:`load` collected (``val:`` ones are eval)."""
    names = {}
    for key in keys:
        split, name = ("eval", key[4:]) if key.startswith("val:") else ("train", key)
        names[key] = (split, _metric(name))
    return names


def _read_mmengine(records: list[tuple[int, dict[str, Any]]], path: Path
                   ) -> tuple[LoggedBuilder, list[int]]:
    collected = LoggedBuilder()
    # Training lines carry the position in training (epoch-based: epoch; iteration-based:
    # iter) and the learning rate; validation lines only their step.
    is_train = [any(k in r for k in _TRAIN_MARKERS) for _, r in records]
    train = [line for line, flag in zip(records, is_train, strict=True) if flag]
    evals = [line for line, flag in zip(records, is_train, strict=True) if not flag]
    by_epoch = any("epoch" in r for _, r in train)
    last_step_of_epoch: dict[int, int] = {}
    skipped = []
    for number, record in train:
        if record.get("step") is None:
            skipped.append(number)
            continue
        step = whole_step(record["step"], path, number, "step")
        epoch = json_number(record.get("epoch"))
        epoch = math.nan if epoch is None else epoch
        if math.isfinite(epoch):
            last_step_of_epoch[int(epoch)] = max(step, last_step_of_epoch.get(int(epoch), step))
        _add_values(collected, record, "", step, epoch)
    for number, record in evals:
        if record.get("step") is None:
            skipped.append(number)
            continue
        step = whole_step(record["step"], path, number, "step")
        epoch = math.nan
        if by_epoch:  # the val "step" is the epoch evaluated
            epoch = float(step)
            step = last_step_of_epoch.get(step, max(
                (s for e, s in last_step_of_epoch.items() if e <= epoch), default=step))
        _add_values(collected, record, "val:", step, epoch)
    return collected, skipped


def _read_mmcv(records: list[tuple[int, dict[str, Any]]], path: Path, meta: dict[str, Any]
               ) -> tuple[LoggedBuilder, list[int]]:
    collected = LoggedBuilder()
    lines = [(n, r) for n, r in records if r.get("mode") in ("train", "val")]
    for _, record in records:
        if "mode" not in record:  # the first line: environment, config, seed
            if isinstance(record.get("config"), str):
                meta["mm_config"] = record["config"]
            if isinstance(record.get("seed"), int):
                meta["seed"] = record["seed"]
    # An epoch's length: its val line's iter, else the last iter logged in it.
    length: dict[int, int] = {}
    for number, record in lines:
        if json_number(record.get("epoch")) is None or json_number(record.get("iter")) is None:
            continue
        epoch = whole_step(record["epoch"], path, number, "epoch")
        it = whole_step(record["iter"], path, number, "iter")
        if record["mode"] == "val":
            length[epoch] = it
        else:
            length[epoch] = max(it, length.get(epoch, 0))
    offsets = epoch_offsets(length)
    skipped = []
    for number, record in records:
        if "mode" not in record:
            continue
        epoch, it = json_number(record.get("epoch")), json_number(record.get("iter"))
        if record.get("mode") not in ("train", "val") or epoch is None or it is None:
            skipped.append(number)
            continue
        epoch = whole_step(record["epoch"], path, number, "epoch")
        step = offsets.get(epoch, 0) + whole_step(record["iter"], path, number, "iter")
        prefix = "val:" if record["mode"] == "val" else ""
        _add_values(collected, record, prefix, step, float(epoch))
    return collected, skipped


def _add_values(collected: LoggedBuilder, record: dict[str, Any], prefix: str, step: int,
                epoch: float) -> None:
    for key, raw in record.items():
        if key in _POSITION_KEYS or (prefix and key in _VAL_BOOKKEEPING):
            continue
        value = json_number(raw)
        if value is not None:
            collected.add(prefix + key, step, value, epoch)


def _metric(name: str) -> str:
    """A normalised metric name for an OpenMMLab key (see the module docstring)."""
    match = _MEAN_AP.match(name)
    if match:
        rest = match.group("rest")
        base = "map" if rest is None else (f"map{rest}" if rest.isdigit() else f"map_{rest}")
        task = match.group("task")
        return base + ("" if task == "bbox" else f"_{task}")
    top = _TOP_K.match(name)
    if top:  # mmpretrain's accuracy/top1, accuracy/top5
        return "accuracy" if top.group("k") == "1" else f"accuracy_top{top.group('k')}"
    return normalise_key(name.rsplit("/", 1)[-1])[1]


def _is_mm_log(path: Path) -> bool:
    """Whether a file's first lines are OpenMMLab log lines."""
    if not path.is_file() or not path.name.endswith(".json"):
        return False
    for line in read_log_head(path, 8192).splitlines()[:3]:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            return False
        if record.get("mode") in ("train", "val") and "epoch" in record and "iter" in record:
            return True
        if "step" in record and ("lr" in record or any(str(k).startswith("loss") for k in record)):
            return True
    return False
