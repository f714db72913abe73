"""Discovery of a run folder's prediction files (DESIGN.md's convention).

::

    references.jsonl               {"id": ..., "prompt": ..., "reference": ...}
    predictions/step-000630.jsonl  {"id": ..., "prediction": ...}   one per checkpoint

Only the file names are read here: which checkpoint each file belongs to, by
step (``step-000630``, ``checkpoint-630``, ``630``) or by epoch (``epoch-03``).
:mod:`reportlib.scoring` reads the contents.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

from reportlib.errors import PredictionsError
from reportlib.run import Predictions

REFERENCES_FILE = "references.jsonl"
PREDICTIONS_DIR = "predictions"
PREDICTIONS_SUFFIX = ".jsonl"

#: File stems that name a checkpoint, and whether the number is a step or an epoch.
#: A bare number (``630.jsonl``) is a step: DESIGN.md writes ``predictions/<step>.jsonl``.
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
