"""MLflow's file store: ``mlruns/<experiment id>/<run id>/``.

A run folder holds::

    meta.yaml          run_id, experiment_id, status, start_time, end_time (ms)...
    metrics/<name>     one line per logged value: "<timestamp ms> <value> <step>"
                       (MLflow < 1.0 wrote "<timestamp ms> <value>", no step)
    params/<name>      the parameter's value as text
    tags/<name>        the tag's value as text (mlflow.runName, mlflow.source.name...)

Names with ``/`` are sub-folders (``metrics/eval/loss``). Metrics become the
scalars (``wall_time`` from the timestamp), params go to ``meta["params"]``,
tags to ``meta["tags"]``, meta.yaml to ``meta["mlflow"]``. A run whose status is
RUNNING (``end_time: null``) is in progress, or crashed without telling MLflow;
FAILED and KILLED runs are said to be so.

A run folder without meta.yaml (copied without it, or written by hand) is read
from its metrics/, params/ and tags/ alone: the metric files are a complete
record; only the run's status and times are unknown, and a warning says so.
The run's name is its ``mlflow.runName`` tag (``meta["run_name"]``); the
experiment's name, from the experiment folder's meta.yaml, is
``meta["experiment"]``.

A single metric file read on its own (no run folder around it) is a run with one curve.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from reportlib.errors import InputError
from reportlib.ingest.logfile import check_nesting, read_log_head, read_log_text
from reportlib.ingest.tidy import (
    LoggedValues,
    concat_logged,
    empty_logged,
    epoch_to_column,
    hf_summary_to_meta,
    listed,
    plural,
    tidy_scalars,
)
from reportlib.run import Run

NAME = "mlflow"
DESCRIPTION = (
    "an MLflow file-store run folder (mlruns/<experiment>/<run> holding metrics/, with or "
    "without meta.yaml), an experiment folder with one run, or one metrics/<name> file"
)

META_FILE = "meta.yaml"
METRICS_DIR = "metrics"
TAGS_DIR = "tags"
#: The tag holding the name a user gave the run (``mlflow.start_run(run_name=...)``).
RUN_NAME_TAG = "mlflow.runName"
#: Metric files looked at to recognise a run folder without meta.yaml: a few
#: are enough to tell MLflow's "timestamp value step" lines from anything else.
SNIFFED_METRIC_FILES = 3

#: MLflow's ``RunStatus`` numbers (``mlflow/protos/service.proto``).
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}

#: A metric file line: timestamp in ms, value, optional step.
_METRIC_LINE = re.compile(r"^\d{9,} \S+(?: -?\d+)?$")


def find_run_folder(path: Path) -> tuple[Path | None, list[Path]]:
    """The run folder for ``path``, and the runs found when there are several.

    ``path`` itself when it holds meta.yaml and metrics/ (or the run around
    ``path`` when it is that metrics/ folder); the only run of an experiment
    folder (meta.yaml plus run sub-folders).
    """
    if is_run_folder(path):
        return path, []
    if path.name == METRICS_DIR and is_run_folder(path.parent):
        return path.parent, []
    runs = sorted(child for child in path.iterdir() if child.is_dir() and is_run_folder(child))
    if len(runs) == 1:
        return runs[0], runs
    return None, runs


def detect(path: Path) -> bool:
    """Whether ``path`` is an MLflow run or experiment folder, meta.yaml or metric file."""
    if path.is_dir():
        run, runs = find_run_folder(path)
        return run is not None or bool(runs)
    if path.name.endswith(META_FILE):
        head = read_log_head(path, 4096)
        return bool(re.search(r"^run_(?:uuid|id):", head, re.MULTILINE)) and (
            "experiment_id:" in head
        )
    if path.parent.name == METRICS_DIR and (path.parent.parent / META_FILE).is_file():
        return True
    return _is_metric_file(path)


def load(path: Path) -> Run:
    """Read an MLflow run (folder, experiment folder, meta.yaml or metric file) into a Run.

    Returns
    -------
    A Run with format ``"mlflow"``; ``meta["mlflow"]`` (meta.yaml),
    ``meta["params"]``, ``meta["tags"]``, ``meta["in_progress"]``.

    Raises
    ------
    InputError
        An experiment folder with several runs (naming them); a meta.yaml with
        no metrics/ beside it; invalid meta.yaml; a metric line that is not
        ``timestamp value [step]``.
    """
    path = Path(path)
    if path.is_file() and not path.name.endswith(META_FILE):
        inside_run = path.parent.name == METRICS_DIR and is_run_folder(path.parent.parent)
        if not inside_run:
            return _single_metric_file(path)
        path = path.parent.parent
    if path.is_file():  # meta.yaml
        if not is_run_folder(path.parent):
            raise InputError(
                f"is an MLflow run's {META_FILE} without its {METRICS_DIR}/ folder beside it: "
                "it says how the run went, not what it logged",
                path=path,
                hint="Point at the whole run folder (mlruns/<experiment>/<run id>)",
            )
        path = path.parent
    run_folder, runs = find_run_folder(path)
    if run_folder is None:
        raise InputError(
            f"holds {len(runs)} MLflow runs: reportlib reports on one run at a time",
            path=path,
            hint="Point at one of them: " + listed(r.name for r in runs),
        )
    has_meta = (run_folder / META_FILE).is_file()
    meta: dict[str, Any] = {"mlflow": _read_meta(run_folder / META_FILE) if has_meta else {}}
    warnings: list[str] = []
    files: list[Path] = [run_folder / META_FILE] if has_meta else []
    if not has_meta:
        warnings.append(
            f"no {META_FILE} in the run folder: read from {METRICS_DIR}/ and params/ alone; "
            "the run's status (finished, failed, still running) and times are unknown"
        )
    parts = []
    metrics_dir = run_folder / METRICS_DIR
    for file in sorted(p for p in metrics_dir.rglob("*") if p.is_file()):
        name = file.relative_to(metrics_dir).as_posix()
        logged, file_warnings = _read_metric_file(file, name)
        parts.append(logged)
        warnings.extend(file_warnings)
        files.append(file)
    for kind in ("params", "tags"):
        folder = run_folder / kind
        values = {}
        for file in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else ():
            values[file.relative_to(folder).as_posix()] = file.read_text(
                encoding="utf-8", errors="replace"
            ).strip()
            files.append(file)
        if values:
            meta[kind] = values
    logged = epoch_to_column(concat_logged(parts) if parts else empty_logged())
    logged, summary = hf_summary_to_meta(logged)
    if summary:
        meta["train_summary"] = summary
    scalars, tidy_warnings = tidy_scalars(logged)
    warnings.extend(tidy_warnings)
    if has_meta:
        warnings.extend(_status_warnings(meta))
    run_name = meta.get("tags", {}).get(RUN_NAME_TAG)
    if run_name:
        meta["run_name"] = run_name
    experiment = experiment_name(run_folder)
    if experiment:
        meta["experiment"] = experiment
    if scalars.empty:
        warnings.append("the run logged no metric values")
    return Run(
        name=run_folder.resolve().name,
        path=path,
        format=NAME,
        scalars=scalars,
        meta=meta,
        warnings=warnings,
        input_files=files,
    )


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` is an MLflow run: metrics/ beside meta.yaml, or metrics/ holding
    metric files (checked by content) when meta.yaml is missing."""
    metrics = folder / METRICS_DIR
    if not metrics.is_dir():
        return False
    if (folder / META_FILE).is_file():
        return True
    # Empty files are metrics logged no value yet: they say nothing either way.
    files = [p for p in sorted(metrics.rglob("*")) if p.is_file() and p.stat().st_size]
    sniffed = files[:SNIFFED_METRIC_FILES]
    return bool(sniffed) and all(_is_metric_file(p) for p in sniffed)


