"""Hugging Face Trainer runs: ``trainer_state.json`` and its ``log_history``.

A Trainer writes ``trainer_state.json`` into every ``checkpoint-N/`` folder and,
when ``trainer.save_state()`` is called, into the output folder itself. Its
``log_history`` is a list of entries, each one ``Trainer.log()`` call plus the
``step`` (and usually ``epoch``) it happened at:

- a train entry: ``loss``, ``learning_rate``, ``grad_norm``...;
- an eval entry: ``eval_loss``, ``eval_chrf``, ``eval_runtime``...;
- at the end of ``train()``, one summary entry (``train_runtime``,
  ``train_loss``, ``total_flos``...): the run's totals, not a loss point, so it
  goes into ``meta["train_summary"]``.

Every other top-level key (``global_step``, ``max_steps``, ``logging_steps``,
``best_model_checkpoint``...) goes into ``meta`` as it is.

(Over 500 lines: ``log_history`` is read column by column for speed when it is
regular, and entry by entry, with a precise error or warning per entry, when it
is not; both readers, which must give the same frame, are kept side by side.)
"""

from __future__ import annotations

import json
import math
import re
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportlib.errors import InputError
from reportlib.ingest.logfile import (
    check_nesting,
    json_ends_early,
    json_type,
    read_log_head,
    read_log_text,
    replace_lone_surrogates,
)
from reportlib.ingest.run_facts import config_facts, hf_trainer_facts
from reportlib.ingest.tidy import (
    MAX_LISTED,
    all_finite,
    frame_from_codes,
    held_codes,
    listed,
    plural,
    step_range,
)
from reportlib.metrics import normalise_key
from reportlib.run import MAX_STEP, Run

NAME = "hf_trainer"
DESCRIPTION = (
    "a Hugging Face Trainer output folder holding trainer_state.json or "
    "checkpoint-*/trainer_state.json, or that trainer_state.json file"
)

#: The file name the Trainer writes (``TRAINER_STATE_NAME`` in transformers).
STATE_FILE = "trainer_state.json"

#: A log entry holding this key is the summary ``train()`` logs when it ends:
#: transformers 4.x and 5.x put it there (``speed_metrics("train", ...)``) and in
#: no per-step entry. ``total_flos`` is no marker: transformers 3.x added it to
#: every entry, train and eval alike.
SUMMARY_MARKER_KEY = "train_runtime"

#: ``TrainingArguments.logging_steps`` when the user does not set it (500 in
#: every transformers release): old trainer_state.json files do not record it,
#: and a run shorter than this logs nothing.
HF_DEFAULT_LOGGING_STEPS = 500

#: Entry keys that place an entry in time rather than hold a logged value.
_POSITION_KEYS = frozenset({"step", "epoch"})

#: The column-wise reader pays for each distinct set of keys about what the
#: entry-by-entry one pays for three entries. A Trainer writes a handful of
#: sets (train, eval, summary); with more than this and more than one set per
#: four entries (a log written by hand, or by a fuzzer), entry by entry is faster.
_MANY_SHAPES = 64

_CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)$")
_LOG_HISTORY_KEY = re.compile(r'"log_history"\s*:')
#: A JSON escape of a UTF-16 surrogate (``\\ud83d``): only then can a string be invalid.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def find_state_file(folder: Path) -> tuple[Path | None, list[str]]:
    """Find the trainer_state.json to read in a Trainer output folder.

    The folder's own ``trainer_state.json`` (written by ``trainer.save_state()``
    at the end) wins; without it, the one of the newest checkpoint (highest step
    in ``checkpoint-N``) is taken, and a warning says so.

    Parameters
    ----------
    folder:
        The output folder.

    Returns
    -------
    ``(path, warnings)``; ``path`` is None when there is no trainer_state.json.
    """
    root = folder / STATE_FILE
    checkpoints = _checkpoint_state_files(folder)
    if root.is_file():
        return root, []
    if not checkpoints:
        return None, []
    step, newest = checkpoints[-1]
    count = len(checkpoints)
    others = f"the newest of {count} checkpoints" if count > 1 else "the only checkpoint"
    warning = (
        f"no {STATE_FILE} at the top of the run folder; read "
        f"{newest.parent.name}/{STATE_FILE} ({others}, step {step})"
    )
    return newest, [warning]


