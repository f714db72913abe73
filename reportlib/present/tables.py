"""Tables of the report: the evaluations (HF model-card style) and the run's facts.

Both return pandas DataFrames for display (``report.table_html`` escapes them);
the numbers come from the run and its analysis, nothing is computed here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from reportlib.analysis import RunAnalysis, evaluation_frame
from reportlib.analysis.run_analysis import TABLE_EXCLUDED_METRICS
from reportlib.errors import ParameterError
from reportlib.formatting import (
    format_epoch,
    format_number,
    format_position,
    metric_display_name,
)
from reportlib.ingest.run_facts import SOURCES
from reportlib.provenance import portable_path
from reportlib.run import Run

#: Column names of the evaluations table, as in HF's model-card "Training results".
TRAINING_LOSS_COLUMN = "Training Loss"
EPOCH_COLUMN = "Epoch"
STEP_COLUMN = "Step"
VALIDATION_LOSS_COLUMN = "Validation Loss"


def evaluations_table(source: RunAnalysis | Run, *, drop_empty: bool = False) -> pd.DataFrame:
    """One row per evaluation, like HF's model-card "Training results" table.

    Columns: Training Loss (the last training loss logged at or before that
    step; NaN when none was logged yet, shown as HF's "No log"), Epoch, Step,
    Validation Loss, then the other evaluation metrics by display name (chrF,
    BLEU...). Speed columns (runtime, samples per second) are left out.

    Parameters
    ----------
    source:
        A :class:`~reportlib.analysis.RunAnalysis` (uses its ``evaluations``)
        or a :class:`~reportlib.run.Run`.
    drop_empty:
        Leave out the columns with no value at all (a log with dozens of
        evaluation keys, most never filled); the step column always stays.
        False keeps Hugging Face's four first columns, as a model card has them.

    Returns
    -------
    pandas.DataFrame (empty, with the four first columns, when there is no evaluation).

    Raises
    ------
    reportlib.errors.ParameterError
        ``source`` is neither.
    """
    if isinstance(source, RunAnalysis):
        frame = source.evaluations
        logged = {m for split, m in source.curves if split == "eval"}
    elif isinstance(source, Run):
        frame = evaluation_frame(source)
        logged = {m for split, m in source.curves() if split == "eval"}
    else:
        raise ParameterError(
            f"evaluations_table takes a RunAnalysis or a Run, got {type(source).__name__}")
    if drop_empty and not frame.empty:
        # A column with no value: an evaluation key never logged at these steps. A logged
        # NaN is a value (and evidence): its column stays.
        frame = frame[[c for c in frame.columns
                       if c == "step" or frame[c].notna().any() or c in logged]]
    columns: dict[str, str] = {"train_loss": TRAINING_LOSS_COLUMN, "epoch": EPOCH_COLUMN,
                               "step": STEP_COLUMN, "loss": VALIDATION_LOSS_COLUMN}
    others = [str(m) for m in frame.columns if m not in columns]
    shown = {m: metric_display_name(m) for m in others}
    counts = Counter(list(shown.values()) + list(columns.values()))
    for metric in others:
        # two log names for one display name (acc, accuracy): show the log names
        columns[metric] = shown[metric] if counts[shown[metric]] == 1 else metric
    table = frame.rename(columns=columns)
    order = [TRAINING_LOSS_COLUMN, EPOCH_COLUMN, STEP_COLUMN, VALIDATION_LOSS_COLUMN]
    if drop_empty and not frame.empty:
        order = [name for name in order if name in table.columns]
    for name in order:
        if name not in table.columns:
            table[name] = pd.Series(dtype=float)
    rest = [c for c in table.columns if c not in order]
    return table[order + rest].reset_index(drop=True)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        for key in ("name", "id", "name_or_path", "base"):
            if value.get(key):
                return str(value[key])
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or None
    text = str(value).strip()
    return text or None


def run_facts_table(run: Run, analysis: RunAnalysis, *, smoothing: float | None = None
                    ) -> pd.DataFrame:
    """The facts of a run as a two-column table (Fact, Value), values as text.

    Rows (those that are known): Title, Run, Model, Dataset, Training examples,
    Evaluation examples, Epochs, Steps, Evaluations, Logged values, Best
    checkpoint, Test (the test split's values as logged), Seed, Notes, Format,
    Path, Smoothing. Sizes and lengths say where they were read
    (``meta["sources"]``, see :mod:`reportlib.ingest.run_facts`); epochs and
    steps say what ran and, when it differs, what was planned; a training-set
    size worked out from other facts is shown as "about N (an estimate: ...)".

    Parameters
    ----------
    run:
        The run (for its name, format, path and run.yaml facts).
    analysis:
        Its analysis (for the length, evaluations and best checkpoint).
    smoothing:
        The figure's EMA weight, shown as the last row (left out when None).

    Returns
    -------
    pandas.DataFrame with columns ``Fact`` and ``Value``.
    """
    meta = run.meta
    dataset = analysis.dataset
    rows: list[tuple[str, str | None]] = [
        ("Title", _text(meta.get("title"))),
        ("Run", run.name),
        ("Model", _text(meta.get("model"))),
        ("Dataset", _text(dataset.get("name"))),
        ("Training examples", _size_text(run.meta, dataset, "train_size")),
        ("Evaluation examples", _size_text(run.meta, dataset, "eval_size")),
        ("Epochs", _length_text(run.meta, "epochs", (analysis.epochs, analysis.epochs_source),
                                format_epoch)),
        ("Steps", _steps_text(run, analysis)),
        ("Evaluations", str(analysis.n_evaluations)),
        ("Logged values", f"{len(run.scalars)} in {len(analysis.curves)} curves"),
        ("Best checkpoint", _best_text(analysis)),
        ("Test", _test_text(run)),
        ("Seed", _text(meta.get("seed"))),
        ("Notes", _text(meta.get("notes"))),
        ("Format", run.format),
        ("Path", portable_path(run.path)),  # never the builder's absolute path
        ("Smoothing", None if smoothing is None else f"TensorBoard EMA, weight {smoothing:g}"),
    ]
    kept = [(fact, value) for fact, value in rows if value]
    return pd.DataFrame(kept, columns=["Fact", "Value"])


def _sources(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    sources = meta.get(SOURCES)
    return sources if isinstance(sources, Mapping) else {}


def _size_text(meta: Mapping[str, Any], dataset: Mapping[str, Any], key: str) -> str | None:
    """A set size with where it was read; else (training set) the labelled estimate."""
    size = dataset.get(key)
    sources = _sources(meta)
    if size is not None:
        used = dataset.get("source") if key == "train_size" else (
            f"dataset.{key}" if isinstance(meta.get("dataset"), Mapping)
            and meta["dataset"].get(key) is not None else key)
        if used and used.startswith("dataset."):
            where = f"{sources['dataset']}: {used}" if sources.get("dataset") else used
        else:
            where = sources.get(used or key, used)
        return _with_source(_count(size), where)
    estimate = meta.get(f"{key}_estimate")
    if isinstance(estimate, Mapping) and estimate.get("value") is not None:
        where = sources.get(f"{key}_estimate")
        bound = estimate.get("bound") or "about"
        return (f"{bound} {_count(estimate['value'])} (an estimate: {estimate.get('how')}"
                f"{f', from {where}' if where else ''})")
    return None


#: What a report's "step" is in a log that has none (``meta["step_unit"]``).
STEP_UNIT_TEXT = {
    "epoch": "the log counts no steps: step N in this report is the N-th epoch logged",
    "log line": "the log counts no steps: step N in this report is its N-th training line",
}


def _steps_text(run: Any, analysis: Any) -> str | None:
    """The Steps row: what ran and was planned, or, in a log without steps, what a step is."""
    unit = run.meta.get("step_unit")
    if unit in STEP_UNIT_TEXT:
        return STEP_UNIT_TEXT[unit] if analysis.total_steps is None else (
            f"{_count(analysis.total_steps)} ({STEP_UNIT_TEXT[unit]})")
    return _length_text(run.meta, "steps", (analysis.total_steps, analysis.total_steps_source),
                        _count)


def _length_text(meta: Mapping[str, Any], unit: str, fallback: tuple[Any, str | None],
                 show: Any) -> str | None:
    """What ran and what was planned: ``"1.23 of 2 planned (from ...; ...)"``.

    ``meta[f"{unit}_run"]`` / ``meta[f"{unit}_planned"]`` (ingest's run facts),
    else the analysis' length (``fallback``: value and source).
    """
    sources = _sources(meta)
    ran, ran_source = meta.get(f"{unit}_run"), sources.get(f"{unit}_run")
    if ran is None:
        ran, ran_source = fallback
    planned, planned_source = meta.get(f"{unit}_planned"), sources.get(f"{unit}_planned")
    if ran is None and planned is None:
        return None
    if ran is None:
        return _with_source(f"{show(planned)} planned", planned_source)
    if planned is None or show(planned) == show(ran):
        return _with_source(show(ran), ran_source)
    origin = "; ".join(str(s) for s in (ran_source, planned_source) if s)
    return _with_source(f"{show(ran)} of {show(planned)} planned", origin or None)


def _count(value: Any) -> str | None:
    return None if value is None else f"{int(value):,}"


def _with_source(text: str | None, source: str | None) -> str | None:
    if not text:
        return None
    return f"{text} (from {source})" if source else text


def _test_text(run: Run) -> str | None:
    """The test split's last logged value of each metric, with where: never a curve's point."""
    scalars = run.scalars
    # The test run's speed (test_runtime...) is not a result.
    test = scalars[(scalars["split"] == "test") & ~scalars["metric"].isin(TABLE_EXCLUDED_METRICS)]
    if test.empty:
        return None
    last = test.sort_values("step", kind="stable").drop_duplicates("metric", keep="last")
    last = last.sort_values("metric", key=lambda m: m.astype(str).map(lambda x: (x != "loss", x)))
    values = [f"{metric_display_name(str(row.metric))} {format_number(row.value)}"
              for row in last.itertuples()]
    places = {format_position(int(row.step), row.epoch) for row in last.itertuples()}
    if len(places) == 1:
        return ", ".join(values) + f", at {places.pop()}"
    return "; ".join(f"{value} at {format_position(int(row.step), row.epoch)}"
                     for value, row in zip(values, last.itertuples(), strict=True))


def _best_text(analysis: RunAnalysis) -> str | None:
    best = analysis.best_checkpoint
    if best is None:
        return None
    criterion = "validation loss" if best.by == "eval_loss" else metric_display_name(best.by)
    text = f"{format_position(best.step, best.epoch)}, by {criterion}"
    if best.agree is True:
        text += f" (validation loss and {analysis.eval_metric_name} agree)"
    elif best.agree is False:
        other = best.by_metric if best.by == "eval_loss" else best.by_loss
        if other is not None:
            other_name = ("validation loss" if other.criterion == "eval_loss"
                          else metric_display_name(other.criterion))
            text += f"; by {other_name}: {format_position(other.step, other.epoch)}"
    return text


__all__ = [
    "EPOCH_COLUMN",
    "STEP_COLUMN",
    "TRAINING_LOSS_COLUMN",
    "VALIDATION_LOSS_COLUMN",
    "evaluations_table",
    "run_facts_table",
]
