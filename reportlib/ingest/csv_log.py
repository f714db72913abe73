"""Reading a CSV training log (one row per logging call) into logged values.

Shared by the Lightning, Keras and plain-CSV formats. A CSV log has a header
naming its columns; some name a position (step, epoch, wall time, split), the
others are metrics. A row holds the metrics logged at one step; an empty cell
is a metric not logged at that step (Lightning's sparse rows), not a NaN. Cells
that say ``nan`` or ``inf`` are kept as NaN and inf.

Handled on the way:

- a header line that reappears mid-file, with other columns (logs appended to
  by a resumed run or concatenated): each part is read with its own header and
  a warning gives the line;
- a last line without its line end (the run is still writing the file): it is
  left out, and the log is marked in progress;
- a log with an epoch column but no step column (Keras' CSVLogger): the step is
  the epoch's rank, 1 for the first epoch logged (see :func:`steps_from_epochs`);
- another separator than ``,`` (``CSVLogger(separator=";")``, tab-separated
  exports) and title lines before the header: :func:`sniff_layout` finds both,
  and a warning quotes the lines skipped;
- cells padded with spaces (ultralytics' results.csv): names and numbers are
  read without them.

The common case, a file with one header and only numbers, is one
``pandas.read_csv`` call plus numpy, so that a million rows load in about the
time ``read_csv`` itself takes.

(Over 500 lines: the layouts above are variations of one reader, and the fast
path and its fallbacks must give the same frame; they are kept together.)
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reportlib.errors import InputError
from reportlib.ingest.logfile import read_log_head, read_log_text
from reportlib.ingest.run_facts import set_fact
from reportlib.ingest.tidy import (
    LoggedValues,
    concat_logged,
    empty_logged,
    listed,
    plural,
    small_int,
)
from reportlib.metrics import normalise_keys

#: Column names (compared lowercased) that hold the step, in order of preference.
STEP_COLUMNS = (
    "step", "global_step", "trainer/global_step", "train/global_step", "_step", "iteration",
    "iter", "steps", "it",
)
#: Column names (lowercased) that hold the epoch.
EPOCH_COLUMNS = ("epoch", "epochs", "train/epoch", "trainer/epoch")
#: Column names (lowercased) that hold a wall-clock time in seconds.
WALL_TIME_COLUMNS = ("wall_time", "walltime", "_timestamp", "timestamp")
#: Column names (lowercased) whose text cells say which split a row belongs to.
SPLIT_COLUMNS = ("split", "phase", "mode", "stage", "subset")

#: What marks an empty cell in the logs reportlib reads: nothing (Lightning's
#: sparse rows), and ``NA`` (Keras' CSVLogger for a metric not computed that epoch).
MISSING_CELLS = ("", "NA")

#: How many examples of a problem a warning quotes.
MAX_EXAMPLES = 5

#: Rows flattened at a time (cells into values in row order): a piece's
#: temporaries stay in the CPU caches and are reused, where whole-log passes
#: over a million rows spend more on fresh memory (page faults) than on the
#: arithmetic. 65,536 rows of a few columns are a few MB.
FLATTEN_PIECE_ROWS = 2**16


@dataclass
class CsvLog:
    """A CSV log's values in row order, and what was noticed reading it."""

    logged: LoggedValues
    columns: list[str]
    rows: int
    warnings: list[str] = field(default_factory=list)
    step_from_epoch: bool = False
    truncated: bool = False


#: The separators a CSV log may use, in the order they are tried: Keras'
#: CSVLogger takes any (``separator=";"`` is common where ``,`` is the decimal
#: mark), and tab-separated exports are CSV logs too.
SEPARATORS = (",", ";", "\t")

#: Title lines looked past before the header (a run name, a date, a comment
#: written before ``csv.writer`` starts): a few at most; a file with more lines
#: of prose before its first table is not a CSV log.
MAX_TITLE_LINES = 5


@dataclass(frozen=True)
class CsvLayout:
    """Where a CSV log's table starts and how its cells are separated.

    ``header_line`` is the 0-based index of the header line; ``skipped`` the
    non-empty lines before it (titles), quoted in a warning.
    """

    separator: str
    header_line: int
    header: list[str]
    skipped: list[str]