def detect(path: Path) -> bool:
    """Whether ``path`` is a Trainer output folder or a trainer_state.json file.

    A folder is recognised by its ``trainer_state.json`` or
    ``checkpoint-*/trainer_state.json`` (the Trainer's own layout; a broken file
    there is reported by :func:`load`, which says more than "not recognised").
    A file is recognised by its content: a JSON object with a ``log_history``
    key in its first bytes; or by the exact name ``trainer_state.json``.
    """
    if path.is_dir():
        return find_state_file(path)[0] is not None
    if path.name == STATE_FILE:
        return True
    head = read_log_head(path)
    return head.lstrip().startswith("{") and _LOG_HISTORY_KEY.search(head) is not None


def load(path: Path) -> Run:
    """Read a Trainer output folder or a trainer_state.json file into a :class:`Run`.

    Parameters
    ----------
    path:
        The output folder (see :func:`find_state_file`) or the JSON file itself.

    Returns
    -------
    A Run with format ``"hf_trainer"``: one scalars row per logged value, the
    top-level keys and ``train_summary`` in ``meta``, and a warning for every
    entry skipped or repaired. ``wall_time`` is NaN: the log does not record it.

    Raises
    ------
    InputError
        A folder without trainer_state.json; a Git LFS pointer, empty or
        truncated file, invalid JSON; no ``log_history`` list; an entry that is
        not an object, or a value that is not a number.
    """
    path = Path(path)
    warnings: list[str] = []
    if path.is_dir():
        state_file, warnings = find_state_file(path)
        if state_file is None:
            raise InputError(
                f"holds no {STATE_FILE} (nor checkpoint-*/{STATE_FILE})",
                path=path,
                hint="Point at a Hugging Face Trainer output_dir; call trainer.save_state() "
                "at the end of training to write the file",
            )
        folder = path
    else:
        state_file, folder = path, path.parent
    state = _parse_state(state_file)
    scalars, summary, entry_warnings = scalars_from_log_history(state["log_history"], state_file)
    warnings.extend(entry_warnings)

    meta = {key: value for key, value in state.items() if key != "log_history"}
    if summary is not None:
        meta["train_summary"] = summary
    warnings.extend(_progress_warnings(meta, has_summary=summary is not None))
    restarts = epoch_restarts(scalars)
    if restarts:
        # Epochs restarted (a resumed run with another dataset or batch size): the state's
        # final epoch is not the epochs trained, so neither it nor an estimate built on it
        # is given.
        meta["epoch_restarts"] = [step for step, _, _ in restarts]
        meta.pop("epoch", None)
        warnings.append(
            "the epoch count goes back "
            + listed(f"at step {step} (from {before:g} to {after:g})"
                     for step, before, after in restarts)
            + ": a run resumed with another dataset or settings; epochs quoted after it count "
            "from that restart, and how many epochs the run trained is not known")
    results = _results_files(state_file.parent, meta)
    hf_trainer_facts(meta, state_file.name)
    if scalars.empty:
        warnings.append(_no_values_warning(meta, entries=len(state["log_history"])))
    if path.is_dir() and state_file.parent == folder:
        warnings.extend(_stale_root_warning(folder, meta))

    return Run(
        name=folder.resolve().name,
        path=path,
        format=NAME,
        scalars=scalars,
        meta=meta,
        warnings=warnings,
        input_files=[state_file, *results],
    )


