"""Keras' CSVLogger: one row per epoch (``training.log`` by default, or a history CSV).

The first column is ``epoch``, numbered from 0, then the metrics of
``model.fit``'s history in alphabetical order (``accuracy,loss,val_accuracy,
val_loss``); ``NA`` marks a metric not computed at that epoch (validation run
every few epochs). There is no step column: the step is the epoch's rank and
the epoch is as logged, as :func:`reportlib.ingest.csv_log.steps_from_epochs`
says (the number of epochs run, the last + 1, is ``meta["epochs_run"]``), and
``meta["step_unit"]`` is ``"epoch"``. ``pandas.DataFrame(history.history)
.to_csv(...)`` files (an unnamed index column instead of ``epoch``) are read the same way.
"""

from __future__ import annotations

from pathlib import Path

from reportlib.errors import InputError
from reportlib.ingest.csv_log import (
    STEP_COLUMNS,
    count_epochs,
    find_column,
    read_csv_log,
    sniff_header,
)
from reportlib.ingest.logfile import first_log_file
from reportlib.ingest.tidy import tidy_scalars
from reportlib.run import Run

NAME = "keras_csv"
DESCRIPTION = (
    "a Keras CSVLogger file (training.log, or a history CSV: an epoch column, then loss, "
    "val_loss...) or the folder holding it"
)

#: The names Keras' CSVLogger and common history dumps use, looked for in a folder.
FILE_NAMES = ("training.log", "history.csv", "training.csv", "training_log.csv", "log.csv")


def find_log_file(folder: Path) -> Path | None:
    """The first of :data:`FILE_NAMES` in ``folder`` that is a Keras CSV log."""
    return first_log_file(folder, FILE_NAMES, _is_keras_csv)


def detect(path: Path) -> bool:
    """Whether ``path`` is a Keras CSV log (or a folder holding one).

    A file is one when its header starts with ``epoch`` (or an unnamed index
    column) and has no step column.
    """
    if path.is_dir():
        return find_log_file(path) is not None
    return _is_keras_csv(path)


def load(path: Path) -> Run:
    """Read a Keras CSVLogger file (or the folder holding it) into a :class:`Run`.

    Returns
    -------
    A Run with format ``"keras_csv"``: one row per epoch and metric, step =
    epoch rank, epoch as logged (from 0); ``meta["step_unit"] = "epoch"``.

    Raises
    ------
    InputError
        A folder without such a file; a file that cannot be read (see
        :func:`reportlib.ingest.csv_log.read_csv_log`).
    """
    path = Path(path)
    if path.is_dir():
        found = find_log_file(path)
        if found is None:
            raise InputError(
                f"holds no Keras CSV log ({', '.join(FILE_NAMES)})",
                path=path,
                hint="Point at the file keras.callbacks.CSVLogger wrote",
            )
        path = found
    log = read_csv_log(path, index_as_epoch=True)
    scalars, warnings = tidy_scalars(log.logged)
    warnings[:0] = log.warnings
    meta: dict[str, object] = {"step_unit": "epoch", "columns": log.columns}
    count_epochs(meta, scalars, path.name)
    if log.truncated:
        meta["in_progress"] = True
    if scalars.empty:
        warnings.append("the log has no logged values")
    return Run.from_log_file(path, NAME, scalars, meta=meta, warnings=warnings)


def _is_keras_csv(path: Path) -> bool:
    header = sniff_header(path, allow_unnamed_first=True)
    if header is None or find_column(header, STEP_COLUMNS) is not None:
        return False
    return header[0].strip().lower() in ("epoch", "")
