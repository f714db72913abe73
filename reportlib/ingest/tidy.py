"""From values in log order to the tidy ``scalars`` frame, column-wise.

Every ingest module collects what its log holds as parallel arrays, in the
order the log wrote them (:class:`LoggedValues`), and :func:`tidy_scalars`
turns them into the frame of :mod:`reportlib.run` (``hf_trainer``, whose key
splits depend on the log entry, names its values itself and calls its core,
:func:`frame_from_codes`):

- names are normalised with :func:`reportlib.metrics.normalise_keys`;
- a value logged again for the same step, split and metric (a resumed run that
  logged steps it had logged before, or several event files of one run) is
  replaced by the later one, and a warning says which steps were replaced (a
  value written again unchanged, as a closing record may, is simply dropped);
- NaN and inf are kept, and counted in a warning.

It works on numpy arrays, never on one dict per row: a log of a million values
must load in about the time ``pandas.read_csv`` takes to read it. The names
(split, metric, source_key) are pandas categoricals: a few names, a small int
per row.

(Over 500 lines: the tidy table's one implementation, from the readers' collector
(:class:`LoggedBuilder`) to the frame every format ends in; its steps share the
code and key arrays and are kept together so that no format repairs a log its own way.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reportlib.formatting import plural, step_range
from reportlib.metrics import normalise_key, normalise_keys
from reportlib.run import SCALAR_COLUMNS

#: How many examples (curves, values) a warning lists before "...".
MAX_LISTED = 5

#: Codes handled at a time by :func:`_recode` and :func:`held_codes`: numpy
#: copies small-int codes as intp before indexing or counting with them, and
#: a piece's copy (512 KiB) stays in the CPU caches.
_RECODE_PIECE = 2**16

#: The end-of-training summary the Hugging Face Trainer logs once, when
#: ``train()`` ends (its ``speed_metrics("train", ...)`` plus ``train_loss`` and
#: ``total_flos``): the run's totals, not points of a curve.
HF_SUMMARY_KEYS = frozenset(
    {"train_runtime", "train_loss", "total_flos", "train_samples_per_second",
     "train_steps_per_second"}
)


@dataclass
class LoggedValues:
    """What a log holds, in the order it was written, before any repair.

    ``step``, ``value`` and ``key`` are parallel arrays with one entry per
    logged value; ``key`` indexes ``keys`` (the names as the log wrote them).
    ``epoch`` and ``wall_time`` are parallel arrays too, or None when the log
    never records them. ``in_order`` is True when the reader knows the values
    are in step order and, at one step, in key order, with no key twice at a
    step (a CSV log whose rows' steps increase): then :func:`tidy_scalars`,
    when its curves are in key order too, has nothing to check or move.
    """

    step: np.ndarray
    value: np.ndarray
    key: np.ndarray
    keys: Sequence[str]
    epoch: np.ndarray | None = None
    wall_time: np.ndarray | None = None
    in_order: bool = False

    def __len__(self) -> int:
        return len(self.step)

    def select(self, mask: np.ndarray) -> LoggedValues:
        """The values where ``mask`` is True, in the same order (keys unchanged)."""
        return LoggedValues(
            step=self.step[mask], value=self.value[mask], key=self.key[mask], keys=self.keys,
            epoch=None if self.epoch is None else self.epoch[mask],
            wall_time=None if self.wall_time is None else self.wall_time[mask],
        )


@dataclass
class LoggedBuilder:
    """Values gathered one at a time in log order (parallel lists), then a :class:`LoggedValues`.

    The collector of every reader that walks a log line by line or record by
    record. ``with_wall_time``: the log records wall times, so
    :meth:`logged` carries them (NaN where a value had none).
    """

    with_wall_time: bool = False
    keys: dict[str, int] = field(default_factory=dict)
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)

    def add(self, key: str, step: int, value: float, epoch: float = math.nan,
            wall_time: float = math.nan) -> None:
        """Record one value of ``key`` (the name as logged) at ``step``."""
        self.steps.append(step)
        self.values.append(value)
        self.codes.append(self.keys.setdefault(key, len(self.keys)))
        self.epochs.append(epoch)
        self.walls.append(wall_time)

    def __len__(self) -> int:
        return len(self.steps)

    def logged(self) -> LoggedValues:
        """Everything recorded, as arrays."""
        return LoggedValues(
            step=np.array(self.steps, dtype=np.int64),
            value=np.array(self.values, dtype=np.float64),
            key=np.array(self.codes, dtype=np.int64),
            keys=list(self.keys),
            epoch=np.array(self.epochs, dtype=np.float64),
            wall_time=np.array(self.walls, dtype=np.float64) if self.with_wall_time else None,
        )


def concat_logged(parts: Sequence[LoggedValues]) -> LoggedValues:
    """Join several :class:`LoggedValues` in order (later parts were written later).

    Keys are matched by name across parts; epoch and wall_time become NaN
    where a part lacks them.
    """
    if len(parts) == 1:
        return parts[0]
    keys: dict[str, int] = {}
    steps, values, codes, epochs, walls = [], [], [], [], []
    for part in parts:
        remap = np.array([keys.setdefault(k, len(keys)) for k in part.keys], dtype=np.int64)
        steps.append(np.asarray(part.step, dtype=np.int64))
        values.append(np.asarray(part.value, dtype=np.float64))
        codes.append(remap[np.asarray(part.key, dtype=np.int64)] if len(part) else remap[:0])
        epochs.append(_or_nan(part.epoch, len(part)))
        walls.append(_or_nan(part.wall_time, len(part)))
    if not parts:
        return empty_logged()
    return LoggedValues(
        step=np.concatenate(steps),
        value=np.concatenate(values),
        key=np.concatenate(codes),
        keys=list(keys),
        epoch=np.concatenate(epochs),
        wall_time=np.concatenate(walls),
    )


def empty_logged() -> LoggedValues:
    """A :class:`LoggedValues` with no values."""
    return LoggedValues(
        step=np.zeros(0, dtype=np.int64),
        value=np.zeros(0, dtype=np.float64),
        key=np.zeros(0, dtype=np.int64),
        keys=[],
    )


def tidy_scalars(
    logged: LoggedValues,
    *,
    default_split: str = "train",
    names: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Build the ``scalars`` frame from values in log order.

    Parameters
    ----------
    logged:
        The values, in the order the log wrote them.
    default_split:
        The split of a name without a train/eval prefix.
    names:
        ``{key: (split, metric)}`` that win over the normalisation rules (a
        format that knows its names, or run.yaml's ``metric_names``).

    Returns
    -------
    ``(frame, warnings)``: the frame has the columns and dtypes of
    :func:`reportlib.run.make_scalars`, sorted by step, split then metric; the
    warnings say which values were replaced, which names collided and how many
    values are NaN or infinite.
    """
    keys = list(logged.keys)
    code = _int_codes(logged.key)
    if keys:
        # Only names that hold values count (a name with none cannot collide).
        used = np.flatnonzero(held_codes(code, len(keys)))
        if len(used) < len(keys):
            remap = np.zeros(len(keys), dtype=np.int64)
            remap[used] = np.arange(len(used))
            keys, code = [keys[i] for i in used], remap[code]
    mapping, warnings = normalise_keys(keys, default_split, overrides=names)
    labels = [(key, *mapping[key]) for key in keys]
    built = frame_from_codes(
        np.asarray(logged.step, dtype=np.int64),
        code,
        np.asarray(logged.value, dtype=np.float64),
        labels,
        epoch=logged.epoch,
        wall_time=logged.wall_time,
        # Key order is curve order when the keys' curves are in sorted order too.
        in_order=logged.in_order and _strictly_sorted([label[1:] for label in labels]),
    )
    if len(built.replaced_steps):
        warnings.append(
            _replaced_warning(built.replaced_steps, built.replaced_curves, built.curves)
        )
    frame = built.frame
    if not all_finite(frame["value"].to_numpy()):
        non_finite = ~np.isfinite(frame["value"].to_numpy())
        warnings.append(_non_finite_warning(frame[non_finite]))
    return frame, warnings


@dataclass(frozen=True)
class TidyFrame:
    """What :func:`frame_from_codes` built, and what it replaced on the way.

    ``kept`` holds, for each row of ``frame``, the position of its value in the
    input (None when row ``i`` is value ``i``: nothing moved or was dropped).
    ``replaced_steps`` and ``replaced_curves`` (codes into ``curves``, the
    sorted ``(split, metric)`` pairs) describe the values dropped because a
    later, different one has the same step and curve (a value written again
    unchanged is dropped too, and not counted).
    """

    frame: pd.DataFrame
    kept: np.ndarray | None
    replaced_steps: np.ndarray
    replaced_curves: np.ndarray
    curves: list[tuple[str, str]]


def frame_from_codes(
    step: np.ndarray,
    code: np.ndarray,
    value: np.ndarray,
    labels: Sequence[tuple[str, str, str]],
    *,
    epoch: np.ndarray | None = None,
    wall_time: np.ndarray | None = None,
    in_order: bool = False,
) -> TidyFrame:
    """Build the ``scalars`` frame from parallel arrays of values in log order.

    The column-wise core of :func:`tidy_scalars`, for a format that names its
    curves itself (``hf_trainer``: a key's split depends on its log entry).

    Parameters
    ----------
    step, value:
        One entry per value (int64, float64), in the order the log wrote them.
    code:
        One int per value, an index into ``labels``.
    labels:
        What each code stands for: distinct ``(source_key, split, metric)``
        triples, each used by some value (two may share a source key or a curve).
    epoch, wall_time:
        Parallel float arrays, or None when the log does not record them (NaN).
    in_order:
        True when the caller knows the values are in (step, curve) order with
        no pair twice: nothing is checked or moved (a wrong True gives a frame
        out of order, with those pairs twice).

    Returns
    -------
    A :class:`TidyFrame`: the frame has the columns and dtypes of
    :func:`reportlib.run.make_scalars` (categorical names, no unused
    category), sorted by step, split then metric; of values logged again for
    the same step and curve, the later one is kept.
    """
    n = len(step)
    step = np.asarray(step, dtype=np.int64)
    code = _int_codes(code)
    curves = sorted({label[1:] for label in labels})
    curve_of = _lookup(curves, [label[1:] for label in labels])
    replaced_steps = replaced_curves = np.zeros(0, dtype=np.int64)
    keep = None  # in (step, curve) order already, no pair twice: nothing to move
    if not in_order and n > 1:
        curve = _recode(curve_of, code)
        position = _position_key(step, curve, len(curves))
        if position is None or not bool(np.all(position[1:] > position[:-1])):
            order = (
                np.argsort(position, kind="stable") if position is not None
                else np.lexsort((curve, step))
            )
            s_step, s_curve = step[order], curve[order]
            # Equal (step, curve) pairs stay in log order: all but the last of each go.
            replaced = np.zeros(n, dtype=bool)
            replaced[:-1] = (s_step[:-1] == s_step[1:]) & (s_curve[:-1] == s_curve[1:])
            # A value written again unchanged (a closing record that repeats the last
            # step's numbers) replaces nothing: dropped without a word.
            s_value = np.asarray(value, dtype=np.float64)[order]
            same = np.zeros(n, dtype=bool)
            same[:-1] = replaced[:-1] & (
                (s_value[:-1] == s_value[1:]) | (np.isnan(s_value[:-1]) & np.isnan(s_value[1:])))
            changed = replaced & ~same
            replaced_steps, replaced_curves = s_step[changed], s_curve[changed]
            keep = order[~replaced]
            code = code[keep]
            if bool(replaced.any()):  # a label whose every value was replaced is gone
                labels = [label if held else None
                          for label, held in zip(labels, held_codes(code, len(labels)),
                                                 strict=True)]

    def kept(column: np.ndarray | None) -> np.ndarray:
        if column is None:
            return np.full(n if keep is None else len(keep), np.nan)
        column = np.asarray(column, dtype=np.float64)
        return column if keep is None else column[keep]

    held = [label for label in labels if label is not None]
    columns = {}
    # Categories sorted like make_scalars' astype("category") (Python's order
    # of str); one small-int code per value, looked up per label, not per row.
    for column, part in (("split", 1), ("metric", 2), ("source_key", 0)):
        categories = sorted({label[part] for label in held})
        table = _lookup(categories, [None if label is None else label[part] for label in labels])
        codes = code if _is_identity(table) else _recode(table, code)
        columns[column] = _categorical(categories, codes)
    frame = pd.DataFrame(
        {
            "step": step if keep is None else step[keep],
            "epoch": kept(epoch),
            "split": columns["split"],
            "metric": columns["metric"],
            "value": kept(value),
            "wall_time": kept(wall_time),
            "source_key": columns["source_key"],
        },
        columns=list(SCALAR_COLUMNS),
        copy=False,
    )
    return TidyFrame(frame, keep, replaced_steps, replaced_curves, curves)


def held_codes(codes: np.ndarray, count: int) -> np.ndarray:
    """For each of ``count`` codes, whether it occurs in ``codes`` (a bool array)."""
    held = np.zeros(count, dtype=bool)
    # A piece at a time: bincount copies small-int codes as intp first.
    for start in range(0, len(codes), _RECODE_PIECE):
        held |= np.bincount(codes[start: start + _RECODE_PIECE], minlength=count)[:count] > 0
    return held


def all_finite(values: np.ndarray) -> bool:
    """Whether no value is NaN or infinite (two reductions, no temporary array)."""
    return not len(values) or bool(np.isfinite(values.min()) and np.isfinite(values.max()))


def epoch_to_column(logged: LoggedValues) -> LoggedValues:
    """Move the values of ``epoch`` keys into the epoch column of the values at the same step.

    TensorBoard (``train/epoch``), Lightning's TensorBoardLogger and the
    Trainer's MLflow callback log the epoch as a scalar of its own; in the
    scalars frame it is a column. Values at a step with no epoch keep theirs
    (NaN when the log had none).
    """
    is_epoch_key = np.array(
        [normalise_key(k)[1] == "epoch" for k in logged.keys] or [False], dtype=bool
    )
    if not len(logged) or not is_epoch_key.any():
        return logged
    return _key_to_column(logged, is_epoch_key[logged.key], "epoch")


def key_to_wall_time(logged: LoggedValues, name: str) -> LoggedValues:
    """Move the values of key ``name`` into the wall_time of the values at the same step.

    For logs that write the elapsed time as a column or field (ultralytics'
    ``time``, fairseq's ``wall``): seconds since the start, not a metric. Values at
    a step without it keep their wall time (NaN when the log had none).
    """
    if name not in logged.keys or not len(logged):
        return logged
    return _key_to_column(logged, logged.key == list(logged.keys).index(name), "wall_time")


def _key_to_column(logged: LoggedValues, moved: np.ndarray, column: str) -> LoggedValues:
    """The values not ``moved``, with the moved values as their ``column`` at the same step."""
    steps, values = logged.step[moved], logged.value[moved]
    # The last value logged for a step wins, as for any repeated value.
    order = np.lexsort((np.arange(len(steps)), steps))
    steps, values = steps[order], values[order]
    last = np.ones(len(steps), dtype=bool)
    last[:-1] = steps[:-1] != steps[1:]
    steps, values = steps[last], values[last]
    keep = ~moved
    rows = logged.step[keep]
    at = np.clip(np.searchsorted(steps, rows), 0, len(steps) - 1)
    known = _or_nan(getattr(logged, column), len(logged))[keep]
    columns = {"epoch": logged.epoch, "wall_time": logged.wall_time}
    columns = {name: None if array is None else array[keep] for name, array in columns.items()}
    columns[column] = np.where(steps[at] == rows, values[at], known)
    return LoggedValues(step=rows, value=logged.value[keep], key=logged.key[keep],
                        keys=logged.keys, **columns)


def hf_summary_to_meta(logged: LoggedValues) -> tuple[LoggedValues, dict[str, float]]:
    """Take the Trainer's end-of-training summary out of the values.

    When a log holds ``train_runtime`` (or ``train/train_runtime``, as the
    Trainer's TensorBoard callback names it), the keys of
    :data:`HF_SUMMARY_KEYS` are the run's totals, not points of a curve: they
    are returned as a dict (``meta["train_summary"]``, as hf_trainer does) and
    removed from the values.
    """
    names = {key: key.removeprefix("train/") for key in logged.keys}
    if "train_runtime" not in names.values() or not len(logged):
        return logged, {}
    is_summary_key = np.array([names[k] in HF_SUMMARY_KEYS for k in logged.keys], dtype=bool)
    is_summary = is_summary_key[logged.key]
    summary: dict[str, float] = {}
    for code, step, value in zip(
        logged.key[is_summary], logged.step[is_summary], logged.value[is_summary], strict=True
    ):
        summary["step"] = int(step)
        summary[names[logged.keys[code]]] = float(value)
    keep = ~is_summary
    return (
        LoggedValues(
            step=logged.step[keep],
            value=logged.value[keep],
            key=logged.key[keep],
            keys=logged.keys,
            epoch=None if logged.epoch is None else logged.epoch[keep],
            wall_time=None if logged.wall_time is None else logged.wall_time[keep],
        ),
        summary,
    )


def epoch_offsets(lengths: Mapping[int, int]) -> dict[int, int]:
    """Steps before each epoch: the lengths of the epochs before it (in epoch order), added up."""
    offsets, total = {}, 0
    for epoch in sorted(lengths):
        offsets[epoch] = total
        total += lengths[epoch]
    return offsets


def listed(items: Sequence[object] | np.ndarray) -> str:
    """The first :data:`MAX_LISTED` items joined with commas, then "..." if more."""
    items = list(items)
    shown = ", ".join(str(item) for item in items[:MAX_LISTED])
    return shown + (", ..." if len(items) > MAX_LISTED else "")


def _replaced_warning(steps: np.ndarray, curve_codes: np.ndarray, curves: list) -> str:
    named = [f"{curves[c][0]} {curves[c][1]}" for c in np.unique(curve_codes)]
    return (
        f"{plural(len(steps), 'value')} logged again, changed, for the same step, split and "
        f"metric ({step_range(steps)}; {listed(named)}): a resumed run that repeated those "
        "steps, or several logs (or runs) written to one place; the later values were kept"
    )


def _non_finite_warning(rows: pd.DataFrame) -> str:
    examples = listed(
        f"{split} {metric} {value} at step {step}"
        for split, metric, value, step in zip(
            rows["split"], rows["metric"], rows["value"], rows["step"], strict=True
        )
    )
    return f"NaN or infinite values kept as logged: {len(rows)} ({examples})"


def _position_key(step: np.ndarray, curve: np.ndarray, curves: int) -> np.ndarray | None:
    """``step * curves + curve``: one int64 that orders by (step, curve); None if it could overflow.

    Logs are mostly in step order already, so a stable argsort of it (timsort)
    is near-linear, and often there is nothing to sort at all.
    """
    if not len(step):
        return step
    span = max(abs(int(step.min())), abs(int(step.max()))) + 1
    if span * max(curves, 1) >= 2**62:
        return None
    position = step * max(curves, 1)
    position += curve
    return position


def _categorical(categories: list[str], codes: np.ndarray) -> pd.Categorical:
    """A categorical of str from codes into ``categories`` (sorted, each one used).

    A million rows of a few names cost a million small ints, not a million
    strings, and every later ``==`` or ``unique`` on them works on the ints.
    """
    codes = codes.astype(small_int(len(categories)), copy=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=_STR_DTYPE))


