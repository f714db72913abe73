"""Recognition: whether a folder is one run by its layout, whether a file is a log.

Used by :mod:`reportlib.ingest.discovery`, which walks the tree. A folder is one
run, whatever lies below it, when one of :data:`RUN_FOLDER_RULES` says so (or a
registered format's ``run_folder_files``); a file is a log when a registered
format's ``detect`` says so, unless :func:`skip_reason` knows it is not one
without opening it (weights, documents, a run's companion files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reportlib.errors import ReportlibError
from reportlib.ingest import (
    csv_log,
    hf_trainer,
    lightning,
    mlflow,
    mmengine,
    plain_csv,
    tensorboard,
    wandb,
    yolo,
)
from reportlib.ingest.logfile import is_lfs_pointer, read_log_head
from reportlib.ingest.predictions import REFERENCES_FILE
from reportlib.ingest.run_yaml import RUN_YAML

if TYPE_CHECKING:
    from reportlib.ingest import LogFormat

__all__ = ["RUN_FOLDER_RULES", "SKIPPED_SUFFIXES", "classify_file", "run_folder_format",
           "skip_reason"]

#: File suffixes skipped without being opened, by what they hold.
SKIPPED_SUFFIXES = {
    **dict.fromkeys((".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras",
                     ".onnx", ".pb", ".tflite", ".gguf", ".msgpack", ".model", ".npy", ".npz",
                     ".pkl", ".pickle", ".joblib", ".caffemodel", ".solverstate"),
                    "model weights or binary data"),
    **dict.fromkeys((".py", ".sh", ".ipynb", ".js", ".c", ".cpp", ".h", ".r", ".jl", ".toml",
                     ".cfg", ".ini", ".prototxt"), "source code or configuration"),
    **dict.fromkeys((".md", ".rst", ".html", ".htm", ".pdf", ".tex", ".bib"), "a document"),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".mp4",
                     ".wav", ".mp3"), "an image or media file"),
    **dict.fromkeys((".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z"), "an archive"),
    **dict.fromkeys((".arrow", ".parquet", ".feather", ".tfrecord", ".tfrecords", ".lmdb",
                     ".mdb", ".db", ".sqlite", ".idx"), "a dataset or database file"),
}




def _mlflow_run(folder: Path) -> tuple[Path, ...] | None:
    if not mlflow.is_run_folder(folder):
        return None
    meta = folder / mlflow.META_FILE
    metrics = sorted(p for p in (folder / mlflow.METRICS_DIR).rglob("*") if p.is_file())
    return ((meta,) if meta.is_file() else ()) + tuple(metrics)


def _hf_run(folder: Path) -> tuple[Path, ...] | None:
    state, _ = hf_trainer.find_state_file(folder)
    return None if state is None else (state,)


def _lightning_run(folder: Path) -> tuple[Path, ...] | None:
    metrics = folder / lightning.METRICS_FILE
    if not (metrics.is_file() and lightning.detect(metrics)):
        return None
    hparams = folder / lightning.HPARAMS_FILE
    return (metrics, hparams) if hparams.is_file() else (metrics,)


def _wandb_run(folder: Path) -> tuple[Path, ...] | None:
    return wandb.markers_in(folder) or None


def _yolo_run(folder: Path) -> tuple[Path, ...] | None:
    if not yolo.detect(folder):
        return None
    args = folder / yolo.ARGS_FILE
    return (folder / yolo.RESULTS_FILE, *((args,) if args.is_file() else ()))


def _mmengine_run(folder: Path) -> tuple[Path, ...] | None:
    vis_data = folder / mmengine.VIS_FOLDER
    if not (vis_data.is_dir() and mmengine.detect(folder)):
        return None
    return tuple(sorted(p for p in vis_data.glob("*.json") if p.is_file())) or None


def _tensorboard_run(folder: Path) -> tuple[Path, ...] | None:
    def events(where: Path) -> list[Path]:
        try:
            return sorted(p for p in where.iterdir() if p.is_file()
                          and tensorboard.is_event_file_name(p.name) and skip_reason(p) is None)
        except OSError:
            return []

    files = events(folder)
    for split in tensorboard.SPLIT_FOLDERS:
        if (folder / split).is_dir():
            files += events(folder / split)
    return tuple(files) or None


#: Layouts that make a folder one run, whatever else lies below it, tried in
#: order: (format name, the run's log files or None). A format module may add
#: its own by exposing ``run_folder_files(folder)`` (see :func:`run_folder_format`).
RUN_FOLDER_RULES: tuple[tuple[str, Callable[[Path], tuple[Path, ...] | None]], ...] = (
    (mlflow.NAME, _mlflow_run),
    (hf_trainer.NAME, _hf_run),
    (lightning.NAME, _lightning_run),
    (wandb.NAME, _wandb_run),  # a W&B files folder: history, summary, config are one run
    (yolo.NAME, _yolo_run),
    (mmengine.NAME, _mmengine_run),  # vis_data's scalars.json and <time>.json are twins
    (tensorboard.NAME, _tensorboard_run),
)


def run_folder_format(folder: Path, formats: Sequence[LogFormat]
                      ) -> tuple[str, tuple[Path, ...]] | None:
    """The format and log files of ``folder`` when its layout makes it one run, else None."""
    rules = list(RUN_FOLDER_RULES)
    rules += [(fmt.NAME, fmt.run_folder_files) for fmt in formats
              if hasattr(fmt, "run_folder_files")]
    for name, rule in rules:
        try:
            files = rule(folder)
        except (OSError, ReportlibError):
            continue  # unreadable here: the file walk below reports what it can
        if files:
            return name, files
    return None


def skip_reason(path: Path) -> str | None:
    """Why a file is not a log without reading its content, or None when it may be one."""
    name = path.name
    if name.startswith("."):
        return "a hidden file"
    if name == RUN_YAML:
        return "run facts: read with the run(s) of its folder"
    if name == REFERENCES_FILE:
        return "prediction references: read with the run of its folder"
    if name.endswith(lightning.HPARAMS_FILE):
        return (f"Lightning hyperparameters without a {lightning.METRICS_FILE} beside them: no "
                "logged values")
    if name.endswith(mlflow.META_FILE):
        return (f"MLflow run facts without the {mlflow.METRICS_DIR}/ folder beside them: no "
                "logged values")
    kind = SKIPPED_SUFFIXES.get(path.suffix.lower())
    if kind is not None:
        return f"{kind}, not a log"
    return None


def classify_file(path: Path, formats: Sequence[LogFormat]) -> tuple[str | None, str]:
    """The format that reads ``path`` as a log, or None and the reason it is skipped."""
    reason = skip_reason(path)
    if reason is not None:
        return None, reason
    try:
        if path.stat().st_size == 0:
            return None, "an empty file"
        if is_lfs_pointer(read_log_head(path, 256)):
            return None, "a Git LFS pointer, not the file itself (run `git lfs pull`)"
    except (OSError, ReportlibError) as error:
        return None, f"cannot be read ({error})"
    for fmt in formats:
        try:
            if fmt.detect(path):
                if fmt.NAME == plain_csv.NAME and not _mostly_numbers(path):
                    break  # the catch-all CSV format claims any table: notes are not logs
                return fmt.NAME, ""
        except (OSError, ValueError, ReportlibError):
            continue
    return None, "no log format recognises its content"


#: The catch-all CSV format claims any table whose first row holds a number, so
#: that a CSV log without a step column gets an error saying so. Discovery counts
#: such a table as a run only when more than this share of that row's non-empty
#: cells are numbers: a log of metrics is all numbers, a table of notes or file
#: names (a PROVENANCE.tsv, a dataset index) is mostly text.
MIN_NUMERIC_SHARE = 0.5


def _mostly_numbers(path: Path) -> bool:
    layout = csv_log.sniff_layout(path)
    if layout is None:
        return False
    lines = read_log_head(path).split("\n")
    cells = [c.strip() for c in lines[layout.header_line + 1].strip("\r").split(layout.separator)]
    filled = [cell for cell in cells if cell]
    numbers = sum(1 for cell in filled if csv_log._is_number(cell))  # the CSV reader's own test
    return numbers > MIN_NUMERIC_SHARE * len(filled)

