"""``reportlib inspect``: what ingest makes of a path, without building a report.

:func:`inspect_run` first asks discovery (:func:`reportlib.ingest.discover`)
which runs the path holds. For a path of several runs it lists each (name,
where the name comes from, format, path, files) and every path skipped with
the reason. For one run it loads the run as a report would and describes it:
the format detected (and the others that would also read the path), the files
read, every curve with its number of points, step range, last value and the
names it was logged under, the run facts, and every warning.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from reportlib.errors import InputError
from reportlib.ingest import FORMATS, Discovery, RunSource, discover, load_run, load_source
from reportlib.run import Run

#: How many files, and how many characters of a meta value, are shown.
MAX_FILES_SHOWN = 8
MAX_VALUE_CHARS = 100
#: Skipped paths listed by name (a big project skips hundreds of files).
MAX_SKIPPED_SHOWN = 30

#: Meta keys shown first, when present: the ones that change how a run reads.
_KEY_FACTS = ("in_progress", "stopped_early", "step_unit", "title", "model", "dataset",
              "global_step", "max_steps", "text_log_preset", "train_summary", "event_files",
              "skipped_values", "hparams", "params", "higher_is_better", "metric_names")


def inspect_run(path: str | PathLike[str], *, log_format: str | None = None) -> str:
    """Describe what reportlib reads from a run folder or log file.

    Parameters
    ----------
    path:
        A run folder or a log file.
    log_format:
        A registered format name to skip detection; None detects.

    Returns
    -------
    A multi-line, human-readable description (ends without a newline).

    Raises
    ------
    InputError, FormatNotRecognisedError, PredictionsError, ParameterError
        As :func:`reportlib.ingest.load_run` does.
    """
    resolved = Path(path).expanduser()
    source: RunSource | None = None
    found: Discovery | None = None
    if log_format is None:
        found = discover(resolved)
        if len(found.runs) > 1:
            return _listing(found)
        source = found.runs[0] if found.runs else None
    run = load_run(path, log_format=log_format) if source is None else load_source(source)
    if source is not None:
        resolved = source.path
    others = [fmt.NAME for fmt in FORMATS if fmt.NAME != run.format and _detects(fmt, resolved)]
    description = next((fmt.DESCRIPTION for fmt in FORMATS if fmt.NAME == run.format), "")
    lines = [f"{resolved}", f"  format:   {run.format} ({description})"]
    if others:
        lines.append(
            f"  also readable as: {', '.join(others)} (choose with --format; the first "
            "format in registry order wins)"
        )
    origin = f" (from its {source.name_origin})" if source is not None else ""
    lines.append(f"  run name: {run.name}{origin}")
    lines.append(_files_line(run, resolved))
    lines.extend(_curve_lines(run))
    lines.extend(_meta_lines(run.meta))
    if run.predictions is not None:
        keys = sorted(run.predictions.checkpoints)
        lines.append(
            f"  predictions: {len(keys)} checkpoint file(s), by {run.predictions.keyed_by} "
            f"{keys[0]}-{keys[-1]}"
        )
    lines.append(f"  warnings: {len(run.warnings)}")
    lines.extend(f"    - {warning}" for warning in run.warnings)
    if found is not None:
        lines.extend(_skipped_lines(found))
    return "\n".join(lines)


def _listing(found: Discovery) -> str:
    """What a path of several runs holds: each run, how it was grouped and named; the skipped."""
    lines = [f"{found.path}: {len(found.runs)} runs"]
    for source in found.runs:
        files = ", ".join(_relative_to(f, source.root) for f in source.files[:MAX_FILES_SHOWN])
        more = (f", ... ({len(source.files) - MAX_FILES_SHOWN} more)"
                if len(source.files) > MAX_FILES_SHOWN else "")
        lines.append(f"  {source.name}")
        lines.append(f"    name from: {source.name_origin}")
        lines.append(f"    format:    {source.format}")
        lines.append(f"    path:      {source.relative}")
        lines.append(f"    log files: {files}{more}")
    lines.extend(_skipped_lines(found))
    lines.append("  (`reportlib inspect` on one of these paths describes that run)")
    return "\n".join(lines)


def _skipped_lines(found: Discovery) -> list[str]:
    if not found.skipped:
        return []
    base = found.path if found.path.is_dir() else found.path.parent
    lines = [f"  skipped: {len(found.skipped)}"]
    for path, reason in found.skipped[:MAX_SKIPPED_SHOWN]:
        lines.append(f"    {_relative_to(path, base)}: {reason}")
    if len(found.skipped) > MAX_SKIPPED_SHOWN:
        lines.append(f"    ... ({len(found.skipped) - MAX_SKIPPED_SHOWN} more)")
    return lines


def _relative_to(path: Path, base: Path) -> str:
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _detects(fmt: Any, path: Path) -> bool:
    try:
        return bool(fmt.detect(path))
    except (OSError, InputError):
        return False


def _files_line(run: Run, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    names = []
    for file in run.input_files:
        try:
            names.append(Path(file).relative_to(base).as_posix())
        except ValueError:
            names.append(str(file))
    shown = ", ".join(names[:MAX_FILES_SHOWN])
    more = f", ... ({len(names) - MAX_FILES_SHOWN} more)" if len(names) > MAX_FILES_SHOWN else ""
    return f"  files read: {len(names)}: {shown}{more}"


def _curve_lines(run: Run) -> list[str]:
    curves = run.curves()
    if not curves:
        return ["  curves: none (no logged values)"]
    rows = [("split", "metric", "points", "steps", "last value", "non-finite", "logged as")]
    frame = run.scalars
    for split, metric in curves:
        series = run.series(split, metric)
        values = series["value"].to_numpy()
        mask = (frame["split"] == split) & (frame["metric"] == metric)
        keys = ", ".join(sorted(frame.loc[mask, "source_key"].unique()))
        steps = series["step"].to_numpy()
        rows.append(
            (
                split,
                metric,
                str(len(series)),
                f"{steps.min()}-{steps.max()}" if len(steps) > 1 else str(steps[0]),
                f"{values[-1]:.6g}",
                str(int((~np.isfinite(values)).sum())),
                keys,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [f"  curves: {len(curves)}, {len(frame)} values"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("    " + "  ".join(cells) + "  " + row[-1])
    return lines


def _meta_lines(meta: dict[str, Any]) -> list[str]:
    if not meta:
        return ["  meta: none"]
    facts = [k for k in _KEY_FACTS if k in meta]
    others = sorted(k for k in meta if k not in _KEY_FACTS)
    lines = [f"  meta: {len(meta)} key(s)"]
    for key in facts:
        text = repr(meta[key])
        if len(text) > MAX_VALUE_CHARS:
            text = text[: MAX_VALUE_CHARS - 3] + "..."
        lines.append(f"    {key}: {text}")
    if others:
        lines.append(f"    other keys: {', '.join(others)}")
    return lines
