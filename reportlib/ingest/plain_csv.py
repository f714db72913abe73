"""Any CSV training log with a header and a step (or epoch) column.

The catch-all for hand-written loggers (``csv.writer`` in a training loop,
``DataFrame.to_csv``): every column other than the step, epoch, wall time and
split columns (see :mod:`.csv_log`) is a metric, named as its header says
(``val_loss`` is the eval loss). A text column named ``split``, ``phase`` or
``mode`` says which split each row is (``train``/``val``).
"""

from __future__ import annotations

from pathlib import Path

from reportlib.errors import InputError
from reportlib.ingest.csv_log import count_epochs, read_csv_log, sniff_header
from reportlib.ingest.tidy import tidy_scalars
from reportlib.run import Run

NAME = "csv"
DESCRIPTION = "a CSV log with a header and a step or epoch column, one row per logging call"


def detect(path: Path) -> bool:
    """Whether ``path`` is a CSV file with a header and numeric rows, or a folder of one.

    Any such CSV is claimed (this format is tried last among the CSV ones), so
    that one without a step column gets an error that says so.
    """
    if path.is_dir():
        return _single_csv(path) is not None
    return sniff_header(path) is not None


def load(path: Path) -> Run:
    """Read a CSV log (or the folder holding one CSV file) into a :class:`Run`.

    Returns
    -------
    A Run with format ``"csv"``; ``meta["step_unit"] = "epoch"`` when the log
    has an epoch column and no step column.

    Raises
    ------
    InputError
        No step and no epoch column (the message lists the columns); anything
        :func:`reportlib.ingest.csv_log.read_csv_log` raises.
    """
    path = Path(path)
    if path.is_dir():
        found = _single_csv(path)
        if found is None:
            raise InputError(
                "holds no single CSV log",
                path=path,
                hint="Point at the CSV file itself",
            )
        path = found
    log = read_csv_log(path)
    scalars, warnings = tidy_scalars(log.logged)
    warnings[:0] = log.warnings
    meta: dict[str, object] = {"columns": log.columns}
    if log.step_from_epoch:
        meta["step_unit"] = "epoch"
        count_epochs(meta, scalars, path.name)
    if log.truncated:
        meta["in_progress"] = True
    if scalars.empty:
        warnings.append("the log has no logged values")
    return Run.from_log_file(path, NAME, scalars, meta=meta, warnings=warnings)


def _single_csv(folder: Path) -> Path | None:
    found = [p for p in sorted(folder.glob("*.csv")) if p.is_file() and sniff_header(p)]
    return found[0] if len(found) == 1 else None
