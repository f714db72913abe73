"""Run facts read where runs put them, each with where it came from.

Ingest modules call these helpers to put a run's facts into ``run.meta`` under
fixed keys, and to record the source of each in ``meta["sources"]`` (fact ->
``"hparams.yaml: cfg.data.train_examples"``), which the report's run-facts table
shows beside the value:

``train_size`` / ``eval_size``
    the training / evaluation set sizes (examples), when a file states them;
``train_size_estimate``
    ``{"value": n, "bound": "about" | "at most", "how": "..."}``: a size worked
    out from other facts (the Trainer's throughput, or its batch size and steps
    per epoch); shown as an estimate, never used as the size;
``epochs_run`` / ``epochs_planned``, ``steps_run`` / ``steps_planned``
    what ran and what was planned: a checkpoint at epoch 1.23 of a 2-epoch plan
    has ``epochs_run`` 1.23 and ``epochs_planned`` 2.

A fact already in meta is not overwritten (the first reader to find it wins;
run.yaml, read last, only fills gaps and warns on a conflict).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: meta key of the fact -> source mapping.
SOURCES = "sources"

#: Names under which training scripts store the training-set size (hparams.yaml,
#: argparse dumps, configs). Counts of examples only: ``batch_size`` or token
#: counts are not sizes.
TRAIN_SIZE_KEYS: tuple[str, ...] = (
    "train_examples", "num_train_examples", "n_train_examples", "n_train", "num_train",
    "train_size", "train_set_size", "train_dataset_size", "num_train_samples",
    "n_train_samples", "train_samples",
)

#: The same for the evaluation (validation) set.
EVAL_SIZE_KEYS: tuple[str, ...] = (
    "eval_examples", "val_examples", "valid_examples", "num_eval_examples", "num_val_examples",
    "n_eval", "n_val", "n_valid", "eval_size", "val_size", "valid_size", "eval_set_size",
    "num_eval_samples", "num_val_samples", "eval_samples", "val_samples",
)

#: Planned length in epochs: Lightning's ``max_epochs``, HF's ``num_train_epochs``...
PLANNED_EPOCH_KEYS: tuple[str, ...] = ("max_epochs", "num_train_epochs", "num_epochs",
                                      "n_epochs", "epochs")

#: Planned length in optimizer steps (``max_steps: -1`` means "not set").
PLANNED_STEP_KEYS: tuple[str, ...] = ("max_steps", "total_steps", "num_train_steps",
                                     "max_iters")

#: How deep :func:`find_key` looks into nested configs (``cfg.data.train_size`` is 2).
MAX_DEPTH = 4

#: Lines of a printed log that state a fact, and the fact: a header such as
#: ``train examples=450`` or the Trainer's ``***** Running training *****`` block
#: (``Num examples = 450``, ``Num Epochs = 10``, ``Total optimization steps = 570``),
#: whose ``Num examples`` is the training set's until ``Running Evaluation``.
_COUNT = r"(\d[\d,]*)(?![\w.])"  # a whole count: not "1.5k", not "0.8"
TEXT_FACTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\btrain(?:ing)?[ _-]?(?:examples|samples|set size|size)\s*[=:]\s*{_COUNT}",
                re.IGNORECASE), "train_size"),
    (re.compile(rf"\b(?:eval|val|valid|validation)[ _-]?(?:examples|samples|set size|size)"
                rf"\s*[=:]\s*{_COUNT}", re.IGNORECASE), "eval_size"),
    # the Trainer's INFO lines, bare or behind a logging prefix ("[INFO|trainer.py:2314] ... >>")
    (re.compile(rf"(?:^|\s)Num examples\s*=\s*{_COUNT}\s*$"), "num_examples"),
    (re.compile(rf"(?:^|\s)Num Epochs\s*=\s*{_COUNT}\s*$"), "epochs_planned"),
    (re.compile(rf"(?:^|\s)Total optimization steps\s*=\s*{_COUNT}\s*$"), "steps_planned"),
)
_HF_SECTION = re.compile(r"\*{5} Running (training|Evaluation|Prediction) \*{5}")

#: Lines of a printed log searched for facts: they are stated before training
#: starts, and a later "... size = N" line is more likely a per-epoch count.
HEADER_LINES = 300


def set_fact(meta: dict[str, Any], key: str, value: Any, source: str) -> bool:
    """Put ``value`` in ``meta[key]`` with its source, unless meta has that fact already.

    Returns whether it was set.
    """
    if value is None or meta.get(key) is not None:
        return False
    meta[key] = value
    record_source(meta, key, source)
    return True


def record_source(meta: dict[str, Any], key: str, source: str) -> None:
    """Note in ``meta["sources"]`` where ``meta[key]`` was read."""
    if not isinstance(meta.get(SOURCES), dict):
        meta[SOURCES] = {}  # (a run.yaml key "sources" is not ours: replaced)
    meta[SOURCES][key] = source


def positive_number(value: Any) -> float | None:
    """A positive finite number from run metadata, else None.

    The one reading of a numeric fact, for ingest and the analysis: numbers and
    numeric text (``"1,000"``, ``"1_000"``) count; booleans, other text, NaN,
    infinities, 0 and negatives do not.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.replace(",", "").strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _count(value: Any) -> int | None:
    """A positive whole count, or None (booleans, text, NaN and 0 are not counts)."""
    number = positive_number(value)
    return None if number is None or number != int(number) else int(number)