#: What ``Trainer.save_metrics`` writes beside trainer_state.json; ``train_samples`` and
#: ``eval_samples`` there are the sizes the example scripts trained and evaluated on.
RESULTS_FILES = ("all_results.json", "train_results.json", "eval_results.json")


def _results_files(folder: Path, meta: dict[str, object]) -> list[Path]:
    """Run facts (the set sizes) from the results files beside the state; the files read.

    Their final ``eval_loss`` (and perplexity) go to ``meta["final_eval"]``: an
    evaluation after training, not a point of the validation curve.

    A file that is not a JSON object is passed over: it adds facts, it is not the log.
    """
    read = []
    for name in RESULTS_FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(values, dict):
            config_facts(meta, values, name)
            final = {k: v for k, v in values.items() if k in ("eval_loss", "perplexity")
                     and isinstance(v, (int, float)) and not isinstance(v, bool)}
            if final and "final_eval" not in meta:
                meta["final_eval"] = {"file": name, **final}
            read.append(path)
    return read


#: How far the epoch must fall back, in epochs, to be a restart (not float noise).
EPOCH_RESTART_DROP = 0.01


def epoch_restarts(scalars: pd.DataFrame) -> list[tuple[int, float, float]]:
    """``(step, epoch before, epoch after)`` where the logged epoch falls back by more than
    :data:`EPOCH_RESTART_DROP` as the step grows."""
    rows = scalars[["step", "epoch"]].dropna().drop_duplicates("step").sort_values("step")
    steps, epochs = rows["step"].to_numpy(), rows["epoch"].to_numpy(dtype=float)
    drops = np.flatnonzero(np.diff(epochs) < -EPOCH_RESTART_DROP)
    return [(int(steps[i + 1]), round(float(epochs[i]), 4), round(float(epochs[i + 1]), 4))
            for i in drops]


def scalars_from_log_history(
    entries: list[Any], path: Path
) -> tuple[pd.DataFrame, dict[str, Any] | None, list[str]]:
    """The scalars frame, the end-of-training summary and the warnings of a ``log_history``.

    A log of a million entries is read column by column (all entries with the
    same keys at once). A log with anything else in it (numbers written as
    text, a value that is not a number, a step that is not a whole number, an
    entry that is not an object, entries of many different key sets) is read
    entry by entry, which gives the same frame and warnings, and raises the
    error of the first entry at fault.

    Parameters
    ----------
    entries:
        The parsed ``log_history`` list.
    path:
        The trainer_state.json, for errors.

    Returns
    -------
    ``(scalars, summary, warnings)``: the frame of :func:`reportlib.run.make_scalars`;
    the last end-of-training summary entry (None when there is none); what was
    skipped or repaired.

    Raises
    ------
    InputError
        An entry that is not an object; a step that is not a whole number; a
        value that is not a number (naming the entry and the key).
    """
    columns = _columns_from_log_history(entries, path)
    if columns is not None:
        return columns
    return _rows_from_log_history(entries, path)


