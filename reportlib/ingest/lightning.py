"""PyTorch Lightning's CSVLogger: ``lightning_logs/version_N/metrics.csv`` and ``hparams.yaml``.

``metrics.csv`` has one row per ``log_metrics`` call, with a ``step`` column, an
``epoch`` column (added by the Trainer) and one column per metric name ever
logged, so rows are sparse: a validation row leaves the training columns empty
and the reverse. Names follow ``self.log`` (``train_loss``, ``val/loss``); a
metric logged with ``on_step=True, on_epoch=True`` appears twice, as
``<name>_step`` and ``<name>_epoch`` (the per-epoch mean), and
``LearningRateMonitor`` writes ``lr-<Optimizer>``. Older Lightning versions put
the metric columns first; a header may change mid-file when a resumed run
appends to the file (see :mod:`.csv_log`).

``hparams.yaml`` beside it (``save_hyperparameters()``) goes to ``meta["hparams"]``,
and the sizes and planned length it states (``train_examples``, ``n_train``,
``max_epochs``..., nested too) to the run facts of :mod:`.run_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from reportlib.errors import InputError
from reportlib.ingest.csv_log import STEP_COLUMNS, find_column, read_csv_log, sniff_header
from reportlib.ingest.logfile import check_nesting, read_log_text
from reportlib.ingest.run_facts import config_facts
from reportlib.ingest.tidy import tidy_scalars
from reportlib.run import Run

NAME = "lightning_csv"
DESCRIPTION = (
    "a PyTorch Lightning CSVLogger folder (lightning_logs/version_N holding metrics.csv and "
    "hparams.yaml, or the lightning_logs folder) or its metrics.csv"
)

METRICS_FILE = "metrics.csv"
HPARAMS_FILE = "hparams.yaml"
LOGS_FOLDER = "lightning_logs"

_VERSION = re.compile(r"^version_(\d+)$")
#: LearningRateMonitor's names: ``lr-Adam``, ``lr-AdamW/pg1``, ``lr-SGD-momentum``.
_LR_MONITOR = re.compile(r"^lr-[A-Za-z]\w*(?:/pg\d+)?$")


def find_metrics_file(folder: Path) -> tuple[Path | None, list[str]]:
    """The metrics.csv to read for a folder, and a warning when a choice was made.

    ``folder/metrics.csv`` if it exists; otherwise the newest
    ``version_N/metrics.csv`` (highest N) in ``folder`` or in
    ``folder/lightning_logs``, and a warning naming the others.
    """
    direct = folder / METRICS_FILE
    if direct.is_file():
        return direct, []
    for base in (folder, folder / LOGS_FOLDER):
        versions = sorted(
            (int(match.group(1)), child)
            for child in (base.iterdir() if base.is_dir() else ())
            if (match := _VERSION.match(child.name)) and (child / METRICS_FILE).is_file()
        )
        if versions:
            number, newest = versions[-1]
            warnings = []
            if len(versions) > 1:
                warnings.append(
                    f"{len(versions)} Lightning versions in {base.name}/: read the newest, "
                    f"version_{number}; point at another version_N folder to read it"
                )
            return newest / METRICS_FILE, warnings
    return None, []


def detect(path: Path) -> bool:
    """Whether ``path`` is a Lightning CSVLogger folder, its metrics.csv or its hparams.yaml.

    A CSV file is Lightning's when its header has a ``step`` column and it is
    named metrics.csv, has an ``epoch`` column too, or has hparams.yaml beside it.
    """
    if path.is_dir():
        found, _ = find_metrics_file(path)
        return found is not None and _is_lightning_csv(found)
    if path.name.endswith(HPARAMS_FILE):
        return True
    return _is_lightning_csv(path)


def load(path: Path) -> Run:
    """Read a Lightning CSVLogger folder or metrics.csv into a :class:`Run`.

    Parameters
    ----------
    path:
        A ``version_N`` folder, a ``lightning_logs`` folder (its newest
        version is read), a metrics.csv, or the hparams.yaml beside one.

    Returns
    -------
    A Run with format ``"lightning_csv"``; ``meta["hparams"]`` from hparams.yaml;
    ``meta["in_progress"]`` when the last line is incomplete.

    Raises
    ------
    InputError
        No metrics.csv; an hparams.yaml without one beside it; a metrics.csv
        that cannot be read (see :func:`reportlib.ingest.csv_log.read_csv_log`).
    """
    path = Path(path)
    warnings: list[str] = []
    if path.is_dir():
        metrics, warnings = find_metrics_file(path)
        if metrics is None:
            raise InputError(
                f"holds no {METRICS_FILE} (nor version_N/{METRICS_FILE})",
                path=path,
                hint="Point at the lightning_logs/version_N folder a CSVLogger wrote",
            )
    elif path.name.endswith(HPARAMS_FILE):
        metrics = path.parent / METRICS_FILE
        if not metrics.is_file():
            raise InputError(
                f"is a Lightning {HPARAMS_FILE}: hyperparameters, no logged values, and there is "
                f"no {METRICS_FILE} beside it",
                path=path,
                hint=f"Point at the version_N folder that holds {METRICS_FILE}; with "
                "TensorBoardLogger, point at its events.out.tfevents.* files",
            )
    else:
        metrics = path
    log = read_csv_log(metrics, names=_lr_monitor_names)
    warnings.extend(log.warnings)
    scalars, tidy_warnings = tidy_scalars(log.logged, names=_lr_monitor_names(log.logged.keys))
    warnings.extend(tidy_warnings)
    scalars, after_fit = _without_evaluations_after_training(scalars)
    warnings.extend(after_fit)
    meta: dict[str, object] = {"columns": log.columns}
    input_files = [metrics]
    hparams = metrics.parent / HPARAMS_FILE
    if hparams.is_file():
        input_files.append(hparams)
        values, problem = read_hparams(hparams)
        if problem:
            warnings.append(problem)
        elif values is not None:
            meta["hparams"] = values
            config_facts(meta, values, HPARAMS_FILE)
    if log.truncated:
        meta["in_progress"] = True
    if scalars.empty:
        warnings.append(f"{METRICS_FILE} has no logged values")
    return Run(
        name=metrics.parent.resolve().name,
        path=path,
        format=NAME,
        scalars=scalars,
        meta=meta,
        warnings=warnings,
        input_files=input_files,
    )


def _without_evaluations_after_training(scalars: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The validation values of a ``trainer.validate()`` call after ``fit`` ended, taken out.

    Lightning logs them at the step after the last one and at the epoch after the
    last trained one (``current_epoch`` has moved on), with no training between them
    and the last in-fit evaluation: a checkpoint scored again (the final one, or the
    one ``ckpt_path`` names, on whatever data the call was given), not a point of
    the validation curve.
    """
    train = scalars[scalars["split"] == "train"]
    if train.empty or train["epoch"].isna().all():
        return scalars, []
    last_step, last_epoch = int(train["step"].max()), float(train["epoch"].max())
    late = ((scalars["split"] == "eval") & (scalars["step"] > last_step)
            & (scalars["epoch"] > last_epoch)).to_numpy()
    if not late.any():
        return scalars, []
    rows = scalars[late]
    names = ", ".join(sorted(set(rows["source_key"].astype(str))))
    where = f"step {int(rows['step'].min())} (epoch {rows['epoch'].min():g})"
    kept = scalars[~late].reset_index(drop=True)
    for column in ("split", "metric", "source_key"):
        kept[column] = kept[column].cat.remove_unused_categories()
    return kept, [
        f"{names} at {where} left out of the validation curves: logged after training "
        f"ended (epoch {last_epoch:g} was the last trained, and no training step came after "
        "it): a separate validation run (trainer.validate), of a checkpoint or data the log "
        "does not name, not a point of the curve"]