def _is_metric_file(path: Path) -> bool:
    lines = read_log_head(path, 4096).splitlines()
    complete = lines[:-1] if len(lines) > 1 else lines
    return bool(complete) and all(_METRIC_LINE.match(line.strip()) for line in complete)


def read_tag(run_folder: Path, tag: str) -> str | None:
    """The value of a run's tag (``tags/<tag>``), or None when it has none."""
    file = run_folder / TAGS_DIR / tag
    try:
        text = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
    except OSError:
        return None
    return None if text is None else text.strip()


def experiment_name(run_folder: Path) -> str | None:
    """The name of a run's experiment, from the experiment folder's meta.yaml, or None."""
    meta = run_folder.parent / META_FILE
    if not meta.is_file():
        return None
    try:
        data = yaml.safe_load(read_log_head(meta, 4096))
    except (yaml.YAMLError, OSError, InputError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _read_meta(path: Path) -> dict[str, Any]:
    text = read_log_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            "is not valid YAML",
            path=path,
            where=f"line {mark.line + 1}" if mark is not None else None,
            hint="Restore the run's meta.yaml from MLflow",
        ) from exc
    if not isinstance(data, dict):
        raise InputError("is not a mapping of run facts", path=path, hint="Restore the file")
    check_nesting(data, path=path)
    return data


