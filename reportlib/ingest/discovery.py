"""Discovery: the runs under any path, how their files group and what they are called.

This is the one place that decides "one run or many". Every command turns
its paths into :class:`RunSource` items with :func:`reportlib.ingest.select_runs`
(or :func:`reportlib.ingest.discover`) and reads each with
:func:`reportlib.ingest.load_source`. The functions here take the registered
formats as an argument: the package passes :data:`reportlib.ingest.FORMATS`
(so this module does not import the package that imports it).

The walk goes down the tree at most :data:`MAX_DEPTH` folders (TensorBoard
scans a log dir the same way, without a bound), never into version control,
virtual environments, ``node_modules`` or hidden folders, and never opens model
weights. A folder is one run, whatever lies below it, when its layout says so
(:data:`reportlib.ingest.recognition.RUN_FOLDER_RULES`):

- an MLflow run: ``metrics/`` holding metric files (with or without meta.yaml);
- a Hugging Face Trainer output_dir: ``trainer_state.json`` or ``checkpoint-*/``;
- a Lightning CSVLogger ``version_N``: ``metrics.csv`` (with hparams.yaml);
- a W&B run (``files/`` with wandb-history.jsonl or wandb-summary.json), an
  ultralytics YOLO run (``results.csv``), an OpenMMLab work_dir (``vis_data/``);
- a TensorBoard run: event files in it, or in its split sub-folders
  (``train/``, ``validation/``: Keras writes those for one run).

Elsewhere each file is recognised by its content (the registered formats'
``detect``): a folder holding one log is a run named after the folder; a
folder holding several logs is one run per log, named by the file stem. Files
that are not logs are skipped with a reason (see :func:`skip_reason`).

Names (:mod:`reportlib.ingest.run_names`) come from, in order: the run.yaml title, the
framework's own run name (MLflow ``mlflow.runName``, ``run_name``/``name`` in a
Lightning hparams.yaml, ``run_name`` in a Trainer's training_args.json), the
folder, the file stem. A folder name that says nothing (``output``,
``version_0``, an MLflow run id) gets the nearest telling folder above it.
Names that clash in one discovery are told apart by their path relative to
the discovered folder (MLflow runs first by their experiment's name), never by
a counter, so the same tree always gives the same names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from reportlib.errors import InputError, ReportlibError
from reportlib.ingest import mlflow
from reportlib.ingest.predictions import PREDICTIONS_DIR
from reportlib.ingest.recognition import classify_file, run_folder_format, skip_reason
from reportlib.ingest.run_names import natural_name, unique_names
from reportlib.run import Run

if TYPE_CHECKING:
    from reportlib.ingest import LogFormat

__all__ = ["Discovery", "RunSource", "Selection", "classify_file", "discover_all",
           "natural_name", "run_folder_format", "select_runs", "single_run_name", "skip_reason"]

#: Folders below the given one that are searched. An MLflow project needs 3
#: (``mlruns/<experiment>/<run>``), a Lightning one under an experiments folder
#: 4 (``experiments/a/lightning_logs/version_0``); 6 leaves room for grouping
#: folders above those without walking a whole disk.
MAX_DEPTH = 6

#: Folder entries looked at before the walk stops (pointing at a home folder
#: must answer in seconds, not walk a dataset of a million images).
MAX_ENTRIES = 20_000


#: Folders never entered, and why.
SKIPPED_FOLDERS = {
    ".git": "version control", ".hg": "version control", ".svn": "version control",
    "node_modules": "JavaScript packages", "__pycache__": "Python bytecode",
    "site-packages": "installed Python packages", ".ipynb_checkpoints": "Jupyter autosaves",
    ".trash": "MLflow's deleted runs",
}




@dataclass(frozen=True)
class RunSource:
    """One run found by :func:`discover`.

    Attributes
    ----------
    path:
        What the loader reads: the run folder, or the log file.
    root:
        The run's folder (its run.yaml and prediction files live there).
    format:
        The registered format that reads ``path``.
    files:
        The log files that make the run up (the loader lists every file it reads).
    name:
        The run's name, unique among the runs of one discovery.
    name_origin:
        Where the name comes from ("run.yaml title", "MLflow runName", "folder"...).
    relative:
        ``path`` relative to the discovered path, POSIX style ("." for itself).
    """

    path: Path
    root: Path
    format: str
    files: tuple[Path, ...]
    name: str
    name_origin: str
    relative: str


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found under ``path``: its runs and the skipped paths, with reasons."""

    path: Path
    runs: tuple[RunSource, ...]
    skipped: tuple[tuple[Path, str], ...] = field(default_factory=tuple)
    #: Given paths that could not be searched (missing...), with their error.
    errors: tuple[tuple[Path, ReportlibError], ...] = field(default_factory=tuple)