def find_key(
    values: Any, names: Iterable[str], *, depth: int = MAX_DEPTH
) -> tuple[Any, str] | None:
    """The value of the first of ``names`` found in a (nested) mapping, and its dotted path.

    Shallower levels are searched first, and within one level ``names`` in
    order, so a top-level ``train_size`` wins over ``cfg.data.n_train``.
    """
    wanted = list(names)
    level: list[tuple[str, Mapping[Any, Any]]] = (
        [("", values)] if isinstance(values, Mapping) else [])
    for _ in range(depth):
        for name in wanted:
            for prefix, mapping in level:
                if name in mapping and mapping[name] is not None:
                    return mapping[name], prefix + name
        level = [(f"{prefix}{key}.", child) for prefix, mapping in level
                 for key, child in mapping.items() if isinstance(child, Mapping)]
        if not level:
            break
    return None


def config_facts(meta: dict[str, Any], values: Any, file_name: str) -> None:
    """Sizes and the planned length from a config mapping (hparams.yaml...), into meta."""
    for fact, keys, read in (("train_size", TRAIN_SIZE_KEYS, _count),
                             ("eval_size", EVAL_SIZE_KEYS, _count),
                             ("epochs_planned", PLANNED_EPOCH_KEYS, positive_number),
                             ("steps_planned", PLANNED_STEP_KEYS, _count)):
        found = find_key(values, keys)
        if found is not None and read(found[0]) is not None:
            set_fact(meta, fact, read(found[0]), f"{file_name}: {found[1]}")


def text_facts(meta: dict[str, Any], lines: Iterable[str], file_name: str) -> None:
    """Facts stated in a printed log's first :data:`HEADER_LINES` lines, into meta."""
    section = None
    for number, line in enumerate(lines, start=1):
        if number > HEADER_LINES:
            break
        heading = _HF_SECTION.search(line)
        if heading:
            section = heading.group(1)
            continue
        for pattern, fact in TEXT_FACTS:
            match = pattern.search(line)
            if match is None:
                continue
            if fact == "num_examples":  # the Trainer's block: whose examples?
                fact = {"training": "train_size", "Evaluation": "eval_size"}.get(section or "")
                if fact is None:
                    continue
            where = f"{file_name} line {number}: {match.group(0).strip()}"
            set_fact(meta, fact, _count(match.group(1)), where)


