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

from os import PathLike
from pathlib import Path
from typing import Protocol

from reportlib.errors import FormatNotRecognisedError, InputError, ParameterError
from reportlib.ingest import hf_trainer
from reportlib.ingest.logfile import is_lfs_pointer, lfs_pointer_error, read_log_head
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


#: Registered formats, in the order they are tried: the first whose ``detect``
#: says yes reads the path.
FORMATS: tuple[LogFormat, ...] = (
    hf_trainer,
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
    fmt = _pick_format(resolved) if log_format is None else _format_named(log_format)
    run = fmt.load(resolved)
    folder = resolved if resolved.is_dir() else resolved.parent
    run.name = folder.resolve().name
    run.format = fmt.NAME
    apply_run_yaml(run, folder)
    run.predictions = discover_predictions(folder, run.warnings)
    if run.predictions is not None:
        run.input_files.append(run.predictions.references_path)
        run.input_files.extend(run.predictions.checkpoints.values())
    return run


def _existing_path(path: str | PathLike[str]) -> Path:
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise InputError(
            "no such file or folder",
            path=resolved,
            hint="Give a run folder (e.g. a Trainer output_dir) or a log file such as "
            "trainer_state.json",
        )
    return resolved


def _pick_format(path: Path) -> LogFormat:
    for fmt in FORMATS:
        if fmt.detect(path):
            return fmt
    if path.is_file() and is_lfs_pointer(read_log_head(path, 256)):
        raise lfs_pointer_error(path)
    kind = "folder" if path.is_dir() else "file"
    raise FormatNotRecognisedError(
        f"no supported training-log format recognises this {kind}",
        path=path,
        hint="Supported formats: "
        + "; ".join(f"{fmt.NAME} ({fmt.DESCRIPTION})" for fmt in FORMATS),
    )


def _format_named(name: str) -> LogFormat:
    for fmt in FORMATS:
        if fmt.NAME == name:
            return fmt
    raise ParameterError(
        f"log_format must be one of {', '.join(supported_formats())} (or None to detect it); "
        f"got {name!r}"
    )