def sniff_layout(path: Path, *, allow_unnamed_first: bool = False) -> CsvLayout | None:
    """The separator, header line and column names of a CSV log; None if not one.

    A CSV log has a header of at least two names, not numbers, separated by one
    of :data:`SEPARATORS`, and a first data row with as many cells, at least
    one a number; up to :data:`MAX_TITLE_LINES` lines before the header are
    titles. Cheap enough for format detection (reads the first 64 KiB).

    Parameters
    ----------
    path:
        The file.
    allow_unnamed_first:
        Accept an empty first name (the index column ``DataFrame.to_csv`` writes).
    """
    head = read_log_head(path)
    lines = [line.strip("\r") for line in head.split("\n")[: MAX_TITLE_LINES + 3]]
    for start in range(min(MAX_TITLE_LINES + 1, len(lines) - 1)):
        for separator in SEPARATORS:
            header = _header_at(lines, start, separator, allow_unnamed_first)
            if header is not None:
                skipped = [line.strip() for line in lines[:start] if line.strip()]
                return CsvLayout(separator, start, header, skipped)
    return None


#: A date or a time of day: in a "header", the sign of a printed log line.
_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}:\d{2}\b")


def sniff_header(path: Path, *, allow_unnamed_first: bool = False) -> list[str] | None:
    """The column names of a CSV log (see :func:`sniff_layout`); None if not one."""
    layout = sniff_layout(path, allow_unnamed_first=allow_unnamed_first)
    return None if layout is None else layout.header


def _header_at(
    lines: list[str], start: int, separator: str, allow_unnamed_first: bool
) -> list[str] | None:
    if start + 1 >= len(lines) or separator not in lines[start]:
        return None
    header = [cell.strip() for cell in lines[start].split(separator)]
    row = [cell.strip() for cell in lines[start + 1].split(separator)]
    named = header[1:] if allow_unnamed_first else header
    if len(header) < 2 or len(row) != len(header) or not all(named):
        return None
    if any(_is_number(cell) for cell in header) or not any(_is_number(cell) for cell in row):
        return None
    if any(_TIMESTAMP.search(cell) for cell in header):
        return None  # a logging line ("2025-04-24 21:16:20,207 - INFO - ..."), not column names
    return header


