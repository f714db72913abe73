"""``summary.json``: the analysis of one run, as a stable contract for machines.

CI gates, dashboards and later tools read this file instead of the HTML. Its
shape (schema version 2) is::

    {
      "schema_version": 2,
      "reportlib_version": "0.1.0",
      "run": {"name": str, "path": str, "format": str, "title": str | null,
              "meta": {...}},                  # run-level facts from the log and run.yaml;
                                               # path relative to the working folder, or
                                               # the run's own name: never absolute
      "panels": {"train_loss": {"split": "train", "metric": "loss"} | null,
                 "val_loss": {...} | null, "eval_metric": {...} | null},
      "eval_metric": {"metric": "chrf", "name": "chrF"} | null,
      "n_evaluations": int,
      "curves": [                              # one per (split, metric) curve of the run
        {"split": "eval", "metric": "loss",
         "points": int,                        # logged rows, finite or not
         "n_finite": int, "n_non_finite": int,
         "first": float | null, "first_step": int | null, "first_epoch": float | null,
         "last": float | null, "last_step": int | null, "last_epoch": float | null,
         "best": float | null, "best_step": int | null, "best_epoch": float | null,
         "relative_change": float | null,     # (last - first) / |first|
         "trend": "decreasing" | "increasing" | "flat" | "swinging" | "too_few_points",
         "higher_is_better": bool | null, "ends_non_finite": bool, "noise": float | null}
      ],
      "best_checkpoint": {"step": int, "epoch": float | null,
                          "by": "eval_loss" | <metric>, "value": float,
                          "by_loss": {"step", "epoch", "value", "criterion"} | null,
                          "by_metric": {...} | null, "agree": bool | null,
                          "selected_by_run": int | null} | null,
      "findings": [{"kind": str, "severity": "info" | "warning" | "critical",
                    "panel": "train_loss" | "val_loss" | "eval_metric" | "overall" | "caveat",
                    "message": str, "evidence": {...}}],
      "severity_counts": {"info": int, "warning": int, "critical": int},
      "warnings": [str],                       # what ingest repaired or skipped
      "scores": {"signatures": {...}, "whitespace": bool,   # chrF from predictions, or null
                 "checkpoints": [{"step", "score", "low", "high"}],   # 95% bootstrap CI
                 "first_step", "best_step", "last_step",
                 "samples": {"improved", "stayed", "regressed", "tolerance"},
                 "top_improved": [{"id", "first", "best", "delta"}], "top_regressed": [...],
                 "logged_max_difference": float | null} | null,
      ...                                      # keys passed as ``extra`` (e.g. "provenance")
    }

``first``/``last``/``best`` are finite values (first and last *finite*); the
file never holds NaN or infinity (they become ``null``): non-finite values are
reported by ``non_finite`` findings, whose evidence lists their steps and
values as the strings ``"nan"``, ``"inf"``, ``"-inf"``. Finding kinds are the
values of :class:`~reportlib.analysis.FindingKind` (overfitting, plateau,
still_improving, spike, non_finite, too_few_points, metric_disagrees_with_loss,
small_dataset, ...). New keys may be added within a schema version; existing
keys keep their meaning.

``reportlib summary --json`` prints exactly this for a run; the ``summary.json``
of a built report adds one key only a build knows, ``provenance`` (reportlib's
version, the build's parameters such as smoothing, and the input files' hashes).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections.abc import Mapping
from enum import Enum
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from reportlib import __version__
from reportlib.analysis import CURVE_PANELS, RunAnalysis, Severity
from reportlib.errors import ParameterError
from reportlib.outputs import valid_unicode
from reportlib.provenance import portable_path
from reportlib.run import Run

SCHEMA_VERSION = 2
"""Version of the ``summary.json`` shape; bumped only when a key changes meaning or goes away.