def _lr_monitor_names(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{"lr-Adam": ("train", "learning_rate")}`` for LearningRateMonitor's one name.

    Several (optimizers or param groups) keep their own names.
    """
    names = {key: ("train", "learning_rate") for key in keys if _LR_MONITOR.match(key)}
    return names if len(names) == 1 else {}


def _is_lightning_csv(path: Path) -> bool:
    header = sniff_header(path)
    if header is None or find_column(header, STEP_COLUMNS[:1]) is None:
        return False
    return (
        path.name == METRICS_FILE
        or find_column(header, ("epoch",)) is not None
        or (path.parent / HPARAMS_FILE).is_file()
    )


def read_hparams(path: Path) -> tuple[object, str | None]:
    """hparams.yaml's content, or a warning: a broken one must not stop the report."""
    try:
        text = read_log_text(path)
    except InputError as exc:
        return None, f"{HPARAMS_FILE} not read: {exc.message}"
    try:
        # Lightning writes non-plain values with python tags (!!python/object); skip those.
        values = yaml.load(text, Loader=_SafeIgnoringTags)  # noqa: S506 - a SafeLoader subclass
        check_nesting(values, path=path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return None, f"{HPARAMS_FILE} is not valid YAML{where}: hyperparameters not read"
    except (InputError, RecursionError) as exc:
        reason = exc.message if isinstance(exc, InputError) else "nests too deeply"
        return None, f"{HPARAMS_FILE} {reason}: hyperparameters not read"
    return values, None


class _SafeIgnoringTags(yaml.SafeLoader):
    """A SafeLoader that reads unknown tags (``!!python/...``) as plain data."""


def _construct_unknown(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_SafeIgnoringTags.add_multi_constructor("", _construct_unknown)