def _columns_from_log_history(
    entries: list[Any], path: Path
) -> tuple[pd.DataFrame, dict[str, Any] | None, list[str]] | None:
    """:func:`_rows_from_log_history`'s frame and warnings, built column-wise.

    Entries are grouped by their keys (a Trainer writes a handful of entry
    shapes: train, eval, summary); each group's values are taken key by key
    into numpy arrays, then laid out in log order for
    :func:`~reportlib.ingest.tidy.frame_from_codes`. Returns None when an
    entry holds something only the entry-by-entry reader can judge (it then
    gives the same result, or raises the error of the first entry at fault).
    """
    n = len(entries)
    if not n or set(map(type, entries)) != {dict}:
        return None
    shape_of = list(map(tuple, entries))  # an entry's keys, in order
    shapes = {shape: code for code, shape in enumerate(dict.fromkeys(shape_of))}
    if len(shapes) > max(_MANY_SHAPES, n // 4):
        return None
    shape_code = np.fromiter(map(shapes.__getitem__, shape_of), dtype=np.int64, count=n)
    del shape_of
    by_shape = np.argsort(shape_code, kind="stable")
    bounds = np.searchsorted(shape_code[by_shape], np.arange(len(shapes) + 1))
    boxed = np.empty(n, dtype=object)
    boxed[:] = entries

    no_step: list[np.ndarray] = []
    summaries: list[tuple[int, dict[str, Any]]] = []
    entry_step = np.full(n, -1, dtype=np.int64)  # -1: no point entry (no step, or a summary)
    entry_epoch = np.full(n, np.nan)
    values_per_entry = np.zeros(n, dtype=np.int64)
    # Per shape with values: (entry indices, [(key, split, metric, values, is_null)]).
    groups: list[tuple[np.ndarray, list[tuple[str, str, str, np.ndarray, np.ndarray | None]]]] = []
    for shape, code in shapes.items():
        index = by_shape[bounds[code]: bounds[code + 1]]
        group = boxed[index].tolist()
        if "step" not in shape:
            no_step.append(index)
            continue
        steps = _number_column(list(map(itemgetter("step"), group)))
        if steps is None:
            return None
        numbers, missing = steps
        if missing is not None:  # "step": null, skipped as if absent
            no_step.append(index[missing])
            index, numbers = index[~missing], numbers[~missing]
            group = [entry for entry, gone in zip(group, missing.tolist(), strict=True) if not gone]
        if not bool(np.all(np.isfinite(numbers) & (numbers == np.floor(numbers))
                           & (numbers >= 0) & (numbers < 2.0**63))):
            return None  # not a whole number of steps (MAX_STEP is 2**63 - 1)
        if not len(index):
            continue
        epochs = np.full(len(index), np.nan)
        if "epoch" in shape:
            read = _number_column(list(map(itemgetter("epoch"), group)))
            if read is None:
                return None
            epochs = read[0] if read[1] is None else np.where(read[1], np.nan, read[0])
        if SUMMARY_MARKER_KEY in shape:
            for position, entry, step, epoch in zip(
                index.tolist(), group, numbers.tolist(), epochs.tolist(), strict=True
            ):
                summary: dict[str, Any] = {"step": int(step), "epoch": epoch}
                for key, raw in entry.items():
                    if key not in _POSITION_KEYS:
                        try:
                            summary[key] = _to_number(raw, path=path, where="", key=key)
                        except InputError:
                            return None
                summaries.append((position, summary))
            continue
        entry_step[index] = numbers.astype(np.int64)
        entry_epoch[index] = epochs
        value_keys = [key for key in shape if key not in _POSITION_KEYS]
        values_per_entry[index] = len(value_keys)
        is_eval = any(normalise_key(key)[0] == "eval" for key in value_keys)
        columns = []
        for key in value_keys:
            read = _number_column(list(map(itemgetter(key), group)))
            if read is None:
                return None
            split, metric = normalise_key(key, default_split="eval" if is_eval else "train")
            columns.append((key, split, metric, read[0], read[1]))
        groups.append((index, columns))

    # Lay every value out in log order: entry by entry, key by key; a value's
    # code numbers its (key, split, metric).
    start = np.cumsum(values_per_entry) - values_per_entry
    total = int(values_per_entry.sum())
    value = np.empty(total)
    code = np.empty(total, dtype=np.int64)
    null = np.zeros(total, dtype=bool)
    label_ids: dict[tuple[str, str, str], int] = {}
    for index, columns in groups:
        first = start[index]
        for offset, (key, split, metric, numbers, missing) in enumerate(columns):
            at = first + offset
            value[at] = numbers
            code[at] = label_ids.setdefault((key, split, metric), len(label_ids))
            if missing is not None:
                null[at] = missing
    owner = np.repeat(np.arange(n), values_per_entry)  # the entry of each value
    labels = list(label_ids)
    at = np.flatnonzero(null)
    nulls = [f"log_history[{owner[i]}] '{labels[code[i]][0]}'"
             for i in at[:MAX_LISTED + 1].tolist()]
    if null.any():
        keep = ~null
        value, code, owner = value[keep], code[keep], owner[keep]
        # A key whose every value is null names no curve.
        held = np.flatnonzero(held_codes(code, len(labels)))
        renumber = np.zeros(max(len(labels), 1), dtype=np.int64)
        renumber[held] = np.arange(len(held))
        labels, code = [labels[i] for i in held.tolist()], renumber[code]
    backwards: list[str] = []
    n_backwards = 0
    points = np.flatnonzero(entry_step >= 0)
    if len(points):
        point_steps = entry_step[points]
        latest = np.maximum.accumulate(np.concatenate(([-1], point_steps[:-1])))
        back = np.flatnonzero(point_steps < latest)
        n_backwards = len(back)
        backwards = [f"log_history[{points[i]}] (step {point_steps[i]} after {latest[i]})"
                     for i in back[:MAX_LISTED + 1].tolist()]
    skipped = np.sort(np.concatenate(no_step)).tolist() if no_step else []
    summaries.sort(key=itemgetter(0))
    return _tidy_log_history(entry_step[owner], code, value, labels, epoch=entry_epoch[owner],
                             no_step=skipped, nulls=(len(at), nulls),
                             backwards=(n_backwards, backwards),
                             summaries=[summary for _, summary in summaries])


def _tidy_log_history(
    step: np.ndarray, code: np.ndarray, value: np.ndarray, labels: list[tuple[str, str, str]],
    *, epoch: np.ndarray, no_step: list[int], nulls: tuple[int, list[str]],
    backwards: tuple[int, list[str]], summaries: list[dict[str, Any]],
) -> tuple[pd.DataFrame, dict[str, Any] | None, list[str]]:
    """The one ending of both readers: the frame through tidy, the summary, the warnings.

    ``step``, ``code``, ``value`` and ``epoch`` hold the point values in log
    order (``code`` indexes ``labels``, ``(key, split, metric)`` triples);
    ``nulls`` and ``backwards`` are a count and the first places to name;
    ``summaries`` the end-of-training entries in log order.
    """
    warnings: list[str] = []
    if no_step:
        warnings.append(
            f"{plural(len(no_step), 'log entry', 'log entries')} without a 'step' skipped "
            f"({listed(f'log_history[{i}]' for i in no_step[:MAX_LISTED + 1])})"
        )
    if nulls[0]:
        warnings.append(f"{plural(nulls[0], 'value')} that {'is' if nulls[0] == 1 else 'are'} "
                        f"null or not one number skipped ({listed(nulls[1])})")
    if backwards[0]:
        warnings.append(
            f"steps go back {plural(backwards[0], 'time')} ({listed(backwards[1])}; a run "
            "resumed from an earlier checkpoint?): the values are shown in step order"
        )
    built = frame_from_codes(step, code, value, labels, epoch=epoch)
    if len(built.replaced_steps):
        warnings.append(
            f"{plural(len(built.replaced_steps), 'value')} logged twice for the same step, "
            f"split and metric ({step_range(built.replaced_steps)}; a resumed run, or an "
            "evaluation repeated after training?): the later ones were kept"
        )
    frame = built.frame
    non_finite = np.zeros(0, dtype=np.int64)
    if not all_finite(frame["value"].to_numpy()):
        non_finite = np.flatnonzero(~np.isfinite(frame["value"].to_numpy()))
    if len(non_finite):
        # Listed in the order their values were logged.
        if built.kept is not None:
            non_finite = non_finite[np.argsort(built.kept[non_finite], kind="stable")]
        rows = frame.iloc[non_finite[:MAX_LISTED + 1]]
        examples = listed(
            f"{split} {metric} {value} at step {step}"
            for split, metric, value, step in zip(
                rows["split"], rows["metric"], rows["value"].tolist(), rows["step"].tolist(),
                strict=True,
            )
        )
        warnings.append(f"NaN or infinite values kept as logged: {len(non_finite)} ({examples})")
    summary = summaries[-1] if summaries else None
    if len(summaries) > 1:
        steps = ", ".join(str(s["step"]) for s in summaries)
        warnings.append(
            f"{len(summaries)} end-of-training summaries (steps {steps}; train() was called "
            "more than once?): train_summary is the last one"
        )
    return frame, summary, warnings


def _number_column(raw: list[Any]) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Logged values as float64 and where they are null (None if none is).

    Returns None when a value is not an int, a float or null (text, a
    boolean, an object...) or an int too large for a float: the entry-by-entry
    reader judges those.
    """
    kinds = set(map(type, raw))
    try:
        if kinds <= {float, int}:
            return np.fromiter(raw, dtype=np.float64, count=len(raw)), None
        if kinds <= {float, int, type(None)}:
            missing = np.fromiter((item is None for item in raw), dtype=bool, count=len(raw))
            numbers = np.array([math.nan if item is None else item for item in raw],
                               dtype=np.float64)
            return numbers, missing
    except OverflowError:
        return None
    return None


def _checkpoint_state_files(folder: Path) -> list[tuple[int, Path]]:
    """``(step, checkpoint-N/trainer_state.json)`` pairs, oldest first."""
    found = []
    for child in folder.iterdir() if folder.is_dir() else ():
        match = _CHECKPOINT_DIR.match(child.name)
        if match and (child / STATE_FILE).is_file():
            found.append((int(match.group(1)), child / STATE_FILE))
    return sorted(found)


def _parse_state(path: Path) -> dict[str, Any]:
    """The JSON object of a trainer_state.json, checked down to ``log_history``."""
    text = read_log_text(path)
    try:
        # Python's json accepts the NaN/Infinity tokens the Trainer's json.dumps writes.
        state = json.loads(text)
    except RecursionError as exc:
        raise InputError(
            "nests lists or objects too deeply to be read",
            path=path,
            hint="The file is damaged, or not a trainer_state.json; regenerate it with "
            "trainer.save_state()",
        ) from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        if json_ends_early(text, exc):
            raise InputError(
                "ends before the JSON is complete",
                path=path,
                where=where,
                hint="The file is truncated (copied while the run was writing it?); copy it "
                "again, or read a checkpoint's trainer_state.json",
            ) from exc
        raise InputError(
            f"is not valid JSON ({exc.msg})",
            path=path,
            where=where,
            hint="Fix the file at that place, or regenerate it with trainer.save_state()",
        ) from exc
    if not isinstance(state, dict):
        raise InputError(
            f"is a JSON {json_type(state)}, not an object with a 'log_history' key",
            path=path,
            hint="Point at the trainer_state.json a Hugging Face Trainer writes",
        )
    if "log_history" not in state:
        raise InputError(
            "has no 'log_history' key: not a Hugging Face trainer_state.json, or one "
            "from a very old or foreign tool",
            path=path,
            hint="Point at the trainer_state.json a Hugging Face Trainer (transformers >= 3) "
            "writes, or convert the log to one of the supported formats",
        )
    if not isinstance(state["log_history"], list):
        raise InputError(
            f"'log_history' is a JSON {json_type(state['log_history'])}, not a list of entries",
            path=path,
            where="key 'log_history'",
            hint="Regenerate the file with trainer.save_state()",
        )
    check_nesting({k: v for k, v in state.items() if k != "log_history"}, path=path)
    if _SURROGATE_ESCAPE.search(text):
        replace_lone_surrogates(state)
    return state


def _rows_from_log_history(
    entries: list[Any], path: Path
) -> tuple[pd.DataFrame, dict[str, Any] | None, list[str]]:
    """:func:`scalars_from_log_history` entry by entry: any log, with the error of the first
    entry at fault; ends, like the column-wise reader, in :func:`_tidy_log_history`."""
    steps: list[int] = []
    codes: list[int] = []
    values: list[float] = []
    epochs: list[float] = []
    label_ids: dict[tuple[str, str, str], int] = {}
    no_step: list[int] = []
    nulls: list[str] = []
    summaries: list[dict[str, Any]] = []
    backwards: list[str] = []  # "log_history[i] (step a after b)" where a step goes back
    latest = -1

    for index, entry in enumerate(entries):
        where = f"log_history[{index}]"
        if not isinstance(entry, dict):
            raise InputError(
                f"is a JSON {json_type(entry)}, not an object of logged values",
                path=path,
                where=where,
                hint="Remove or fix that entry, or regenerate the file with trainer.save_state()",
            )
        if entry.get("step") is None:
            no_step.append(index)
            continue
        step = _to_step(entry["step"], path=path, where=where)
        epoch = _to_number(entry.get("epoch"), path=path, where=where, key="epoch")
        epoch = math.nan if epoch is None else epoch

        if SUMMARY_MARKER_KEY in entry:
            summary = {"step": step, "epoch": epoch}
            for key, raw in entry.items():
                if key not in _POSITION_KEYS and not isinstance(raw, (list, dict)):
                    summary[key] = _to_number(raw, path=path, where=where, key=key)
            summaries.append(summary)
            continue
        if step < latest:
            backwards.append(f"{where} (step {step} after {latest})")
        latest = max(latest, step)

        # Unprefixed keys of an eval entry (transformers 3.x's total_flos,
        # num_input_tokens_seen) belong to the eval, not to a train point at that step.
        is_eval = any(normalise_key(key)[0] == "eval" for key in entry if key not in _POSITION_KEYS)
        entry_split = "eval" if is_eval else "train"
        for key, raw in entry.items():
            if key in _POSITION_KEYS:
                continue
            if isinstance(raw, (list, dict)):
                # compute_metrics may return a list (per-class thresholds): not one number,
                # so not a curve; the rest of the entry is.
                nulls.append(f"{where} '{key}' (a JSON {json_type(raw)})")
                continue
            value = _to_number(raw, path=path, where=where, key=key)
            if value is None:
                nulls.append(f"{where} '{key}'")
                continue
            split, metric = normalise_key(key, default_split=entry_split)
            steps.append(step)
            codes.append(label_ids.setdefault((key, split, metric), len(label_ids)))
            values.append(value)
            epochs.append(epoch)

    return _tidy_log_history(
        np.array(steps, dtype=np.int64), np.array(codes, dtype=np.int64),
        np.array(values, dtype=np.float64), list(label_ids),
        epoch=np.array(epochs, dtype=np.float64), no_step=no_step,
        nulls=(len(nulls), nulls), backwards=(len(backwards), backwards), summaries=summaries)


def _to_step(raw: Any, *, path: Path, where: str) -> int:
    """A log entry's step as a non-negative int; raise InputError otherwise."""
    value = _to_number(raw, path=path, where=where, key="step")
    if value is None or not math.isfinite(value) or value != int(value) or value < 0 \
            or value > MAX_STEP:
        raise InputError(
            f"'step' is {raw!r}, not a whole number of steps",
            path=path,
            where=where,
            hint="Fix that entry's step, or regenerate the file with trainer.save_state()",
        )
    return int(value)


def _to_number(raw: Any, *, path: Path, where: str, key: str) -> float | None:
    """A logged value as float (numeric strings too); None for JSON null.

    transformers 5.x prints its log lines with numbers as strings (``'7.585'``),
    and logs copied from them carry that over; NaN and inf are kept.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        problem = f"is {raw!r} (a boolean)"
    elif isinstance(raw, (int, float)):
        try:
            return float(raw)
        except OverflowError:  # an integer too large for a float
            return math.inf if raw > 0 else -math.inf
    elif isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            problem = f"is the text {raw!r}"
    else:
        problem = f"is a JSON {json_type(raw)}"
    raise InputError(
        f"'{key}' {problem}, not a number",
        path=path,
        where=where,
        hint="Log only numbers with Trainer.log(), or remove that key from the entry",
    )


def _progress_warnings(meta: dict[str, Any], *, has_summary: bool) -> list[str]:
    """Set ``meta["in_progress"]`` / ``meta["stopped_early"]`` and say why.

    A checkpoint's trainer_state.json never has the end-of-training summary, so
    a missing summary alone proves nothing; only ``global_step < max_steps`` does.
    With a summary, or with the Trainer's ``should_training_stop`` flag saved, a
    run short of max_steps was stopped (early stopping), not interrupted.
    """
    global_step, max_steps = meta.get("global_step"), meta.get("max_steps")
    if not (_is_int(global_step) and _is_int(max_steps) and max_steps > 0):
        return []
    if global_step >= max_steps:
        meta["in_progress"] = False
        return []
    callbacks = meta.get("stateful_callbacks", {})
    callbacks = callbacks if isinstance(callbacks, dict) else {}
    control = callbacks.get("TrainerControl", {})
    args = control.get("args") if isinstance(control, dict) else None
    told_to_stop = isinstance(args, dict) and bool(args.get("should_training_stop"))
    if has_summary or told_to_stop:
        meta["in_progress"] = False
        meta["stopped_early"] = True
        patience = _patience_run_out(callbacks.get("EarlyStoppingCallback"))
        why = (f"its EarlyStoppingCallback had seen {patience} evaluations without improvement, "
               "its patience" if patience else "early stopping?")
        return [
            f"training stopped before max_steps: global_step {global_step} < max_steps "
            f"{max_steps} ({why})"
        ]
    meta["in_progress"] = True
    return [
        f"the run looks unfinished: global_step {global_step} < max_steps {max_steps} "
        "(a checkpoint taken mid-training, or a run still in progress)"
    ]


def _patience_run_out(callback: Any) -> int | None:
    """The patience of a saved EarlyStoppingCallback whose counter reached it, else None."""
    if not isinstance(callback, dict):
        return None
    args, attributes = callback.get("args"), callback.get("attributes")
    if not isinstance(args, dict) or not isinstance(attributes, dict):
        return None
    patience = args.get("early_stopping_patience")
    counter = attributes.get("early_stopping_patience_counter")
    if _is_int(patience) and _is_int(counter) and patience > 0 and counter >= patience:
        return int(patience)
    return None


def _no_values_warning(meta: dict[str, Any], *, entries: int) -> str:
    """The warning for a log with no logged values, with the likely reason."""
    text = "the log has no logged values"
    if entries:
        text += " (log_history holds only the end-of-training summary)"
    logging_steps, max_steps = meta.get("logging_steps"), meta.get("max_steps")
    if _is_int(max_steps) and max_steps > 0:
        if _is_int(logging_steps) and logging_steps > max_steps:
            text += f": logging_steps ({logging_steps}) > max_steps ({max_steps})?"
        elif logging_steps is None and max_steps < HF_DEFAULT_LOGGING_STEPS:
            text += (
                f": the Trainer's default logging_steps ({HF_DEFAULT_LOGGING_STEPS}) "
                f"> max_steps ({max_steps})?"
            )
    return text


def _stale_root_warning(folder: Path, meta: dict[str, Any]) -> list[str]:
    """Warn when a checkpoint is newer than the folder's own trainer_state.json."""
    checkpoints = _checkpoint_state_files(folder)
    global_step = meta.get("global_step")
    if not checkpoints or not _is_int(global_step) or checkpoints[-1][0] <= global_step:
        return []
    step, newest = checkpoints[-1]
    return [
        f"{newest.parent.name} (step {step}) is newer than {STATE_FILE} (global_step "
        f"{global_step}), which was read: the top-level file may be stale"
    ]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
