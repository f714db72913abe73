"""Ingest: read a run folder or a log file into a :class:`~reportlib.run.Run`.

:data:`FORMATS` is the one place formats are registered. Each entry is a module
that exposes (see :class:`LogFormat`):

- ``NAME``: the format's name (``"hf_trainer"``), stored in ``Run.format``;
- ``DESCRIPTION``: what it reads, for the "not recognised" error ("a Hugging
  Face Trainer output folder holding trainer_state.json...");
- ``detect(path) -> bool``: whether it reads ``path`` (a folder or a file),
  judged by content, cheaply, never raising for a path that is not its own;
- ``load(path) -> Run``: read it, raising :class:`~reportlib.errors.InputError`.

A new format is one new module in this package plus one line in :data:`FORMATS`.
:func:`load_run` adds what is common to every format: the run folder's
``run.yaml`` and its prediction files.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from reportlib.errors import FormatNotRecognisedError, InputError, ParameterError
from reportlib.ingest import (
    fairseq,
    hf_trainer,
    jsonl,
    keras_csv,
    lightning,
    mlflow,
    mmengine,
    plain_csv,
    tensorboard,
    text_log,
    wandb,
    yolo,
)
from reportlib.ingest.logfile import (
    check_nesting,
    is_lfs_pointer,
    lfs_pointer_error,
    read_log_head,
    replace_lone_surrogates,
)
from reportlib.ingest.metric_names import apply_metric_names
from reportlib.ingest.predictions import discover_predictions
from reportlib.ingest.run_yaml import apply_run_yaml
from reportlib.run import Run

__all__ = ["FORMATS", "LogFormat", "detect_format", "load_run", "supported_formats"]


class LogFormat(Protocol):
    """What a format module exposes (modules satisfy this protocol structurally)."""

    NAME: str
    DESCRIPTION: str

    def detect(self, path: Path) -> bool:
        """Whether this format reads ``path`` (a folder or a file)."""
        ...

    def load(self, path: Path) -> Run:
        """Read ``path`` into a Run; raise InputError when it cannot."""
        ...


#: Finite values beyond this magnitude get a warning: the square of a larger
#: value overflows a double, so variances and fitted lines on them are
#: meaningless; no training metric is that large unless the run diverged.
HUGE_VALUE = 1e150

#: Registered formats, in the order they are tried: the first whose ``detect``
#: says yes reads the path.
FORMATS: tuple[LogFormat, ...] = (
    hf_trainer,
    lightning,
    mlflow,
    wandb,
    yolo,
    mmengine,
    keras_csv,
    tensorboard,
    jsonl,
    fairseq,
    text_log,
    plain_csv,
)


def supported_formats() -> tuple[str, ...]:
    """The names of the registered formats, in detection order."""
    return tuple(fmt.NAME for fmt in FORMATS)


def detect_format(path: str | PathLike[str]) -> str:
    """Name the format of a run folder or log file.

    Parameters
    ----------
    path:
        A run folder or a log file.

    Returns
    -------
    The ``NAME`` of the first registered format that recognises it.

    Raises
    ------
    InputError
        The path does not exist, or is a Git LFS pointer.
    FormatNotRecognisedError
        No registered format recognises it (the message lists them).
    """
    return _pick_format(_existing_path(path)).NAME


def load_run(path: str | PathLike[str], *, log_format: str | None = None) -> Run:
    """Read a training run from its folder or its log file.

    Steps: pick the format (or take ``log_format``), load the log, merge the
    run folder's optional ``run.yaml`` into ``meta``, and find its prediction
    files (``run.predictions``). The run folder is ``path`` itself, or the
    folder that holds it when ``path`` is a file; ``run.name`` is its name.

    Parameters
    ----------
    path:
        A run folder (e.g. a Trainer ``output_dir``) or a log file.
    log_format:
        A name from :func:`supported_formats` to skip detection; None detects.

    Returns
    -------
    The :class:`~reportlib.run.Run`, with every file read in ``input_files``
    and everything skipped or repaired in ``warnings``.

    Raises
    ------
    InputError
        The path does not exist, or a file of the run cannot be read as it stands.
    FormatNotRecognisedError
        No registered format recognises the path.
    PredictionsError
        Prediction files whose names contradict each other.
    ParameterError
        ``log_format`` is not a registered format.
    """
    resolved = _existing_path(path)
    try:
        fmt = _pick_format(resolved) if log_format is None else _format_named(log_format)
        run = fmt.load(resolved)
    except RecursionError as exc:  # a parser (json, yaml) met absurdly deep nesting
        raise InputError(
            "nests lists or objects too deeply to be read",
            path=resolved,
            hint="The log is damaged, or not a training log; regenerate it",
        ) from exc
    _make_safe(run, resolved)
    folder = resolved if resolved.is_dir() else resolved.parent
    # A folder name that is not UTF-8 comes back with surrogate escapes, which no
    # output can encode: show the undecodable bytes as U+FFFD instead.
    run.name = os.fsencode(folder.resolve().name).decode("utf-8", "replace")
    run.format = fmt.NAME
    apply_run_yaml(run, folder)
    apply_metric_names(run, folder)
    run.predictions = discover_predictions(folder, run.warnings)
    if run.predictions is not None:
        run.input_files.append(run.predictions.references_path)
        run.input_files.extend(run.predictions.checkpoints.values())
    return run


def _make_safe(run: Run, path: Path) -> None:
    """Check and repair, for every format, what later layers walk or write.

    Metadata nested absurdly deep (or containing itself) is refused, since
    summary.json's writer recurses through it; lone surrogates (JSON ``\\ud800``
    escapes) in metadata, warnings and metric names become U+FFFD, since no
    output can encode them.
    """
    check_nesting(run.meta, path=path)
    replace_lone_surrogates(run.meta)
    replace_lone_surrogates(run.warnings)
    values = run.scalars["value"].to_numpy(dtype=float)
    # Two reductions settle the usual case (NaN fails both tests, so gets the full look).
    within = not len(values) or bool(-HUGE_VALUE <= values.min() and values.max() <= HUGE_VALUE)
    huge = np.zeros(0, dtype=bool)
    if not within:
        with np.errstate(invalid="ignore"):
            huge = np.isfinite(values) & (np.abs(values) > HUGE_VALUE)
    if huge.any():
        rows = run.scalars[huge]
        shown = ", ".join(f"{r.split} {r.metric} {r.value:.3g} at step {r.step}"
                          for r in rows.head(3).itertuples())
        run.warnings.append(
            f"{int(huge.sum())} value(s) beyond ±{HUGE_VALUE:.0e} kept as logged ({shown}"
            f"{', ...' if len(rows) > 3 else ''}): arithmetic on them overflows, so trends "
            "and fits of those curves are unreliable (a diverged run?)"
        )
    for column in ("metric", "source_key"):
        series = run.scalars[column]
        categorical = isinstance(series.dtype, pd.CategoricalDtype)
        # A categorical's categories are its distinct names: a few, however many rows.
        distinct = series.cat.categories if categorical else series.unique()
        names = [name for name in distinct if isinstance(name, str)]
        fixed = list(names)
        if replace_lone_surrogates(fixed):
            changes = {old: new for old, new in zip(names, fixed, strict=True) if old != new}
            if categorical:  # two names may repair to one: rebuild the categories
                series = series.astype(object).replace(changes).astype("category")
            else:
                series = series.replace(changes)
            run.scalars[column] = series


def _existing_path(path: str | PathLike[str]) -> Path:
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise InputError(
            "no such file or folder",
            path=resolved,
            hint="Give a run folder (e.g. a Trainer output_dir) or a log file such as "
            "trainer_state.json",
        )
    if not (resolved.is_dir() or resolved.is_file()):
        # Reading a FIFO or a device would block or never end.
        raise InputError(
            "is neither a regular file nor a folder (a pipe, socket or device?)",
            path=resolved,
            hint="Point at the run folder or at the log file itself",
        )
    return resolved


def _pick_format(path: Path) -> LogFormat:
    for fmt in FORMATS:
        if fmt.detect(path):
            return fmt
    if path.is_file() and is_lfs_pointer(read_log_head(path, 256)):
        raise lfs_pointer_error(path)
    kind = "folder" if path.is_dir() else "file"
    message = f"no supported training-log format recognises this {kind}"
    if path.is_dir():
        message += f" ({_folder_listing(path)})"
    where, pattern = text_log.not_recognised_hint(path) or ("", "")  # a pattern to copy
    raise FormatNotRecognisedError(
        message + (f" ({where})" if where else ""),
        path=path,
        # Names only: the descriptions of every format would make a screenful of one line.
        hint=(f"{pattern}; or " if pattern else "") + "Supported formats: "
        + ", ".join(fmt.NAME for fmt in FORMATS)
        + " (the README's 'What it reads' says what each reads; `reportlib inspect PATH"
        " --format NAME` forces one)",
    )


def _format_named(name: str) -> LogFormat:
    for fmt in FORMATS:
        if fmt.NAME == name:
            return fmt
    raise ParameterError(
        f"log_format must be one of {', '.join(supported_formats())} (or None to detect it); "
        f"got {name!r}"
    )


#: Entries of an unrecognised folder named in its error (more would not fit one line).
LISTED_ENTRIES = 5


def _folder_listing(folder: Path) -> str:
    """What an unrecognised folder holds, for its error: a few names, then a count."""
    try:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    except OSError:
        return "its content cannot be listed"
    if not names:
        return "it is empty"
    shown = ", ".join(names[:LISTED_ENTRIES])
    more = len(names) - LISTED_ENTRIES
    return "it holds " + shown + (f" and {more} more" if more > 0 else "")
