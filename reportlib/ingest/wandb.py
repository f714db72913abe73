"""Weights & Biases run folders: ``wandb/run-<date>-<id>/files`` and exported histories.

What is read, in a run's ``files`` folder (or the run folder, as clients
before 0.9 wrote it, or any folder holding these files):

- ``wandb-history.jsonl`` (written by clients before 0.10): one object per
  ``wandb.log`` call; or an exported history CSV (the public API's
  ``run.history().to_csv()`` or ``run.scan_history()`` written out): one row per
  call, a ``_step`` column (a chart's "Download CSV", one metric per run, is not
  a run history and is read as a plain CSV);
- ``wandb-summary.json``: the run's last values, into ``meta["wandb_summary"]``;
- ``config.yaml``: the run's config (``{key: {desc, value}}``), into
  ``meta["wandb_config"]``, its seed and model into the run facts.

The step is the training step when the log has one (``train/global_step``,
which the Hugging Face and Lightning integrations log, or ``global_step``),
else W&B's own ``_step`` (one per ``wandb.log`` call). ``_timestamp`` is the
wall time; other ``_``-keys (``_runtime``, ``_wandb``) are bookkeeping, and
media (images, tables, videos: objects with a ``_type``) are not values.

Newer clients write only ``run-<id>.wandb``, a binary file: the error says to
export the history with the public API instead.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from reportlib.errors import InputError
from reportlib.ingest.csv_log import read_csv_log, sniff_header
from reportlib.ingest.logfile import json_number, read_json_lines, read_log_head, whole_step
from reportlib.ingest.side_files import read_side_json, read_side_yaml
from reportlib.ingest.tidy import (
    LoggedBuilder,
    LoggedValues,
    epoch_to_column,
    listed,
    tidy_scalars,
)
from reportlib.run import Run

NAME = "wandb"
DESCRIPTION = (
    "a Weights & Biases run folder (files/ holding wandb-history.jsonl or an exported history "
    "CSV, wandb-summary.json, config.yaml)"
)

HISTORY_FILE = "wandb-history.jsonl"
SUMMARY_FILE = "wandb-summary.json"
CONFIG_FILE = "config.yaml"
#: W&B-only files that mark a folder as a run's files.
MARKERS = (HISTORY_FILE, SUMMARY_FILE, "wandb-metadata.json")

#: Keys that hold the training step, by preference; ``_step`` (W&B's call count) last.
STEP_KEYS = ("train/global_step", "trainer/global_step", "global_step", "_step")
EPOCH_KEYS = ("epoch", "train/epoch")
WALL_TIME_KEY = "_timestamp"
#: config.yaml keys that give the run facts' model, by preference.
_MODEL_KEYS = ("model_name_or_path", "_name_or_path", "model_name", "model")


def markers_in(folder: Path) -> tuple[Path, ...]:
    """The W&B files (:data:`MARKERS`) of a run: in ``folder/files``, else in ``folder``."""
    for candidate in (folder / "files", folder):
        found = tuple(candidate / name for name in MARKERS if (candidate / name).is_file())
        if found:
            return found
    return ()


def find_files_folder(folder: Path) -> Path | None:
    """The folder holding a run's W&B files: ``folder/files``, ``folder``, or the newest run's."""
    found = markers_in(folder)
    if found:
        return found[0].parent
    runs = sorted(folder.glob("run-*"), reverse=True) + sorted(folder.glob("wandb/run-*"),
                                                               reverse=True)
    for run in runs:
        if markers_in(run / "files"):
            return run / "files"
    return None


def detect(path: Path) -> bool:
    """Whether ``path`` is a W&B run folder (by its files), or a W&B history file itself."""
    if path.is_dir():
        return find_files_folder(path) is not None
    if path.name == HISTORY_FILE:
        return True
    # DataFrame.to_csv writes the index first, an unnamed column.
    header = sniff_header(path, allow_unnamed_first=True) if path.suffix == ".csv" else None
    return header is not None and "_step" in header and (
        "_runtime" in header or "_timestamp" in header)


def load(path: Path) -> Run:
    """Read a W&B run folder (or its history file) into a :class:`Run`.

    Raises
    ------
    InputError
        A folder with W&B files but no history (only the binary ``.wandb``
        file newer clients write); a history that cannot be read.
    """
    path = Path(path)
    folder = find_files_folder(path) if path.is_dir() else path.parent
    history = _history_file(folder) if path.is_dir() else path
    if folder is None or history is None:
        binary = sorted(Path(path).rglob("*.wandb"))
        raise InputError(
            "holds no W&B history (wandb-history.jsonl or an exported history CSV)"
            + (f"; {binary[0].name} is the binary log newer clients write" if binary else ""),
            path=path,
            hint="Export the run's history as CSV with the wandb API "
            "(wandb.Api().run(PATH).history(samples=10**9).to_csv('history.csv')) into the "
            "run's files folder",
        )
    if history.suffix == ".csv":
        log = read_csv_log(history)
        logged, warnings = _without_bookkeeping(log.logged), list(log.warnings)
        in_progress = log.truncated
    else:
        logged, warnings, in_progress = _read_history(history)
    scalars, tidy_warnings = tidy_scalars(epoch_to_column(logged))
    warnings.extend(tidy_warnings)
    meta: dict[str, Any] = {"in_progress": True} if in_progress else {}
    run = Run.from_log_file(history, NAME, scalars, meta=meta, warnings=warnings)
    _read_side_files(run, folder)
    if scalars.empty:
        run.warnings.append("the history has no logged values")
    return run


def _history_file(folder: Path | None) -> Path | None:
    if folder is None:
        return None
    if (folder / HISTORY_FILE).is_file():
        return folder / HISTORY_FILE
    csvs = [p for p in sorted(folder.glob("*.csv")) if detect(p)]
    return csvs[0] if csvs else None


def _read_history(path: Path) -> tuple[LoggedValues, list[str], bool]:
    read = read_json_lines(path)
    records, warnings, in_progress = read.records, list(read.warnings), read.in_progress
    built = LoggedBuilder(with_wall_time=True)
    media: set[str] = set()
    for number, record in records:
        flat = _flatten(record, media)
        step_key = next((k for k in STEP_KEYS if json_number(flat.get(k)) is not None), None)
        if step_key is None:
            continue
        step = whole_step(flat[step_key], path, number, step_key)
        epoch = next((json_number(flat[k]) for k in EPOCH_KEYS if k in flat), None)
        wall = json_number(flat.get(WALL_TIME_KEY))
        for key, raw in flat.items():
            if key.startswith("_") or key in STEP_KEYS:
                continue
            value = json_number(raw)
            if value is None:
                continue
            built.add(key, step, value, math.nan if epoch is None else epoch,
                      math.nan if wall is None else wall)
    if media:
        warnings.append("media logged to W&B are not values and were skipped "
                        f"({listed(sorted(media))})")
    logged = built.logged()
    return logged, warnings, in_progress


def _flatten(record: dict[str, Any], media: set[str], prefix: str = "") -> dict[str, Any]:
    """Nested numbers as ``a/b``; media objects (a ``_type`` key) noted in ``media``, not kept."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if "_type" in value:
                media.add(name)
            elif not prefix:  # one level: W&B's nested dicts, not arbitrary depth
                flat.update(_flatten(value, media, prefix=f"{name}/"))
        else:
            flat[name] = value
    return flat