@dataclass
class _Found:
    path: Path
    root: Path
    format: str
    files: tuple[Path, ...]
    several: bool  # one of several logs in its folder: named by file stem


def discover_all(paths: Sequence[str | PathLike[str]], formats: Sequence[LogFormat], *,
                 strict: bool = True) -> Discovery:
    """The runs under several paths, named together: names are unique across all of them.

    ``formats`` are the registered formats (:data:`reportlib.ingest.FORMATS`,
    which :func:`reportlib.ingest.discover_all` passes).

    Clashing names are told apart by their path relative to the folder that
    holds every given path (``build runs/a runs/b``: relative to ``runs/``).
    A run found twice (``runs/ runs/a``) is listed once. With ``strict`` off, a
    path that cannot be searched goes to ``errors`` and the others are still searched.

    Raises
    ------
    InputError
        ``strict`` and a path does not exist, or is neither a file nor a folder.
    """
    starts: list[Path] = []
    errors: list[tuple[Path, ReportlibError]] = []
    for given in paths:
        start = Path(given).expanduser()
        try:
            _check_exists(start)
        except InputError as error:
            if strict:
                raise
            errors.append((start, error))
            continue
        starts.append(start)
    found: list[_Found] = []
    skipped: list[tuple[Path, str]] = []
    walked = _Walked()
    for start in starts:
        if start.is_file():
            fmt, reason = classify_file(start, formats)
            if fmt is None:
                skipped.append((start, reason))
            else:
                several = _one_of_several(start, formats)
                found.append(_Found(start, start.parent, fmt, (start,), several))
        else:
            _walk(start, 0, found, skipped, walked, formats)
    unique: dict[str, _Found] = {}
    for item in found:
        unique.setdefault(os.path.normpath(item.path.absolute()), item)
    folders = [os.path.normpath((s if s.is_dir() else s.parent).absolute()) for s in starts]
    base = Path(os.path.commonpath(folders)) if folders else Path.cwd()
    start = starts[0] if len(starts) == 1 else base
    runs = _name_all(list(unique.values()), start)
    return Discovery(start, tuple(runs), tuple(skipped), tuple(errors))


@dataclass(frozen=True)
class Selection:
    """What a command does with its paths (see :func:`select_runs`).

    Attributes
    ----------
    runs:
        The runs to handle, named together.
    skipped:
        Given paths that hold no run, with why (only when other paths hold runs).
    errors:
        Errors (print their ``one_line()``): paths that do not exist, or, when
        no path holds a run, why each does not.
    """

    runs: tuple[RunSource, ...]
    skipped: tuple[tuple[Path, str], ...]
    errors: tuple[tuple[Path, ReportlibError], ...]


def select_runs(paths: Sequence[str | PathLike[str]], formats: Sequence[LogFormat],
                load_run: Callable[[Path], Run]) -> Selection:
    """The runs every command handles for ``paths``: one rule for build, summary, check, compare.

    A given path without a run is skipped when other paths hold runs (the
    README beside run folders that ``runs/*`` gives), and an error otherwise
    (the error ``load_run``, :func:`reportlib.ingest.load_run`, gives for it,
    which says why).
    """
    found = discover_all(paths, formats, strict=False)
    errors = list(found.errors)
    reasons = dict(found.skipped)
    failed = {path for path, _ in found.errors}
    empty = [Path(p).expanduser() for p in paths
             if Path(p).expanduser() not in failed
             and not _holds_a_run(Path(p).expanduser(), found.runs)]
    skipped: list[tuple[Path, str]] = []
    for path in empty:
        if found.runs:
            skipped.append((path, "not a training run: " + reasons.get(
                path, "no log format recognises anything in it")))
            continue
        try:
            load_run(path)
        except ReportlibError as error:
            errors.append((path, error))
        else:  # a format reads what discovery skipped: say why it was skipped
            errors.append((path, InputError(f"not a training run: {reasons.get(path, '?')}",
                                            path=path, hint="Point at a log or a run folder")))
    return Selection(found.runs, tuple(skipped), tuple(errors))


def _holds_a_run(path: Path, runs: Sequence[RunSource]) -> bool:
    here = os.path.normpath(path.absolute())
    for run in runs:
        there = os.path.normpath(run.path.absolute())
        if there == here or there.startswith(here + os.sep) or here.startswith(there + os.sep):
            return True
    return False


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file or folder", path=path,
                         hint="Give a run folder, a folder of runs or a log file")
    if not (path.is_dir() or path.is_file()):
        raise InputError("is neither a regular file nor a folder (a pipe, socket or device?)",
                         path=path, hint="Point at the run folder or at the log file itself")


