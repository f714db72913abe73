"""The in-memory model of one training run.

A :class:`Run` is what every ingest module produces and what analysis reads.
Its ``scalars`` frame is tidy and long, one row per logged value, with the
columns of :data:`SCALAR_COLUMNS`:

``step`` (int64)
    the optimizer step the value was logged at;
``epoch`` (float64)
    the (fractional) epoch, NaN when the log does not say;
``split`` (categorical of str)
    ``"train"``, ``"eval"`` (validation) or ``"test"`` (a held-out score, never the
    validation curve);
``metric`` (categorical of str)
    the normalised name (``"loss"``, ``"chrf"``, ``"learning_rate"``,
    ``"grad_norm"``...), see :mod:`reportlib.metrics`;
``value`` (float64)
    the value; NaN and inf are kept, never dropped;
``wall_time`` (float64)
    seconds (Unix time or since start), NaN when unknown;
``source_key`` (categorical of str)
    the name as the log wrote it (``"eval_loss"``, ``"val_loss_epoch"``).

Train and eval rows may share a step: never merge rows by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SCALAR_COLUMNS: tuple[str, ...] = (
    "step",
    "epoch",
    "split",
    "metric",
    "value",
    "wall_time",
    "source_key",
)

SPLITS: tuple[str, ...] = ("train", "eval", "test")

#: The largest step the ``step`` column (int64) holds. Ingest refuses a larger
#: one: converted to int64 it would wrap around to a negative step.
MAX_STEP = 2**63 - 1


def make_scalars(rows: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """Build a ``scalars`` frame with the right columns and dtypes.

    Parameters
    ----------
    rows:
        Dicts with the keys of :data:`SCALAR_COLUMNS`; ``epoch`` and
        ``wall_time`` may be missing (NaN). ``None`` or ``[]`` gives an empty frame.

    Returns
    -------
    pandas.DataFrame sorted stably by step, split then metric, with a fresh index.
    ``split``, ``metric`` and ``source_key`` are categoricals of str whose
    categories are the names present, sorted: a log of millions of values
    names a few curves, and comparing or listing them then costs a few small
    ints per row, not a string comparison.
    """
    frame = pd.DataFrame(list(rows or []), columns=list(SCALAR_COLUMNS))
    frame["step"] = pd.to_numeric(frame["step"]).astype("int64")
    for col in ("epoch", "value", "wall_time"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("split", "metric", "source_key"):
        frame[col] = frame[col].astype(str).astype("category")
    return frame.sort_values(["step", "split", "metric"], kind="stable").reset_index(drop=True)


@dataclass
class Predictions:
    """Per-checkpoint model outputs of a run (the run-folder convention of docs/architecture.md).

    ``references`` maps sample id to ``{"prompt": ..., "reference": ...}``;
    ``checkpoints`` maps a checkpoint's step (or epoch, see ``keyed_by``) to the
    prediction file that holds its outputs.
    """

    references_path: Path
    checkpoints: dict[int, Path]
    keyed_by: str = "step"


@dataclass
class Run:
    """One training run, as read from its folder or log file.

    Attributes
    ----------
    name:
        A short name for the run: its folder name (run.yaml's title goes to meta["title"]).
    path:
        The folder or file it was read from.
    format:
        The ingest format that read it (``"hf_trainer"``...).
    scalars:
        The tidy frame described in the module docstring.
    meta:
        Run-level facts: from the log (global_step, num_train_epochs, ...) and
        from the optional ``run.yaml`` (title, model, dataset, notes).
    predictions:
        Prediction files, when the run folder has them.
    warnings:
        What ingest noticed and repaired or skipped, as sentences for the report.
    input_files:
        Every file that was read, for the report's input hash.
    """

    name: str
    path: Path
    format: str
    scalars: pd.DataFrame = field(default_factory=make_scalars)
    meta: dict[str, Any] = field(default_factory=dict)
    predictions: Predictions | None = None
    warnings: list[str] = field(default_factory=list)
    input_files: list[Path] = field(default_factory=list)

    @classmethod
    def from_log_file(
        cls,
        path: Path,
        log_format: str,
        scalars: pd.DataFrame,
        *,
        meta: dict[str, Any] | None = None,
        warnings: list[str] | None = None,
    ) -> Run:
        """The run read from one log file: named after its folder, that file its only input."""
        return cls(
            name=path.parent.resolve().name,
            path=path,
            format=log_format,
            scalars=scalars,
            meta={} if meta is None else meta,
            warnings=[] if warnings is None else warnings,
            input_files=[path],
        )

    def series(self, split: str, metric: str) -> pd.DataFrame:
        """The rows of one curve (``split``/``metric``), sorted by step.

        Returns a frame with columns step, epoch, value, wall_time (possibly empty).
        """
        mask = (self.scalars["split"] == split) & (self.scalars["metric"] == metric)
        rows = self.scalars.loc[mask, ["step", "epoch", "value", "wall_time"]]
        return rows.sort_values("step", kind="stable").reset_index(drop=True)

    def curves(self) -> list[tuple[str, str]]:
        """Every (split, metric) pair that has at least one row, in a stable order."""
        if self.scalars.empty:
            return []
        pairs = self.scalars[["split", "metric"]].drop_duplicates()
        def order(pair: tuple[str, str]) -> tuple[int, str]:
            return (SPLITS.index(pair[0]) if pair[0] in SPLITS else len(SPLITS), pair[1])

        return sorted(map(tuple, pairs.to_numpy()), key=order)

    @property
    def has_non_finite(self) -> bool:
        """Whether any logged value is NaN or infinite."""
        return bool((~np.isfinite(self.scalars["value"].to_numpy())).any())
