"""Run names: the name a person recognises for each run, unique among the runs of a command.

A run is named, in order, by its run.yaml title, the name its framework
recorded (MLflow ``mlflow.runName``, ``run_name``/``name`` in a Lightning
hparams.yaml, ``run_name`` in a Trainer's training_args.json), its folder, or
its file stem (when its folder holds several logs). A folder name that says
nothing (``output``, ``version_0``, an MLflow run id) gets the nearest telling
folder above it. :func:`unique_names` tells clashing names apart by longer
candidates (paths), never by a counter, so a run keeps its name.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

from reportlib.errors import ReportlibError
from reportlib.ingest import hf_trainer, lightning, mlflow
from reportlib.ingest.run_yaml import RUN_YAML, read_run_yaml

__all__ = ["GENERIC_NAMES", "is_generic", "natural_name", "unique_names"]

#: Generic folders skipped above a name that says nothing on its own, looking
#: for one that does: ``proj/mlruns/<experiment id>/<run id>`` needs 2.
MAX_PREFIX_PARTS = 3

#: Names that say nothing about which run a folder or file holds: the
#: defaults of trainers and loggers, and ids.
GENERIC_NAMES = frozenset({
    "output", "outputs", "out", "log", "logs", "run", "runs", "result", "results", "model",
    "models", "metrics", "checkpoints", "ckpt", "lightning_logs", "tb", "tb_logs",
    "tensorboard", "mlruns", "train", "training", "eval", "exp", "experiments", "save",
    "saved", "trainer_state", "trainer_log", "training_log", "train_log", "log_train",
    "events", "artifacts", "files", "tmp", "default", "history", "progress", "scalars",
    "vis_data", "wandb", "detect", "segment", "classify", "pose", "obb", "work_dirs",
})
_GENERIC_PATTERN = re.compile(
    r"^(?:version_\d+|checkpoint-\d+|\d+|[0-9a-f]{32}|run-\d{8}_\d{6}-\w+|"
    r"\w{3}\d{2}-\d{2}-\d{2}-\d{2}_.+)$"  # HF's runs/<Mon>DD_HH-MM-SS_host
)

#: Keys of a Lightning hparams.yaml that hold a run name (W&B and Lightning scripts).
HPARAMS_NAME_KEYS = ("run_name", "wandb_run_name", "experiment_name", "name")
#: A Trainer output_dir's saved arguments, when the script wrote them as JSON.
TRAINING_ARGS_JSON = "training_args.json"


def is_generic(name: str) -> bool:
    """Whether a folder or file name says nothing about the run (:data:`GENERIC_NAMES`, ids)."""
    return name.casefold() in GENERIC_NAMES or bool(_GENERIC_PATTERN.match(name))


def _printable(name: str) -> str:
    # A name that is not UTF-8 comes back with surrogate escapes, which no output can encode.
    return os.fsencode(name).decode("utf-8", "replace")


def _prefixed(leaf: str, folder: Path) -> str:
    """``leaf`` when it says something; else ``<nearest telling folder above>/<leaf>``.

    ``proj/lightning_logs/version_0`` gives ``proj/version_0``; nothing above
    the home folder is used, and :data:`MAX_PREFIX_PARTS` folders at most are looked at.
    """
    if not is_generic(leaf):
        return leaf
    here = folder.resolve()
    home = Path.home().resolve()
    for _ in range(MAX_PREFIX_PARTS + 1):
        if not here.name or here == home:
            break
        if not is_generic(here.name):
            return f"{_printable(here.name)}/{leaf}"
        here = here.parent
    return leaf


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _title(folder: Path) -> str | None:
    if not (folder / RUN_YAML).is_file():
        return None
    try:
        return _text(read_run_yaml(folder / RUN_YAML).get("title"))
    except ReportlibError:
        return None  # the loader reports the broken run.yaml


def _framework_name(found_format: str, folder: Path) -> tuple[str, str] | None:
    """The run name the training framework recorded, and where it was found."""
    if found_format == mlflow.NAME:
        name = _text(mlflow.read_tag(folder, mlflow.RUN_NAME_TAG))
        return (name, "MLflow runName") if name else None
    if found_format == lightning.NAME and (folder / lightning.HPARAMS_FILE).is_file():
        # Lightning's own reader: save_hyperparameters() writes python tags safe_load refuses.
        values, _ = lightning.read_hparams(folder / lightning.HPARAMS_FILE)
        data = values if isinstance(values, dict) else {}
        for key in HPARAMS_NAME_KEYS:
            if (name := _text(data.get(key))) is not None:
                return name, f"hparams.yaml {key}"
    if found_format == hf_trainer.NAME and (folder / TRAINING_ARGS_JSON).is_file():
        try:
            data = json.loads((folder / TRAINING_ARGS_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        name = _text(data.get("run_name")) if isinstance(data, dict) else None
        # The Trainer's default run_name is the output_dir itself: a path, not a name.
        if name and "/" not in name and "\\" not in name and name != folder.name:
            return name, "training_args run_name"
    return None


def natural_name(path: Path, log_format: str, *, several: bool = False) -> tuple[str, str]:
    """The name of the run at ``path`` read as ``log_format``, and where the name comes from.

    ``several`` says ``path`` is one of several logs in its folder: the run.yaml
    title and the folder name then belong to all of them, so the file stem names it.
    """
    folder = path if path.is_dir() else path.parent
    if not several:
        title = _title(folder)
        if title is not None:
            return title, "run.yaml title"
    named = _framework_name(log_format, folder)
    if named is not None:
        return named
    if several:
        return _prefixed(_printable(path.stem), folder), "file stem"
    return _prefixed(_printable(folder.resolve().name), folder.resolve().parent), "folder"


def _clash_key(name: str) -> str:
    from reportlib.outputs import safe_name

    try:  # two names clash when their report folders would (case-insensitive file systems)
        return safe_name(name).casefold()
    except ReportlibError:
        return name.casefold()


def unique_names(candidates: list[list[str]]) -> tuple[list[str], list[bool]]:
    """One name per run from its candidates (its own name first, then ever longer ones).

    A run whose name clashes with another's takes its next candidate, until
    none clash (or it has no longer one). Returns the names and, for each,
    whether it had to be told apart.
    """
    level = [0] * len(candidates)
    names = [c[0] for c in candidates]
    for _ in range(max((len(c) for c in candidates), default=0)):
        counts = Counter(_clash_key(n) for n in names)
        clashing = [i for i, n in enumerate(names) if counts[_clash_key(n)] > 1]
        if not clashing:
            break
        for i in clashing:
            level[i] = min(level[i] + 1, len(candidates[i]) - 1)
            names[i] = candidates[i][level[i]]
    return names, [bool(x) for x in level]
