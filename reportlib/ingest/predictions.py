"""Discovery of a run folder's prediction files (the run-folder convention of docs/architecture.md).

::

    references.jsonl               {"id": ..., "prompt": ..., "reference": ...}
    predictions/step-000630.jsonl  {"id": ..., "prediction": ...}   one per checkpoint

Only the file names are read here: which checkpoint each file belongs to, by
step (``step-000630``, ``checkpoint-630``, ``630``) or by epoch (``epoch-03``).
:mod:`reportlib.scoring` reads the contents.

A file named by epoch is then placed at the step of that epoch's evaluation
(:func:`place_epoch_predictions`): ``epoch-07`` (counted from 1) is the
evaluation logged at the end of epoch 7, when the log evaluates once per epoch.
A name that cannot be placed is left out with a warning, never guessed.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from reportlib.errors import PredictionsError
from reportlib.ingest.tidy import listed, plural
from reportlib.run import Predictions

REFERENCES_FILE = "references.jsonl"
PREDICTIONS_DIR = "predictions"
PREDICTIONS_SUFFIX = ".jsonl"

#: Formats whose epoch column counts from 0: Lightning writes ``trainer.current_epoch``
#: (the validation at the end of the first epoch has epoch 0). Hugging Face's
#: epoch is the fraction of epochs done (1.0 at the end of the first).
ZERO_BASED_EPOCH_FORMATS = frozenset({"lightning_csv"})

#: Formats that keep a whole-number epoch column as logged, from 0 or from 1
#: (Keras' CSVLogger from 0; ultralytics from 0 in older versions, from 1 in newer
#: ones): counted from 0 when the first epoch logged is 0.
EPOCHS_AS_LOGGED_FORMATS = frozenset({"keras_csv", "yolo", "csv"})

#: How far from a whole number an evaluation's epoch may be and still be "the
#: end of that epoch": HF rounds logged epochs to 4 significant digits and, with
#: gradient accumulation, an epoch's last optimizer step can fall a little short
#: of its end (0.9968...). A 2% margin tells that from evaluations every N steps,
#: which land at arbitrary fractions.
EPOCH_END_TOLERANCE = 0.02

#: File stems that name a checkpoint, and whether the number is a step or an epoch.
#: A bare number (``630.jsonl``) is a step: docs/architecture.md writes
#: ``predictions/<step>.jsonl``.
_NAME_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?:global[-_]?)?steps?[-_]?(\d+)$", re.IGNORECASE), "step"),
    (re.compile(r"^(?:checkpoint|ckpt)[-_]?(\d+)$", re.IGNORECASE), "step"),
    (re.compile(r"^(\d+)$"), "step"),
    (re.compile(r"^epochs?[-_]?(\d+)$", re.IGNORECASE), "epoch"),
)


def parse_prediction_name(path: Path) -> tuple[str, int] | None:
    """The checkpoint a prediction file's name refers to.

    Parameters
    ----------
    path:
        A file such as ``predictions/step-000630.jsonl``.

    Returns
    -------
    ``("step", 630)``, ``("epoch", 3)``..., or None when the name carries no step
    or epoch number in a known form.
    """
    name = path.name
    stem = name[: -len(PREDICTIONS_SUFFIX)] if name.endswith(PREDICTIONS_SUFFIX) else path.stem
    for pattern, kind in _NAME_PATTERNS:
        match = pattern.match(stem)
        if match:
            return kind, int(match.group(1))
    return None


def discover_predictions(
    folder: str | PathLike[str], warnings: list[str] | None = None
) -> Predictions | None:
    """Find ``references.jsonl`` and ``predictions/*.jsonl`` in a run folder.

    Parameters
    ----------
    folder:
        The run folder.
    warnings:
        A list (e.g. ``run.warnings``) that gets a sentence for every file
        skipped and for a half-present convention (predictions without
        references or the reverse); ignored when None.

    Returns
    -------
    A :class:`~reportlib.run.Predictions` whose ``checkpoints`` map step (or
    epoch, see ``keyed_by``) to file, in increasing order; None when the folder
    has no usable pair of references and prediction files.

    Raises
    ------
    PredictionsError
        When some files are named by step and others by epoch, or two files
        name the same checkpoint.
    """
    notes: list[str] = [] if warnings is None else warnings
    folder = Path(folder)
    references = folder / REFERENCES_FILE
    pred_dir = folder / PREDICTIONS_DIR
    files = sorted(
        p
        for p in (pred_dir.iterdir() if pred_dir.is_dir() else ())
        if p.is_file() and p.name.endswith(PREDICTIONS_SUFFIX) and not p.name.startswith(".")
    )
    if not files:
        if references.is_file():
            notes.append(
                f"{REFERENCES_FILE} is there but {PREDICTIONS_DIR}/ holds no *{PREDICTIONS_SUFFIX} "
                "file: chrF cannot be computed from predictions"
            )
        return None
    if not references.is_file():
        notes.append(
            f"{PREDICTIONS_DIR}/ holds {len(files)} prediction file(s) but {REFERENCES_FILE} is "
            "missing: chrF cannot be computed from them"
        )
        return None

    by_kind: dict[str, dict[int, Path]] = {}
    unnamed: list[str] = []
    for path in files:
        parsed = parse_prediction_name(path)
        if parsed is None:
            unnamed.append(path.name)
            continue
        kind, number = parsed
        checkpoints = by_kind.setdefault(kind, {})
        if number in checkpoints:
            raise PredictionsError(
                f"{checkpoints[number].name} and {path.name} both hold the predictions of "
                f"{kind} {number}",
                path=pred_dir,
                hint="Keep one file per checkpoint",
            )
        checkpoints[number] = path
    if unnamed:
        notes.append(
            f"{len(unnamed)} prediction file(s) skipped: no step or epoch number in the name "
            f"({', '.join(unnamed[:5])}{', ...' if len(unnamed) > 5 else ''}); name them like "
            "step-000630.jsonl or epoch-03.jsonl"
        )
    if len(by_kind) > 1:
        steps, epochs = by_kind["step"], by_kind["epoch"]
        raise PredictionsError(
            f"some prediction files are named by step ({steps[min(steps)].name}) and others by "
            f"epoch ({epochs[min(epochs)].name})",
            path=pred_dir,
            hint="Name them all by step (step-000630.jsonl) or all by epoch (epoch-03.jsonl)",
        )
    if not by_kind:
        return None
    kind, checkpoints = next(iter(by_kind.items()))
    return Predictions(
        references_path=references,
        checkpoints=dict(sorted(checkpoints.items())),
        keyed_by=kind,
    )


def _epoch_evaluations(scalars: pd.DataFrame, zero_based: bool) -> dict[int, int] | None:
    """Map epoch (from 1) -> step of its evaluation, when the log evaluates once per epoch.

    None when it does not (an evaluation away from an epoch's end, two in one
    epoch, or evaluations without an epoch).
    """
    evals = scalars[scalars["split"] == "eval"]
    if evals.empty:
        return None
    epochs = evals.groupby("step", sort=True)["epoch"].max()
    values = epochs.to_numpy(dtype=float) + (1.0 if zero_based else 0.0)
    if not np.isfinite(values).all():
        return None
    whole = np.rint(values)
    if (np.abs(values - whole) > EPOCH_END_TOLERANCE).any() or (whole < 1).any():
        return None
    if len(set(whole.tolist())) != len(whole):
        return None
    return {int(e): int(step) for e, step in zip(whole, epochs.index, strict=True)}


def _counts_from_zero(scalars: pd.DataFrame, log_format: str) -> bool:
    if log_format in ZERO_BASED_EPOCH_FORMATS:
        return True
    if log_format not in EPOCHS_AS_LOGGED_FORMATS:
        return False
    # From the first epoch of any curve (a validation every few epochs starts later),
    # with whole-number evaluations.
    epochs = scalars["epoch"].to_numpy(dtype=float)
    evals = scalars.loc[scalars["split"] == "eval", "epoch"].to_numpy(dtype=float)
    epochs, evals = epochs[np.isfinite(epochs)], evals[np.isfinite(evals)]
    return bool(epochs.size and epochs.min() == 0 and np.all(evals == np.round(evals)))


def place_epoch_predictions(
    predictions: Predictions | None,
    scalars: pd.DataFrame,
    log_format: str,
    warnings: list[str] | None = None,
) -> Predictions | None:
    """Key prediction files named by epoch by the step of that epoch's evaluation.

    ``epoch-07.jsonl`` counts epochs from 1 (as people and the Trainer do), so
    it is the evaluation at the end of the 7th epoch: the one whose epoch is 7.0
    in a Hugging Face log, 6 in a Lightning ``metrics.csv``
    (:data:`ZERO_BASED_EPOCH_FORMATS`) or in a Keras log, whose epochs count from 0
    (:data:`EPOCHS_AS_LOGGED_FORMATS`). This needs a log that evaluates once per
    epoch; a file whose epoch has no such evaluation is left out with a
    warning (scoring it under a guessed step would compare it with another
    checkpoint's logged values).

    Parameters
    ----------
    predictions:
        What :func:`discover_predictions` found (returned as is unless keyed by epoch).
    scalars:
        The run's tidy scalars.
    log_format:
        The ingest format's name, for the epoch origin.
    warnings:
        A list that gets a sentence saying what was matched or left out.

    Returns
    -------
    Predictions keyed by step; the same Predictions when they are keyed by step
    already or the log has no evaluation to place them against; None when no
    file could be placed.
    """
    notes: list[str] = [] if warnings is None else warnings
    if predictions is None or predictions.keyed_by != "epoch":
        return predictions
    if not (scalars["split"] == "eval").any():
        return predictions  # nothing logged to compare with: scored by epoch
    placed = _epoch_evaluations(scalars, _counts_from_zero(scalars, log_format))
    files = predictions.checkpoints
    if placed is None:
        notes.append(
            f"{plural(len(files), 'prediction file')} named by epoch, but the log does not "
            "evaluate exactly once at the end of each epoch, so which evaluation each belongs "
            "to is not known; they were left out (name them by step, e.g. step-000630.jsonl)"
        )
        return None
    steps = {epoch: placed[epoch] for epoch in files if epoch in placed}
    missing = [files[epoch].name for epoch in files if epoch not in placed]
    if missing:
        notes.append(
            f"{plural(len(missing), 'prediction file')} name an epoch the log has no evaluation "
            f"for (it evaluated at the end of epoch {listed(sorted(placed))}): {listed(missing)}; "
            "left out, not guessed"
        )
    if not steps:
        return None
    matched = [f"{files[epoch].name} at step {step}" for epoch, step in steps.items()]
    notes.append(
        "prediction files named by epoch were matched to the evaluation at the end of that "
        f"epoch (counted from 1): {listed(matched)}"
    )
    return Predictions(
        references_path=predictions.references_path,
        checkpoints={steps[e]: files[e] for e in sorted(steps)},
        keyed_by="step",
    )