def hf_trainer_facts(meta: dict[str, Any], file_name: str) -> None:
    """What ran and what was planned, and a labelled size estimate, from Trainer state.

    ``meta`` holds trainer_state.json's top-level keys (``epoch``, ``global_step``,
    ``num_train_epochs``, ``max_steps``, ``train_batch_size``) and
    ``train_summary`` (the end-of-training entry), when there is one.

    The training-set size is not in the state; two estimates are (labelled so):
    ``train_samples_per_second x train_runtime / epochs`` (the Trainer computes
    the throughput from the number of samples it trained on), else
    ``train_batch_size x max_steps / epochs`` (batches per epoch times the batch
    size: an upper bound, the last batch may be short; gradient accumulation and
    devices multiply it and are not in the state). The epochs are those the run
    trained (the state's ``epoch``, 12.22 for a run stopped by max_steps, with
    ``global_step`` the steps it took), else ``num_train_epochs`` and ``max_steps``
    (a Trainer given max_steps rounds the epochs up).
    """
    set_fact(meta, "epochs_run", positive_number(meta.get("epoch")), f"{file_name}: epoch")
    steps_run, steps_planned = _count(meta.get("global_step")), _count(meta.get("max_steps"))
    set_fact(meta, "steps_run", steps_run, f"{file_name}: global_step")
    set_fact(meta, "steps_planned", steps_planned, f"{file_name}: max_steps")
    # A run that reached max_steps finished its plan; the num_train_epochs a Trainer then
    # records is derived from those steps (rounded up), not an epoch plan cut short.
    if steps_run is None or steps_planned is None or steps_run < steps_planned:
        set_fact(meta, "epochs_planned", positive_number(meta.get("num_train_epochs")),
                 f"{file_name}: num_train_epochs")
    if meta.get("epoch_restarts") or meta.get("train_size") is not None:
        return  # no epochs to divide by, or a size the files state: no estimate
    summary = meta.get("train_summary")
    summary = summary if isinstance(summary, Mapping) else {}
    # The epochs it trained (the state's epoch) over the steps it took (global_step): a
    # Trainer's num_train_epochs is rounded up, and a run cut short never reached it.
    run_epochs = positive_number(meta.get("epoch"))
    epochs, epochs_name = ((run_epochs, "epoch (the epochs it trained)") if run_epochs
                           else (positive_number(meta.get("num_train_epochs")),
                                 "num_train_epochs"))
    rate, runtime = positive_number(summary.get("train_samples_per_second")), positive_number(
        summary.get("train_runtime"))
    batch = _count(meta.get("train_batch_size"))
    steps, steps_name = ((steps_run, "global_step") if run_epochs and steps_run
                         else (steps_planned, "max_steps"))
    stopped_early = (run_epochs and steps_run and steps_planned and steps_run < steps_planned)
    if epochs and rate and runtime and stopped_early:
        # The Trainer's throughput counts the samples of all max_steps, not of the steps
        # that ran (an early-stopped run): samples per step times steps per epoch.
        estimate = {"value": round(rate * runtime / steps_planned * steps_run / run_epochs),
                    "bound": "about",
                    "how": "train_samples_per_second x train_runtime / max_steps (the samples "
                    "of a step) x global_step / epoch (the steps of an epoch)"}
    elif epochs and rate and runtime:
        estimate = {"value": round(rate * runtime / epochs), "bound": "about",
                    "how": f"train_samples_per_second x train_runtime / {epochs_name}"}
    elif epochs and batch and steps:
        estimate = {"value": round(batch * steps / epochs), "bound": "at most",
                    "how": f"train_batch_size x {steps_name} / {epochs_name}, on one device "
                    "without gradient accumulation; more devices or accumulation multiply it"}
    else:
        return
    set_fact(meta, "train_size_estimate", estimate, file_name)


__all__ = [
    "positive_number",
    "EVAL_SIZE_KEYS",
    "HEADER_LINES",
    "MAX_DEPTH",
    "PLANNED_EPOCH_KEYS",
    "PLANNED_STEP_KEYS",
    "SOURCES",
    "TEXT_FACTS",
    "TRAIN_SIZE_KEYS",
    "config_facts",
    "find_key",
    "hf_trainer_facts",
    "record_source",
    "set_fact",
    "text_facts",
]
