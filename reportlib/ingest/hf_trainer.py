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
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from reportlib.errors import InputError
from reportlib.ingest.logfile import (
    check_nesting,
    json_ends_early,
    read_log_head,
    read_log_text,
    replace_lone_surrogates,
)
from reportlib.metrics import normalise_key
from reportlib.run import MAX_STEP, Run, make_scalars

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

#: How many examples (indices, steps) a warning lists before "...".
_MAX_LISTED = 5

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
    rows, summary, entry_warnings = _rows_from_log_history(state["log_history"], state_file)
    warnings.extend(entry_warnings)

    meta = {key: value for key, value in state.items() if key != "log_history"}
    if summary is not None:
        meta["train_summary"] = summary
    warnings.extend(_progress_warnings(meta, has_summary=summary is not None))
    if not rows:
        warnings.append(_no_values_warning(meta, entries=len(state["log_history"])))
    if path.is_dir() and state_file.parent == folder:
        warnings.extend(_stale_root_warning(folder, meta))

    return Run(
        name=folder.resolve().name,
        path=path,
        format=NAME,
        scalars=make_scalars(rows),
        meta=meta,
        warnings=warnings,
        input_files=[state_file],
    )


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
            f"is a JSON {_json_type(state)}, not an object with a 'log_history' key",
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
            f"'log_history' is a JSON {_json_type(state['log_history'])}, not a list of entries",
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
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[str]]:
    """Scalars rows, the final summary (or None) and warnings from ``log_history``."""
    kept: dict[tuple[int, str, str], dict[str, Any]] = {}
    replaced_steps: list[int] = []
    no_step: list[int] = []
    nulls: list[str] = []
    summaries: list[dict[str, Any]] = []
    backwards: list[str] = []  # "log_history[i] (step a after b)" where a step goes back
    latest = -1

    for index, entry in enumerate(entries):
        where = f"log_history[{index}]"
        if not isinstance(entry, dict):
            raise InputError(
                f"is a JSON {_json_type(entry)}, not an object of logged values",
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
                if key not in _POSITION_KEYS:
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
            value = _to_number(raw, path=path, where=where, key=key)
            if value is None:
                nulls.append(f"{where} '{key}'")
                continue
            split, metric = normalise_key(key, default_split=entry_split)
            if (step, split, metric) in kept:
                replaced_steps.append(step)
                # Re-insert so the later value also takes the later position.
                del kept[(step, split, metric)]
            kept[(step, split, metric)] = {
                "step": step,
                "epoch": epoch,
                "split": split,
                "metric": metric,
                "value": value,
                "wall_time": math.nan,
                "source_key": key,
            }

    rows = list(kept.values())
    warnings: list[str] = []
    if no_step:
        warnings.append(
            f"{_plural(len(no_step), 'log entry', 'log entries')} without a 'step' skipped "
            f"({_listed(f'log_history[{i}]' for i in no_step)})"
        )
    if nulls:
        warnings.append(f"{_plural(len(nulls), 'null value')} skipped ({_listed(nulls)})")
    if backwards:
        warnings.append(
            f"steps go back {_plural(len(backwards), 'time')} ({_listed(backwards)}; a run "
            "resumed from an earlier checkpoint?): the values are shown in step order"
        )
    if replaced_steps:
        warnings.append(
            f"{_plural(len(replaced_steps), 'value')} logged twice for the same step, split and "
            f"metric ({_step_range(replaced_steps)}; a resumed run, or an evaluation repeated "
            "after training?): the later ones were kept"
        )
    non_finite = [r for r in rows if not math.isfinite(r["value"])]
    if non_finite:
        examples = _listed(
            f"{r['split']} {r['metric']} {r['value']} at step {r['step']}" for r in non_finite
        )
        warnings.append(f"NaN or infinite values kept as logged: {len(non_finite)} ({examples})")
    summary = summaries[-1] if summaries else None
    if len(summaries) > 1:
        steps = ", ".join(str(s["step"]) for s in summaries)
        warnings.append(
            f"{len(summaries)} end-of-training summaries (steps {steps}; train() was called "
            "more than once?): train_summary is the last one"
        )
    return rows, summary, warnings


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
        problem = f"is a JSON {_json_type(raw)}"
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
    control = meta.get("stateful_callbacks", {})
    control = control.get("TrainerControl", {}) if isinstance(control, dict) else {}
    args = control.get("args") if isinstance(control, dict) else None
    told_to_stop = isinstance(args, dict) and bool(args.get("should_training_stop"))
    if has_summary or told_to_stop:
        meta["in_progress"] = False
        meta["stopped_early"] = True
        return [
            f"training stopped before max_steps: global_step {global_step} < max_steps "
            f"{max_steps} (early stopping?)"
        ]
    meta["in_progress"] = True
    return [
        f"the run looks unfinished: global_step {global_step} < max_steps {max_steps} "
        "(a checkpoint taken mid-training, or a run still in progress)"
    ]


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


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _listed(items: Any) -> str:
    items = list(items)
    shown = ", ".join(str(item) for item in items[:_MAX_LISTED])
    return shown + (", ..." if len(items) > _MAX_LISTED else "")


def _step_range(steps: list[int]) -> str:
    low, high = min(steps), max(steps)
    return f"step {low}" if low == high else f"steps {low}-{high}"
