"""Runs that differ only by their seed: grouped, with mean and spread over the seeds.

Two runs belong together when each names a seed (``seed`` in run.yaml, the
hyperparameters or the log), the seeds differ, and everything else that
describes the setup is equal: their metadata with the seed and the keys that
record what happened (:data:`OUTCOME_KEYS`: best metric, steps taken, wall time,
notes...) left out. A run without a seed is never grouped: without it, "the same
setup" cannot be told from "the same run twice".

For each group: the mean and the sample standard deviation over the seeds of
the best validation loss and of the best evaluation metric, and of both at
each evaluation step that every run of the group logged. Pure numbers, no
plotting (:mod:`reportlib.present.comparison` draws and writes them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reportlib.analysis.run_analysis import RunAnalysis

SEED_KEYS: tuple[str, ...] = ("seed", "random_seed", "data_seed", "rng_seed", "full_determinism")
"""Metadata keys that name the seed (compared apart: they are what may differ)."""

OUTCOME_KEYS: frozenset[str] = frozenset({
    "title", "notes", "name", "run_name", "generated_by", "wall_time_seconds", "train_summary",
    "total_flos", "in_progress", "stateful_callbacks", "best_metric", "best_model_checkpoint",
    "best_global_step", "num_input_tokens_seen", "trial_name", "trial_params",
    "is_local_process_zero", "is_world_process_zero", "output_dir", "logging_dir", "run_id",
    "start_time", "end_time", "status", "user", "source", "hostname",
})
"""Metadata keys that record what happened in a run or where it ran, not how it was set up:
left out when deciding whether two runs share a setup (they differ between seeds)."""


@dataclass(frozen=True)
class Spread:
    """Mean and sample standard deviation of one quantity over the seeds of a group."""

    n: int
    mean: float
    sd: float | None
    """None with a single value (no spread to estimate)."""


@dataclass(frozen=True)
class SeedGroup:
    """Runs that differ only by their seed.

    Attributes
    ----------
    runs, seeds:
        The runs' names and their seeds, in the comparison's order.
    best_val_loss, best_metric:
        :class:`Spread` of the runs' best values (None when a run lacks it).
    metric_name:
        Display name of the metric (None when the runs log none in common).
    per_evaluation:
        One dict per evaluation step every run logged: ``step``, and for
        ``val_loss`` and ``metric`` a :class:`Spread` (or None).
    """

    runs: tuple[str, ...]
    seeds: tuple[Any, ...]
    best_val_loss: Spread | None
    best_metric: Spread | None
    metric_name: str | None
    per_evaluation: tuple[dict[str, Any], ...]


def _seed(meta: Mapping[str, Any]) -> Any:
    for key in SEED_KEYS:
        value = meta.get(key)
        if value is not None and not isinstance(value, bool):
            return value
    return None


def setup_of(meta: Mapping[str, Any]) -> str:
    """The setup a run's metadata describes, as comparable text (seed and outcomes left out)."""
    import json

    kept = {k: v for k, v in meta.items() if k not in OUTCOME_KEYS and k not in SEED_KEYS}
    return json.dumps(kept, sort_keys=True, default=str)


def spread(values: Sequence[float | None]) -> Spread | None:
    """Mean and sample standard deviation of ``values``; None when any is missing or not finite."""
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return None
    array = np.asarray(values, dtype=float)
    sd = float(array.std(ddof=1)) if len(array) > 1 else None
    return Spread(len(array), float(array.mean()), sd)


def _best(analysis: RunAnalysis, panel: str) -> float | None:
    summary = analysis.curve(panel)
    return None if summary is None else summary.best


def _per_evaluation(analyses: Sequence[RunAnalysis], metric: str | None) -> tuple[dict, ...]:
    frames = [a.evaluations.set_index("step") for a in analyses]
    steps = sorted(set.intersection(*(set(f.index) for f in frames))) if frames else []
    rows = []
    for step in steps:
        row: dict[str, Any] = {"step": int(step)}
        for label, column in (("val_loss", "loss"), ("metric", metric)):
            have = column is not None and all(column in f.columns for f in frames)
            row[label] = spread([_scalar(f.at[step, column]) for f in frames]) if have else None
        rows.append(row)
    return tuple(rows)


def _scalar(value: Any) -> float | None:
    if hasattr(value, "iloc"):  # a repeated step: the last logged value
        value = value.iloc[-1]
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def seed_groups(analyses: Sequence[RunAnalysis],
                metas: Mapping[str, Mapping[str, Any]]) -> tuple[SeedGroup, ...]:
    """Group the runs that differ only by their seed (see the module's docstring).

    Parameters
    ----------
    analyses:
        The runs' analyses.
    metas:
        Run name -> its metadata (:attr:`reportlib.run.Run.meta`: run.yaml,
        hyperparameters, what the log records about the run).

    Returns
    -------
    tuple of :class:`SeedGroup`, each of two or more runs with distinct seeds, in
    the order of their first run; runs in no group are left out.
    """
    by_setup: dict[str, list[RunAnalysis]] = {}
    for analysis in analyses:
        meta = metas.get(analysis.run_name) or {}
        if _seed(meta) is None:
            continue
        by_setup.setdefault(setup_of(meta), []).append(analysis)
    groups = []
    for members in by_setup.values():
        seeds = [_seed(metas[a.run_name]) for a in members]
        if len(members) < 2 or len({str(s) for s in seeds}) != len(seeds):
            continue
        keys = {a.panels.get("eval_metric") for a in members}
        key = keys.pop() if len(keys) == 1 else None
        metric = None if key is None else key[1]
        groups.append(SeedGroup(
            runs=tuple(a.run_name for a in members),
            seeds=tuple(seeds),
            best_val_loss=spread([_best(a, "val_loss") for a in members]),
            best_metric=None if key is None else spread([_best(a, "eval_metric")
                                                         for a in members]),
            metric_name=None if key is None else (
                getattr(members[0], "eval_metric_name", None) or metric),
            per_evaluation=_per_evaluation(members, metric),
        ))
    return tuple(groups)


__all__ = ["OUTCOME_KEYS", "SEED_KEYS", "SeedGroup", "Spread", "seed_groups", "setup_of",
           "spread"]