def small_int(count: int) -> type[np.signedinteger]:
    """The smallest signed int type of a categorical's codes for ``count`` categories."""
    for kind in (np.int8, np.int16, np.int32):
        if count < np.iinfo(kind).max:
            return kind
    return np.int64


def _lookup(ordered: list, items: list) -> np.ndarray:
    """The index in ``ordered`` of each of ``items`` (0 for None), as small ints."""
    index = {item: i for i, item in enumerate(ordered)}
    return np.array([0 if item is None else index[item] for item in items] or [0],
                    dtype=small_int(len(ordered)))


def _recode(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]``, a piece at a time (see :data:`_RECODE_PIECE`)."""
    out = np.empty(len(codes), dtype=table.dtype)
    for start in range(0, len(codes), _RECODE_PIECE):
        stop = start + _RECODE_PIECE
        np.take(table, codes[start:stop], out=out[start:stop], mode="clip")
    return out


def _is_identity(table: np.ndarray) -> bool:
    return bool(np.array_equal(table, np.arange(len(table))))


def _strictly_sorted(items: list) -> bool:
    return all(a < b for a, b in zip(items, items[1:], strict=False))


def _int_codes(codes: np.ndarray | Sequence[int]) -> np.ndarray:
    """``codes`` as an array of ints, of whatever int type they are (small ones stay small)."""
    codes = np.asarray(codes)
    return codes if codes.dtype.kind in "iu" else codes.astype(np.int64)


def _or_nan(column: np.ndarray | None, n: int) -> np.ndarray:
    if column is None:
        return np.full(n, np.nan)
    return np.asarray(column, dtype=np.float64)


_STR_DTYPE = pd.Series(["x"]).astype(str).dtype