2: the top-level ``smoothing`` key went away (a drawing setting, not part of the
analysis: a build records it in ``provenance.parameters``).
"""

CURVE_FIELDS: tuple[str, ...] = (
    "split", "metric", "points", "n_finite", "n_non_finite",
    "first", "first_step", "first_epoch", "last", "last_step", "last_epoch",
    "best", "best_step", "best_epoch", "relative_change", "trend",
    "higher_is_better", "ends_non_finite", "noise",
)
"""The keys of each entry of ``curves``, in order."""


def json_safe(value: Any) -> Any:
    """``value`` converted to what :func:`json.dumps` writes without loss or error.

    NaN and infinities become None; numpy scalars and arrays become Python
    numbers and lists; tuples and sets become lists (sets sorted by their
    text); paths become strings; enums their value; dataclasses dicts; dates
    ISO strings; mapping keys strings. Anything else becomes its ``str()``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [json_safe(v) for v in sorted(value, key=str)]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe(dataclasses.asdict(value))
    if isinstance(value, pd.DataFrame):
        return json_safe(value.to_dict(orient="records"))
    return str(value)


def build_summary(run: Run, analysis: RunAnalysis, *, extra: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
    """The content of ``summary.json`` for a run and its analysis (see the module docstring).

    Parameters
    ----------
    run:
        The run.
    analysis:
        Its analysis (:func:`reportlib.analysis.analyze_run`).
    extra:
        More top-level keys (e.g. ``{"provenance": ...}``); made JSON-safe too.

    Returns
    -------
    dict that :func:`json.dumps` writes with ``allow_nan=False``.

    Raises
    ------
    reportlib.errors.ParameterError
        A key of ``extra`` would replace one of the contract's keys.
    """
    curves = [
        {name: getattr(summary, name) for name in CURVE_FIELDS}
        for summary in analysis.curves.values()
    ]
    metric_key = analysis.panels.get("eval_metric")
    counts = {severity.value: 0 for severity in Severity}
    for finding in analysis.findings:
        counts[finding.severity.value] += 1
    title = run.meta.get("title")
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "reportlib_version": __version__,
        "run": {
            "name": run.name,
            "path": portable_path(run.path),
            "format": run.format,
            "title": None if title is None else str(title),
            "meta": dict(run.meta),
        },
        "panels": {
            panel: (None if analysis.panels.get(panel) is None else
                    {"split": analysis.panels[panel][0], "metric": analysis.panels[panel][1]})
            for panel in CURVE_PANELS
        },
        "eval_metric": (None if metric_key is None else
                        {"metric": metric_key[1], "name": analysis.eval_metric_name}),
        "n_evaluations": analysis.n_evaluations,
        "curves": curves,
        "best_checkpoint": (None if analysis.best_checkpoint is None
                            else analysis.best_checkpoint.to_dict()),
        "findings": [finding.to_dict() for finding in analysis.findings],
        "severity_counts": counts,
        "warnings": list(run.warnings),
        "scores": None if analysis.scores is None else analysis.scores.to_dict(),
    }
    for key, value in (extra or {}).items():
        if key in summary:
            raise ParameterError(
                f"extra key {key!r} would replace a summary.json key",
                hint=f"use a key other than {', '.join(sorted(summary))}",
            )
        summary[str(key)] = value
    return json_safe(summary)


def summary_json(run: Run, analysis: RunAnalysis, *, extra: Mapping[str, Any] | None = None,
                 indent: int | None = 2) -> str:
    """``summary.json``'s text: :func:`build_summary` as indented JSON, with a final newline.

    Raises
    ------
    reportlib.errors.ParameterError
        As :func:`build_summary`.
    """
    text = json.dumps(build_summary(run, analysis, extra=extra), indent=indent,
                      ensure_ascii=False, allow_nan=False)
    # A path whose name is not UTF-8 holds surrogate escapes: show them as U+FFFD.
    return valid_unicode(text) + "\n"


__all__ = ["CURVE_FIELDS", "SCHEMA_VERSION", "build_summary", "json_safe", "summary_json"]