def _without_bookkeeping(logged: LoggedValues) -> LoggedValues:
    """An exported history without W&B's ``_runtime``-like columns and pandas' index."""
    drop = np.array([key.startswith(("_", "Unnamed: ")) or not key for key in logged.keys]
                    or [False], dtype=bool)
    if not len(logged) or not drop.any():
        return logged
    return logged.select(~drop[logged.key])


def _read_side_files(run: Run, folder: Path) -> None:
    """wandb-summary.json and config.yaml into ``run.meta`` (a broken one is a warning)."""
    summary_path, config_path = folder / SUMMARY_FILE, folder / CONFIG_FILE
    if summary_path.is_file() and summary_path != run.path:
        run.input_files.append(summary_path)
        summary, problem = read_side_json(summary_path)
        if problem:
            run.warnings.append(problem)
        elif isinstance(summary, dict):
            run.meta["wandb_summary"] = {k: v for k, v in summary.items()
                                         if not (isinstance(v, dict) and "_type" in v)}
    if config_path.is_file() and _is_wandb_config(config_path):
        run.input_files.append(config_path)
        config, problem = read_side_yaml(config_path)
        if problem:
            run.warnings.append(problem)
        elif isinstance(config, dict):
            values = {k: v.get("value") if isinstance(v, dict) and "value" in v else v
                      for k, v in config.items() if k not in ("wandb_version", "_wandb")}
            run.meta["wandb_config"] = values
            if isinstance(values.get("seed"), int):
                run.meta.setdefault("seed", values["seed"])
            model = next((values[k] for k in _MODEL_KEYS if isinstance(values.get(k), str)), None)
            if model:
                run.meta.setdefault("model", model)


def _is_wandb_config(path: Path) -> bool:
    return "wandb_version" in read_log_head(path, 4096)
