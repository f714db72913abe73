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
``run.yaml``, its prediction files and the run's name.

Which runs a path holds, and what they are called, is decided in one place:
:mod:`reportlib.ingest.discovery` (:func:`discover`). Commands discover first
and read each run with :func:`load_source`; :func:`load_run` on a folder
discovers too (one run found: that run; several: an error naming them).
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from reportlib.errors import FormatNotRecognisedError, InputError, ParameterError
from reportlib.ingest import (
    discovery,
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
from reportlib.ingest.discovery import Discovery, RunSource, Selection
from reportlib.ingest.logfile import (
    check_nesting,
    is_lfs_pointer,
    lfs_pointer_error,
    read_log_head,
    replace_lone_surrogates,
)
from reportlib.ingest.metric_names import apply_metric_names
from reportlib.ingest.predictions import discover_predictions, place_epoch_predictions
from reportlib.ingest.recognition import SKIPPED_SUFFIXES
from reportlib.ingest.run_yaml import apply_run_yaml
from reportlib.run import Run

__all__ = ["FORMATS", "Discovery", "LogFormat", "RunSource", "Selection", "detect_format",
           "discover", "discover_all", "discover_runs", "load_run", "load_runs", "load_source",
           "select_runs", "supported_formats"]


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


def load_run(path: str | PathLike[str], *, log_format: str | None = None,
             name: str | None = None) -> Run:
    """Read a training run from its folder or its log file.

    Steps: pick the format (or take ``log_format``), load the log, merge the
    run folder's optional ``run.yaml`` into ``meta``, and find its prediction
    files (``run.predictions``). The run folder is ``path`` itself, or the
    folder that holds it when ``path`` is a file. ``run.name`` is ``name``, or
    else :func:`~reportlib.ingest.run_names.natural_name`'s (run.yaml title,
    the framework's run name, the folder, the file stem). A folder is
    searched with :func:`discover` first: its only run is read, and a folder
    of several runs is an error that names them.

    Parameters
    ----------
    path:
        A run folder (e.g. a Trainer ``output_dir``) or a log file.
    log_format:
        A name from :func:`supported_formats` to skip detection; None detects.
    name:
        The run's name (a batch gives the names :func:`discover` made unique).

    Returns
    -------
    The :class:`~reportlib.run.Run`, with every file read in ``input_files``
    and everything skipped or repaired in ``warnings``.

    Raises
    ------
    InputError
        The path does not exist, or a file of the run cannot be read as it
        stands, or the path is a folder holding several runs (naming them).
    FormatNotRecognisedError
        No registered format recognises the path.
    PredictionsError
        Prediction files whose names contradict each other.
    ParameterError
        ``log_format`` is not a registered format.
    """
    resolved = _existing_path(path)
    if log_format is None and resolved.is_dir():
        return _load_discovered(resolved, name)
    kind = SKIPPED_SUFFIXES.get(resolved.suffix.lower()) if log_format is None else None
    if kind is not None:  # what discovery never opens is not a run here either
        raise InputError(
            f"is {kind}, not a training log",
            path=resolved,
            hint="Point at a log file or a run folder (`reportlib inspect PATH --format NAME` "
            "reads a file as a format anyway)",
        )
    fmt = _pick_format(resolved) if log_format is None else _format_named(log_format)
    return _load_as(resolved, fmt, name)


def _load_as(resolved: Path, fmt: LogFormat, name: str | None) -> Run:
    """Load ``resolved`` with ``fmt``, then add what every format shares (see :func:`load_run`)."""
    try:
        run = fmt.load(resolved)
    except RecursionError as exc:  # a parser (json, yaml) met absurdly deep nesting
        raise InputError(
            "nests lists or objects too deeply to be read",
            path=resolved,
            hint="The log is damaged, or not a training log; regenerate it",
        ) from exc
    _make_safe(run, resolved)
    folder = resolved if resolved.is_dir() else resolved.parent
    run.name = name or discovery.single_run_name(resolved, fmt.NAME, FORMATS)[0]
    run.format = fmt.NAME
    apply_run_yaml(run, folder)
    apply_metric_names(run, folder)
    run.predictions = place_epoch_predictions(
        discover_predictions(folder, run.warnings), run.scalars, run.format, run.warnings)
    if run.predictions is not None:
        run.input_files.append(run.predictions.references_path)
        run.input_files.extend(run.predictions.checkpoints.values())
    return run


def discover(path: str | PathLike[str]) -> Discovery:
    """Find, group and name the runs under a folder, or the run a file belongs to.

    See :mod:`reportlib.ingest.discovery`. Raises InputError when ``path``
    does not exist or is neither a file nor a folder.
    """
    return discovery.discover_all([path], FORMATS)


def discover_all(paths: Sequence[str | PathLike[str]], *, strict: bool = True) -> Discovery:
    """The runs under several paths, named together (see
    :func:`reportlib.ingest.discovery.discover_all`)."""
    return discovery.discover_all(paths, FORMATS, strict=strict)


def discover_runs(path: str | PathLike[str]) -> list[RunSource]:
    """The runs under ``path`` (see :func:`discover`)."""
    return list(discover(path).runs)


def select_runs(paths: Sequence[str | PathLike[str]]) -> Selection:
    """The runs every command handles for ``paths`` (see
    :func:`reportlib.ingest.discovery.select_runs`)."""
    return discovery.select_runs(paths, FORMATS, load_run)


def load_runs(paths: Sequence[str | PathLike[str]]) -> list[Run]:
    """Read every run :func:`select_runs` finds for ``paths``, under its name.

    Raises
    ------
    InputError
        The first error of the selection (a missing path, or no run anywhere);
        or a run that cannot be read.
    """
    selection = select_runs(paths)
    if selection.errors:
        raise selection.errors[0][1]
    return [load_source(source) for source in selection.runs]


def load_source(source: RunSource) -> Run:
    """Read a run that :func:`discover` found, under the name discovery gave it."""
    return load_run(source.path, log_format=source.format, name=source.name)


def _load_discovered(folder: Path, name: str | None) -> Run:
    """The only run under a folder; an error when it holds several (discovery decides)."""
    runs = discover_runs(folder)
    if len(runs) == 1:
        return load_run(runs[0].path, log_format=runs[0].format, name=name or runs[0].name)
    if len(runs) > 1:
        raise InputError(
            f"holds {len(runs)} runs ({', '.join(r.name for r in runs[:LISTED_ENTRIES])}"
            f"{', ...' if len(runs) > LISTED_ENTRIES else ''}), not one",
            path=folder,
            hint="`reportlib build`, `summary`, `check` and `compare` take the whole folder; "
            "to read one run, point at it (`reportlib inspect` lists them)",
        )
    # Nothing discovered: a format may still read the folder (and its errors say
    # more than "not recognised", e.g. which file of the run is broken).
    return _load_as(folder, _pick_format(folder), name)


def _detected(path: Path) -> LogFormat | None:
    for fmt in FORMATS:
        if fmt.detect(path):
            return fmt
    return None


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
    fmt = _detected(path)
    if fmt is not None:
        return fmt
    raise _not_recognised(path)


def _not_recognised(path: Path) -> InputError:
    if path.is_file() and is_lfs_pointer(read_log_head(path, 256)):
        return lfs_pointer_error(path)
    kind = "folder" if path.is_dir() else "file"
    message = f"no supported training-log format recognises this {kind}"
    if path.is_dir():
        message += f" ({_folder_listing(path)})"
    where, pattern = text_log.not_recognised_hint(path) or ("", "")  # a pattern to copy
    return FormatNotRecognisedError(
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