def _read_metric_file(path: Path, name: str) -> tuple[LoggedValues, list[str]]:
    """One metric file's values in file order, and warnings."""
    text = read_log_text(path) if path.stat().st_size else ""
    warnings: list[str] = []
    lines = text.splitlines()
    if lines and not text.endswith(("\n", "\r")) and not _METRIC_LINE.match(lines[-1].strip()):
        warnings.append(
            f"metrics/{name}: the last line is incomplete (the run is still writing it): left out"
        )
        lines = lines[:-1]
    stamps, values, steps = [], [], []
    no_step = 0
    for number, line in enumerate(lines, start=1):
        cells = line.split()
        if not cells:
            continue
        try:
            if len(cells) not in (2, 3):
                raise ValueError(line)
            stamps.append(int(cells[0]))
            values.append(float(cells[1]))
            if len(cells) == 3:
                steps.append(int(cells[2]))
            else:
                steps.append(len(steps))
                no_step += 1
        except ValueError as exc:
            raise InputError(
                f"is not an MLflow metric line 'timestamp value step' ({line.strip()[:60]!r})",
                path=path,
                where=f"line {number}",
                hint="Fix or remove that line",
            ) from exc
    if no_step:
        warnings.append(
            f"metrics/{name}: {plural(no_step, 'value')} without a step (MLflow < 1.0): the "
            "step is the value's line number, from 0"
        )
    return (
        LoggedValues(
            step=np.array(steps, dtype=np.int64),
            value=np.array(values, dtype=np.float64),
            key=np.zeros(len(values), dtype=np.int64),
            keys=[name],
            wall_time=np.array(stamps, dtype=np.float64) / 1000.0,
        ),
        warnings,
    )


def _single_metric_file(path: Path) -> Run:
    logged, warnings = _read_metric_file(path, path.name)
    scalars, tidy_warnings = tidy_scalars(logged)
    warnings.extend(tidy_warnings)
    warnings.append(
        f"a single MLflow metric file, read without its run folder: one curve named "
        f"'{path.name}', no params, tags or run status"
    )
    return Run.from_log_file(path, NAME, scalars, meta={}, warnings=warnings)


def _status_warnings(meta: dict[str, Any]) -> list[str]:
    facts = meta["mlflow"]
    status = facts.get("status")
    name = RUN_STATUS.get(status, status) if isinstance(status, int) else status
    if name == "RUNNING" or (facts.get("end_time") is None and name not in ("FINISHED",)):
        meta["in_progress"] = True
        return [
            f"MLflow says the run is {name or 'not ended'} (end_time not set): it is still in "
            "progress, or it crashed before ending the run"
        ]
    meta["in_progress"] = False
    if name in ("FAILED", "KILLED"):
        return [f"MLflow says the run {name.lower()} (status {status})"]
    start, end = facts.get("start_time"), facts.get("end_time")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end >= start:
        meta["mlflow_duration_seconds"] = (end - start) / 1000.0
    return []

