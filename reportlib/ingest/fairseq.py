"""fairseq training logs (``fairseq-train`` output, ``--log-format simple``).

Three kinds of line carry values, with or without fairseq's
``2023-06-13 17:32:41 | INFO | <name> |`` prefix (fairseq ≥ 0.10 adds it):

- ``| epoch 003:    100 / 487 loss=4.655, nll_loss=..., num_updates=100, lr=...``
  (``train_inner``): training values every ``--log-interval`` updates;
- ``| epoch 003 | loss 4.2 | nll_loss ... | num_updates 1461 | ...`` (``train``):
  the epoch's averages. When the log has ``train_inner`` lines they are the
  curve, and these averages are the ``<metric>_epoch`` curves (as Lightning's
  per-epoch means); without them these are the training curve;
- ``| epoch 003 | valid on 'valid' subset | loss 5.1 | ppl 34.3 | num_updates 1461``:
  an evaluation of that subset. A subset whose name starts with ``test`` is
  the test split, any other (``valid``, ``valid1``, ``dev``) the validation split.

Evaluation values may carry the subset's name (``valid_loss``, fairseq 0.9 and
later; ``valid loss`` in 2018's layout): it is taken off. The step is
``num_updates``. A log without it (2018's layout) counts batches from the
``epoch 005  1000 / 8223`` progress lines (evaluations and epoch averages at
their epoch's end), or, without progress lines, epochs (step = epoch rank,
``meta["step_unit"] = "epoch"``). A value is the first number after its name
(``loss=2.17 (3.20)`` is 2.17; the bracket is a running average);
``clip 0%`` is 0. ``ppl`` is perplexity, ``gnorm`` the
gradient norm, ``lr`` the learning rate; other names are kept as logged
(``wps``, ``bsz``...), but ``best_loss`` (the best so far, not a value of that
evaluation) is not a curve: the last one logged on the validation subset's
lines goes to ``meta["best_so_far"]`` (``{"loss": {"value", "step",
"source_key"}}``; ``best_bleu`` likewise under ``"bleu"``; before fairseq 0.8 it
was ``best``, always the loss), and ``wall``
(seconds since the start) is the wall time of the values logged with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportlib.errors import InputError
from reportlib.ingest.logfile import first_log_file, read_log_head, read_log_text
from reportlib.ingest.tidy import (
    LoggedBuilder,
    epoch_offsets,
    key_to_wall_time,
    listed,
    plural,
    tidy_scalars,
)
from reportlib.run import Run

NAME = "fairseq"
DESCRIPTION = (
    "a fairseq-train log (| epoch 003 | loss ... train lines and | valid on 'valid' subset | "
    "lines), or the folder holding one train.log"
)

#: The file names fairseq users give the log (``fairseq-train ... | tee train.log``).
FILE_NAMES = ("train.log", "log.txt", "training.log", "fairseq.log")

_VALID = re.compile(
    r"\|\s*epoch (?P<epoch>\d+) \| valid on '(?P<subset>[^']+)' subset \|(?P<rest>.*)$")
_INNER = re.compile(r"\|\s*epoch (?P<epoch>\d+):?\s+(?P<i>\d+) / (?P<n>\d+) (?P<rest>\w+=.*)$")
_SUMMARY = re.compile(r"\|\s*epoch (?P<epoch>\d+) \|(?P<rest>.*)$")
#: fairseq's short names -> the normalised metric.
_NAMES = {"ppl": "perplexity", "gnorm": "grad_norm", "lr": "learning_rate"}


def find_log_file(folder: Path) -> Path | None:
    """The first of :data:`FILE_NAMES` in ``folder`` that is a fairseq log."""
    return first_log_file(folder, FILE_NAMES, _is_fairseq_log)


def detect(path: Path) -> bool:
    """Whether ``path`` is a fairseq train log (or a folder holding one), judged by its lines."""
    if path.is_dir():
        return find_log_file(path) is not None
    return _is_fairseq_log(path)


def load(path: Path) -> Run:
    """Read a fairseq train log (or the folder holding one) into a :class:`Run`.

    Returns
    -------
    A Run with format ``"fairseq"`` (see the module docstring for the curves).

    Raises
    ------
    InputError
        A folder without such a log; an empty or non-UTF-8 file.
    """
    path = Path(path)
    if path.is_dir():
        found = find_log_file(path)
        if found is None:
            raise InputError(f"holds no fairseq log ({', '.join(FILE_NAMES)})", path=path,
                             hint="Point at the file fairseq-train's output was saved in")
        path = found
    rows = _rows(read_log_text(path))
    has_inner = any(row.kind == "inner" for row in rows)
    counted = all("num_updates" in row.values for row in rows)
    steps_of = _update_counts if counted else (_batch_counts if has_inner else _epoch_steps)
    names: dict[str, tuple[str, str]] = {}
    built = LoggedBuilder()
    unplaced: list[int] = []
    steps = steps_of(rows)
    for row, step in zip(rows, steps, strict=True):
        if step < 0:
            unplaced.append(row.epoch)
            continue
        split = {"inner": "train", "summary": "train"}.get(row.kind, row.kind)
        suffix = "_epoch" if row.kind == "summary" and has_inner else ""
        for name, value in row.values.items():
            if name in ("num_updates", "epoch") or _is_running_best(name, row):
                continue
            key = f"{row.kind}:{name}"
            names.setdefault(key, (split, _NAMES.get(_bare(name, row), _bare(name, row)) + suffix))
            built.add(key, step, value, float(row.epoch))
    best_so_far = _best_so_far(rows, steps)
    logged = built.logged()
    # fairseq's "wall" is the seconds since the start: the values' wall time, not a metric.
    for kind in ("inner", "summary", "eval", "test"):
        logged = key_to_wall_time(logged, f"{kind}:wall")
    scalars, warnings = tidy_scalars(logged, names=names)
    # The names as fairseq wrote them, not the reader's "kind:name" keys.
    scalars["source_key"] = (scalars["source_key"].astype(str).str.split(":", n=1).str[1]
                             .astype("category"))
    meta: dict[str, object] = {}
    if best_so_far:
        meta["best_so_far"] = best_so_far
    if rows and not counted:
        missing = plural(sum("num_updates" not in row.values for row in rows), "line")
        if has_inner:
            warnings.append(f"{missing} without num_updates: the step is the batch count from "
                            "the 'i / N' progress of each epoch (the updates when --update-freq "
                            "is 1), evaluations and epoch averages at their epoch's end")
        else:
            meta["step_unit"] = "epoch"
            warnings.append(f"{missing} without num_updates: every value is placed at its epoch")
    if unplaced:
        warnings.append(f"{plural(len(unplaced), 'line')} of epoch {listed(sorted(set(unplaced)))}"
                        " left out: without num_updates nor progress lines in that epoch, no "
                        "step can be given to them")
    if scalars.empty:
        warnings.append("the log has no logged values")
    return Run.from_log_file(path, NAME, scalars, meta=meta, warnings=warnings)


@dataclass(frozen=True)
class _Row:
    """One line of values: its kind (inner, summary, eval, test), epoch and values.

    ``position`` is an inner line's ``(i, N)`` progress; ``subset`` an
    evaluation's subset name (its values may be prefixed with it).
    """

    kind: str
    epoch: int
    values: dict[str, float]
    position: tuple[int, int] | None = None
    subset: str = ""


def _rows(text: str) -> list[_Row]:
    rows = []
    for line in text.splitlines():
        if (match := _VALID.search(line)):
            subset = match.group("subset")
            kind = "test" if subset.lower().startswith("test") else "eval"
            rows.append(_Row(kind, int(match.group("epoch")), _pairs(match.group("rest"), "|", " "),
                             subset=subset))
        elif (match := _INNER.search(line)):
            rows.append(_Row("inner", int(match.group("epoch")),
                             _pairs(match.group("rest"), ",", "="),
                             position=(int(match.group("i")), int(match.group("n")))))
        elif "valid on" not in line and (match := _SUMMARY.search(line)):
            rows.append(_Row("summary", int(match.group("epoch")),
                             _pairs(match.group("rest"), "|", " ")))
    return rows


def _update_counts(rows: list[_Row]) -> list[int]:
    return [int(row.values["num_updates"]) for row in rows]


def _epoch_steps(rows: list[_Row]) -> list[int]:
    return [row.epoch for row in rows]


def _batch_counts(rows: list[_Row]) -> list[int]:
    """Steps from the ``i / N`` progress: N batches per epoch before, plus i."""
    length: dict[int, int] = {}
    for row in rows:
        if row.position is not None:
            length[row.epoch] = row.position[1]
    offset = epoch_offsets(length)
    # -1: an epoch without progress lines has no batch count to place its values at.
    return [-1 if row.epoch not in offset
            else offset[row.epoch] + (row.position[0] if row.position else length[row.epoch])
            for row in rows]


def _best_so_far(rows: list[_Row], steps: list[int]) -> dict[str, dict[str, object]]:
    """The last ``best_<metric>`` of the first validation subset's lines, per metric.

    fairseq tracks the best only on the first ``--valid-subset`` (the one that
    picks ``checkpoint_best.pt``); a line that could not be placed is skipped.
    """
    subset = next((row.subset for row in rows if row.kind == "eval"), None)
    found: dict[str, dict[str, object]] = {}
    for row, step in zip(rows, steps, strict=True):
        if row.kind != "eval" or row.subset != subset or step < 0:
            continue
        for name, value in row.values.items():
            bare = _bare(name, row)
            if bare == "best":  # fairseq < 0.8: always the loss
                found["loss"] = {"value": value, "step": step, "source_key": name}
            elif bare.startswith("best_") and len(bare) > len("best_"):
                metric = _NAMES.get(bare[len("best_"):], bare[len("best_"):])
                found[metric] = {"value": value, "step": step, "source_key": name}
    return found


def _is_running_best(name: str, row: _Row) -> bool:
    """``best_loss`` / ``best_bleu`` / ``best``: fairseq's best so far, not this evaluation's."""
    bare = _bare(name, row)
    return bare == "best" or bare.startswith("best_")


def _bare(name: str, row: _Row) -> str:
    """A value's name without its line's prefix: ``valid_loss`` / ``valid loss`` is ``loss``.

    fairseq from 0.9 prefixes evaluation values with the subset (``valid_loss``);
    older versions wrote ``valid loss`` and ``train loss``.
    """
    # A train line's "train_wall" is a metric of its own (not "wall"): only the old,
    # spaced "train loss" is a prefix there.
    prefix, separators = (row.subset, ("_", " ")) if row.kind in ("eval", "test") \
        else ("train", (" ",))
    for separator in separators:
        if name.startswith(prefix + separator) and len(name) > len(prefix) + 1:
            name = name[len(prefix) + 1:]
            break
    return name.replace(" ", "_")


def _pairs(text: str, separator: str, between: str) -> dict[str, float]:
    """``loss 5.1 | ppl 34`` or ``loss=5.1 (5.3), clip=0%`` as ``{name: value}`` (numbers only).

    A name may hold spaces (``valid loss 3.1``); a value is the first word after
    it (``(5.3)``, a running average, is not read) and a percentage its number.
    """
    found: dict[str, float] = {}
    for part in text.split(separator):
        part = part.strip()
        name, _, raw = part.partition("=") if between == "=" else part.rpartition(" ")
        words = raw.split()
        if not name.strip() or not words:
            continue
        try:
            found[name.strip()] = float(words[0].rstrip("%"))
        except ValueError:
            continue
    return found


def _is_fairseq_log(path: Path) -> bool:
    if not path.is_file():
        return False
    head = read_log_head(path)
    return bool(re.search(r"\| valid on '[^']+' subset \|", head)
                or re.search(r"\|\s*epoch \d+:\s+\d+ / \d+ loss=", head)
                or re.search(r"\|\s*epoch \d+ \| loss \S+ \|.*num_updates", head))