def find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first of ``columns`` whose lowercased name is in ``names`` (by ``names``' order)."""
    lowered = {column.strip().lower(): column for column in reversed(columns)}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def read_csv_log(
    path: Path,
    *,
    missing: tuple[str, ...] = MISSING_CELLS,
    index_as_epoch: bool = False,
    names: Callable[[Sequence[str]], Mapping[str, tuple[str, str]]] | None = None,
) -> CsvLog:
    """Read a CSV log into logged values (row order, then column order).

    Parameters
    ----------
    path:
        The CSV file.
    missing:
        The cell texts that mean "not logged".
    index_as_epoch:
        Read an unnamed first column (``DataFrame(history.history).to_csv()``'s
        index) as the epoch.
    names:
        The format's ``{column: (split, metric)}`` overrides for a list of
        metric columns, as it will pass them to
        :func:`~reportlib.ingest.tidy.tidy_scalars`: values are then laid out
        in the order the scalars frame sorts them, and nothing has to move.

    Returns
    -------
    A :class:`CsvLog`. Its ``logged`` has one value per numeric non-empty cell
    of a metric column; its ``columns`` are the first header's.

    Raises
    ------
    InputError
        An empty, non-UTF-8 or LFS-pointer file; a row with more cells than its
        header; no step and no epoch column; a step that is not a whole number.
    """
    layout = sniff_layout(path, allow_unnamed_first=index_as_epoch)
    separator, skip = (",", 0) if layout is None else (layout.separator, layout.header_line)
    ends_in_newline = False
    try:
        ends_in_newline = _ends_in_newline(path)
        if ends_in_newline:
            frame = pd.read_csv(path, keep_default_na=False, na_values=list(missing),
                                sep=separator, skiprows=skip, skipinitialspace=True)
            if _all_numeric(frame):
                log = _from_segments(
                    path, [(skip + 1, frame)], truncated=False, index_as_epoch=index_as_epoch,
                    names=names,
                )
                log.warnings[:0] = _skipped_warning(layout)
                return log
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        pass  # the careful path below says what is wrong, with the line
    log = _read_carefully(
        path, missing, truncated=not ends_in_newline, index_as_epoch=index_as_epoch, names=names,
        separator=separator, skip=skip,
    )
    log.warnings[:0] = _skipped_warning(layout)
    return log


def _skipped_warning(layout: CsvLayout | None) -> list[str]:
    """The warning that quotes the title lines skipped before the header (none: no warning)."""
    if layout is None or not layout.skipped:
        return []
    quoted = "; ".join(repr(line[:80]) for line in layout.skipped[:MAX_EXAMPLES])
    return [
        f"{len(layout.skipped)} line(s) before the header (line {layout.header_line + 1}) were "
        f"skipped as titles: {quoted}"
    ]


def steps_from_epochs(epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps and epochs for a log that counts epochs only.

    The step is the epoch's rank among the epochs logged (1 for the first), so
    the curves keep their order and spacing; the epochs stay as the log wrote
    them (Keras' CSVLogger counts from 0), so every epoch a report quotes is one
    the reader finds in the log (the number of epochs run is
    :func:`count_epochs`).

    Returns
    -------
    ``(steps, epochs)``.
    """
    distinct = np.unique(epochs[np.isfinite(epochs)])
    steps = np.searchsorted(distinct, epochs) + 1
    return steps.astype(np.int64), epochs


def count_epochs(meta: dict[str, object], scalars: pd.DataFrame, file_name: str) -> None:
    """``meta["epochs_run"]`` of a log whose whole-number epochs count from 0 (Keras):
    the last epoch + 1, with its source. Other numberings need nothing: the last
    logged epoch is the count."""
    epochs = scalars["epoch"].to_numpy(dtype=float)
    finite = epochs[np.isfinite(epochs)]
    if not len(finite) or finite.min() != 0 or not np.all(finite == np.round(finite)):
        return
    last = int(finite.max())
    set_fact(meta, "epochs_run", last + 1,
             f"{file_name}: epochs 0-{last}, counted from 0" if last else
             f"{file_name}: epoch 0, counted from 0")


# --- internals -----------------------------------------------------------------------------


def _ends_in_newline(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            if handle.seek(0, 2) == 0:
                return False
            handle.seek(-1, 2)
            return handle.read(1) in (b"\n", b"\r")
    except OSError:
        return False


def _all_numeric(frame: pd.DataFrame) -> bool:
    return all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)


def _read_carefully(
    path: Path,
    missing: tuple[str, ...],
    *,
    truncated: bool,
    index_as_epoch: bool,
    names: Callable[[Sequence[str]], Mapping[str, tuple[str, str]]] | None = None,
    separator: str = ",",
    skip: int = 0,
) -> CsvLog:
    """Read line by line: mid-file headers, a cut last line, text cells, with line numbers.

    ``skip`` title lines come before the header; line numbers count them.
    """
    text = read_log_text(path)
    lines = text.splitlines()[skip:]
    warnings: list[str] = []
    if truncated and lines:
        warnings.append(
            f"the last line ({skip + len(lines)}) has no line end: the run is still writing the "
            "file, or it was copied while being written; that line was left out"
        )
        lines = lines[:-1]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError("has no header line", path=path, hint="Point at a CSV log with a header")
    position_names = set(STEP_COLUMNS) | set(EPOCH_COLUMNS)
    starts = [0] + [
        number
        for number, line in enumerate(lines[1:], start=1)
        if any(cell.strip().lower() in position_names for cell in line.split(separator))
    ]
    segments = []
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else len(lines)
        chunk = "\n".join(lines[start:stop]) + "\n"
        try:
            frame = pd.read_csv(
                io.StringIO(chunk), keep_default_na=False, na_values=list(missing), dtype=str,
                sep=separator, skipinitialspace=True,
            )
        except pd.errors.ParserError as exc:
            raise InputError(
                f"a row has more cells than its header ({_parser_detail(exc, start)})",
                path=path,
                hint="Fix or remove that row; a CSV log needs one cell per column in every row",
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise InputError("has no header line", path=path) from exc
        segments.append((skip + start + 1, frame))
        if index:
            before, after = list(segments[-2][1].columns), list(frame.columns)
            added = [c for c in after if c not in before]
            removed = [c for c in before if c not in after]
            change = "; ".join(
                part
                for part in (
                    f"added {listed(added)}" if added else "",
                    f"removed {listed(removed)}" if removed else "",
                )
                if part
            )
            warnings.append(
                f"the header changes at line {skip + start + 1} ({change or 'same columns'}; a "
                "resumed or appended log): each part was read with its own header"
            )
    log = _from_segments(
        path, segments, truncated=truncated, index_as_epoch=index_as_epoch, names=names
    )
    log.warnings[:0] = warnings
    return log


def _parser_detail(exc: Exception, offset: int) -> str:
    message = str(exc).strip().split("\n")[0]
    # pandas says "Expected 4 fields in line 12, saw 5" counting from the part's start.
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if match:
        expected, line, saw = match.groups()
        return f"line {int(line) + offset}: {saw} cells, {expected} columns"
    return message


def _from_segments(
    path: Path,
    segments: list[tuple[int, pd.DataFrame]],
    *,
    truncated: bool,
    index_as_epoch: bool = False,
    names: Callable[[Sequence[str]], Mapping[str, tuple[str, str]]] | None = None,
) -> CsvLog:
    parts: list[LoggedValues] = []
    warnings: list[str] = []
    rows = 0
    step_from_epoch = False
    text_cells = _TextCells()
    for first_line, frame in segments:
        if index_as_epoch and str(frame.columns[0]).startswith(("Unnamed: 0", " ")):
            frame = frame.rename(columns={frame.columns[0]: "epoch"})
        # Padded names (ultralytics pads every cell to a fixed width) are the names.
        frame.columns = [str(c).strip() for c in frame.columns]
        columns = [str(c) for c in frame.columns]
        step_col = find_column(columns, STEP_COLUMNS)
        epoch_col = find_column(columns, EPOCH_COLUMNS)
        if step_col is None and epoch_col is None:
            raise InputError(
                f"has no step or epoch column (columns: {listed(columns)})",
                path=path,
                where=f"line {first_line}",
                hint="A training log needs a 'step' or 'epoch' column saying when each row was "
                "logged; add one, or write the log in one of the supported formats",
            )
        wall_col = find_column(columns, WALL_TIME_COLUMNS)
        split_col = find_column(columns, SPLIT_COLUMNS)
        epoch = _position(frame, epoch_col, first_line, text_cells)
        if step_col is not None:
            step = _steps(frame[step_col], path, step_col, first_line)
        else:
            step_from_epoch = True
            step = np.zeros(len(frame), dtype=np.int64)  # filled in from the epochs below
        wall = _position(frame, wall_col, first_line, text_cells)
        present_rows = step >= 0
        if not present_rows.all():
            warnings.append(
                f"{plural(int((~present_rows).sum()), 'row')} without a step skipped (from line "
                f"{first_line + 1 + int(np.flatnonzero(~present_rows)[0])})"
            )
        positions = {step_col, epoch_col, wall_col, split_col}
        metrics, numbers, present = [], [], []
        for column in columns:
            if column in positions:
                continue
            read = _numbers(frame[column], column, first_line, text_cells)
            if read is None:
                continue  # a text column (a run name...): not a metric
            metrics.append(column)
            numbers.append(read[0])
            present.append(read[1])
        rows += len(frame)
        if not metrics:
            continue
        # Put the columns in the order the scalars frame sorts curves (split, then
        # metric): then row-major order is usually that order already, and
        # tidy_scalars has nothing to move.
        curve_of = normalise_keys(metrics, overrides=names(metrics) if names else None)[0]
        by_curve = sorted(range(len(metrics)), key=lambda i: curve_of[metrics[i]])
        metrics = [metrics[i] for i in by_curve]
        numbers = [numbers[i] for i in by_curve]
        present = [present[i] for i in by_curve]
        # Row-major order over (row, column) is the order the values were logged.
        cells = np.column_stack(present)
        if not present_rows.all():
            cells &= present_rows[:, None]
        prefix_codes = prefixes = None
        if split_col:
            prefix_codes, prefixes = pd.factorize(_row_prefixes(frame[split_col]))
        value, col, (step_of, epoch_of, wall_of, prefix_of) = _flatten(
            cells,
            numbers,
            [(step, np.int64), (epoch, np.float64), (wall, np.float64), (prefix_codes, np.intp)],
        )
        keys = metrics
        if prefix_of is not None:
            # One key per (split cell, column): "val" rows of "loss" are key "val/loss".
            combined = prefix_of * len(metrics) + col
            used, col = np.unique(combined, return_inverse=True)
            keys = [
                f"{prefixes[code // len(metrics)]}/{metrics[code % len(metrics)]}"
                if prefixes[code // len(metrics)] else metrics[code % len(metrics)]
                for code in used.tolist()
            ]
        steps_with = step if present_rows.all() else step[present_rows]
        parts.append(
            LoggedValues(
                step=step_of,
                value=value,
                key=col,
                keys=keys,
                epoch=epoch_of,
                wall_time=wall_of,
                # Row-major: in key order within a row; rows in step order if steps increase.
                in_order=step_col is not None and bool(np.all(steps_with[1:] > steps_with[:-1])),
            )
        )
    logged = concat_logged(parts) if parts else empty_logged()
    if step_from_epoch and len(logged):
        logged.step, logged.epoch = steps_from_epochs(logged.epoch)
        logged.in_order = False
    if text_cells.count:
        more = ", ..." if text_cells.count > len(text_cells.examples) else ""
        warnings.append(
            f"{plural(text_cells.count, 'cell')} that are neither numbers nor empty skipped "
            f"({', '.join(text_cells.examples)}{more})"
        )
    return CsvLog(
        logged=logged,
        columns=[str(c) for c in segments[0][1].columns],
        rows=rows,
        warnings=warnings,
        step_from_epoch=step_from_epoch,
        truncated=truncated,
    )


def _flatten(
    cells: np.ndarray,
    numbers: list[np.ndarray],
    per_row: list[tuple[np.ndarray | None, type[np.generic]]],
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray | None]]:
    """The numbers of the true ``cells``, row by row, with their column and row's facts.

    Parameters
    ----------
    cells:
        A (rows, columns) mask of the cells that hold a value.
    numbers:
        One float array per column.
    per_row:
        ``(array, dtype)``: arrays with one entry per row (step, epoch...) or
        None, and the type to give them per value (an int epoch becomes float
        a piece at a time, not as a whole column first).

    Returns
    -------
    ``(values, columns, per_value)``: the values in row-major order, the
    column of each, and each ``per_row`` array taken at each value's row.
    """
    rows, width = cells.shape
    starts = list(range(0, rows, FLATTEN_PIECE_ROWS))
    counts = [int(np.count_nonzero(cells[start: start + FLATTEN_PIECE_ROWS])) for start in starts]
    offsets = np.cumsum([0, *counts]).tolist()
    values = np.empty(offsets[-1])
    columns = np.empty(offsets[-1], dtype=small_int(width))
    per_value = [None if a is None else np.empty(offsets[-1], dtype=kind) for a, kind in per_row]
    column_of_cell = np.tile(np.arange(width, dtype=columns.dtype), min(rows, FLATTEN_PIECE_ROWS))

    def flatten_piece(start: int, first: int, last: int) -> None:
        stop = start + FLATTEN_PIECE_ROWS
        flat = np.flatnonzero(cells[start:stop])
        # Indices are in range: "clip" only spares take() a buffered copy of its output.
        block = np.column_stack([column[start:stop] for column in numbers])
        block.ravel().take(flat, out=values[first:last], mode="clip")
        column_of_cell.take(flat, out=columns[first:last], mode="clip")
        row = np.floor_divide(flat, width, out=flat)
        for (source, _), target in zip(per_row, per_value, strict=True):
            if source is None:
                continue
            if source.dtype == target.dtype:
                source[start:stop].take(row, out=target[first:last], mode="clip")
            else:
                target[first:last] = source[start:stop].take(row)

    pieces = list(zip(starts, offsets[:-1], offsets[1:], strict=True))
    if len(pieces) < 2:
        for piece in pieces:
            flatten_piece(*piece)
    else:
        # numpy lets go of the GIL in these loops: pieces run side by side, as
        # in pandas' own read_csv, and each writes only its own slice.
        with ThreadPoolExecutor(max_workers=min(len(pieces), os.cpu_count() or 1)) as pool:
            for done in [pool.submit(flatten_piece, *piece) for piece in pieces]:
                done.result()
    return values, columns, per_value


def _position(
    frame: pd.DataFrame, name: str | None, first_line: int, text_cells: _TextCells
) -> np.ndarray | None:
    """An epoch or wall-time column as numbers (NaN where empty or text); None if absent.

    A column of ints stays ints: :func:`_flatten` makes floats of the values it takes.
    """
    if name is None:
        return None
    if pd.api.types.is_numeric_dtype(frame[name].dtype):
        return frame[name].to_numpy()
    read = _numbers(frame[name], name, first_line, text_cells)
    if read is None:
        return np.full(len(frame), np.nan)
    return read[0]  # NaN wherever no number is (empty, text): to_numeric's NaN


@dataclass
class _TextCells:
    """Cells of numeric columns that hold text: how many, and the first few."""

    count: int = 0
    examples: list[str] = field(default_factory=list)


def _numbers(
    column: pd.Series, name: str, first_line: int, text_cells: _TextCells
) -> tuple[np.ndarray, np.ndarray] | None:
    """A column as float64, and which of its cells hold a value; None for a text column.

    A cell holds a value when it is a number (``nan``, ``inf`` included); empty
    cells and text cells do not. Text cells of a numeric column are counted in
    ``text_cells``.
    """
    if pd.api.types.is_numeric_dtype(column.dtype):
        numbers = column.to_numpy(dtype=np.float64)
        return numbers, numbers == numbers  # False only for NaN: one pass, one array
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    present = column.notna().to_numpy()
    texts = column.to_numpy(dtype=object)
    literal_nan = np.array(
        [isinstance(t, str) and t.strip().lower().lstrip("+-") == "nan" for t in texts],
        dtype=bool,
    )
    bad = present & np.isnan(numbers) & ~literal_nan
    if present.any() and bad.sum() == present.sum():
        return None  # text only
    text_cells.count += int(bad.sum())
    for row in np.flatnonzero(bad)[: max(0, MAX_EXAMPLES - len(text_cells.examples))]:
        text_cells.examples.append(f"line {first_line + 1 + int(row)} '{name}' = {texts[row]!r}")
    return numbers, present & ~bad


def _steps(column: pd.Series, path: Path, name: str, first_line: int) -> np.ndarray:
    """A step column as int64; -1 marks an empty cell. Raises on a non-whole step."""
    present = None  # every cell holds a step
    if pd.api.types.is_integer_dtype(column.dtype):
        steps = column.to_numpy(dtype=np.int64)
        wrong = steps < 0
    else:
        numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        present = column.notna().to_numpy()
        # 2**63 and more would wrap around to a negative int64 (MAX_STEP is 2**63 - 1).
        wrong = present & (~np.isfinite(numbers) | (numbers != np.round(numbers))
                           | (numbers < 0) | (numbers >= 2.0**63))
        steps = np.where(present & ~wrong, numbers, -1).astype(np.int64)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise InputError(
            f"'{name}' is {str(column.iloc[row])!r}, not a whole number of steps",
            path=path,
            where=f"line {first_line + 1 + row}",
            hint="Fix that row's step",
        )
    return steps if present is None else np.where(present, steps, -1)


def _row_prefixes(column: pd.Series) -> np.ndarray:
    return column.fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