@dataclass
class _Walked:
    """What a walk has seen: entries counted against :data:`MAX_ENTRIES`, folders by real path."""

    entries: int = 0
    folders: set[str] = field(default_factory=set)


def _walk(folder: Path, depth: int, found: list[_Found], skipped: list[tuple[Path, str]],
          seen: _Walked, formats: Sequence[LogFormat]) -> None:
    real = os.path.realpath(folder)
    if real in seen.folders:  # a link back up the tree, or a folder given twice
        skipped.append((folder, "a link to a folder already searched"))
        return
    seen.folders.add(real)
    layout = run_folder_format(folder, formats)
    if layout is not None:
        found.append(_Found(folder, folder, layout[0], layout[1], False))
        return
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        skipped.append((folder, f"cannot be listed ({error.strerror or error})"))
        return
    logs: list[tuple[Path, str]] = []
    subfolders: list[Path] = []
    for entry in entries:
        seen.entries += 1
        if seen.entries > MAX_ENTRIES:
            skipped.append((entry, f"the search stopped after {MAX_ENTRIES} entries: point "
                            "at a smaller folder"))
            return
        if entry.is_dir():
            reason = _folder_skip_reason(entry)
            if reason is None and depth + 1 > MAX_DEPTH:
                reason = f"more than {MAX_DEPTH} folders deep: not searched (point at it)"
            if reason is not None:
                skipped.append((entry, reason))
            else:
                subfolders.append(entry)
        elif entry.is_file():
            fmt, reason = classify_file(entry, formats)
            if fmt is None:
                skipped.append((entry, reason))
            else:
                logs.append((entry, fmt))
        else:
            skipped.append((entry, "not a regular file (a link to nothing, a pipe, a socket?)"))
    for log, fmt in logs:
        found.append(_Found(log, folder, fmt, (log,), len(logs) > 1))
    for sub in subfolders:
        _walk(sub, depth + 1, found, skipped, seen, formats)


def _folder_skip_reason(folder: Path) -> str | None:
    if folder.name in SKIPPED_FOLDERS:
        return f"not searched: {SKIPPED_FOLDERS[folder.name]}"
    if (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta").is_dir():
        return "not searched: a Python environment"
    if folder.name == PREDICTIONS_DIR:
        return "prediction files: read with the run of the folder above"
    if folder.name.startswith("."):
        return "not searched: a hidden folder"
    return None


def _one_of_several(file: Path, formats: Sequence[LogFormat]) -> bool:
    """Whether ``file`` is one of several logs in its folder, as the walk would find it."""
    folder = file.parent
    if run_folder_format(folder, formats) is not None or (
            folder.name == mlflow.METRICS_DIR and mlflow.is_run_folder(folder.parent)):
        return False  # a file of a run folder: the folder is the run
    try:
        siblings = sorted(p for p in folder.iterdir() if p.is_file() and p != file)
    except OSError:
        return False
    return any(classify_file(p, formats)[0] is not None for p in siblings)


# --- names ---------------------------------------------------------------------------------


def single_run_name(path: Path, log_format: str, formats: Sequence[LogFormat]
                    ) -> tuple[str, str]:
    """The name discovery gives the run at ``path`` when it is alone (not told apart)."""
    several = path.is_file() and _one_of_several(path, formats)
    return natural_name(path, log_format, several=several)


def _candidates(found: _Found, start: Path, base: str) -> list[str]:
    """Ever longer names for a run whose name clashes: its path relative to ``start``."""
    names = [base]
    if found.format == mlflow.NAME:
        experiment = mlflow.experiment_name(found.root)
        if experiment:
            names.append(f"{experiment}/{base}")
    relative = _relative(found.path, start)
    if relative != ".":
        names.append(relative.rsplit(".", 1)[0] if found.path.is_file() else relative)
        names.append(relative)
    return names


def _relative(path: Path, start: Path) -> str:
    base = start if start.is_dir() else start.parent
    try:
        relative = Path(os.path.normpath(path.absolute())).relative_to(
            os.path.normpath(base.absolute()))
    except ValueError:
        return path.name
    return relative.as_posix()


def _name_all(found: list[_Found], start: Path) -> list[RunSource]:
    bases = [natural_name(f.path, f.format, several=f.several) for f in found]
    names, told_apart = unique_names(
        [_candidates(f, start, name) for f, (name, _) in zip(found, bases, strict=True)])
    return [
        RunSource(path=f.path, root=f.root, format=f.format, files=f.files, name=names[i],
                  name_origin=bases[i][1] + (", told apart by its path" if told_apart[i] else ""),
                  relative=_relative(f.path, start))
        for i, f in enumerate(found)
    ]
