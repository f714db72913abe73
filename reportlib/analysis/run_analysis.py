"""Analyse a whole run: summaries of every curve, the three report panels, findings.

:func:`analyze_run` is the one entry point the notebook, the CLI and the build
call. It picks the curves of the three panels (training loss, validation loss,
the main evaluation metric), runs every rule of :mod:`reportlib.analysis.rules`
on them and returns a frozen :class:`RunAnalysis`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportlib.analysis.curves import CurveSummary, summarize_curve
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.rules import (
    BestCheckpoint,
    compare_best_checkpoints,
    dataset_sizes,
    detect_end_of_training,
    detect_few_epochs,
    detect_few_evaluations,
    detect_non_finite,
    detect_overfitting,
    detect_small_dataset,
    detect_spikes,
    detect_too_few_points,
    detect_train_val_gap,
)
from reportlib.analysis.samples import ScoreAnalysis, add_computed_chrf, analyze_scores
from reportlib.errors import ParameterError
from reportlib.formatting import metric_display_name
from reportlib.metrics import higher_is_better
from reportlib.run import Run

if TYPE_CHECKING:
    from reportlib.scoring import ScoringResult

CURVE_PANELS: tuple[str, ...] = ("train_loss", "val_loss", "eval_metric")
"""The three curve panels of the report, in order."""

TABLE_EXCLUDED_METRICS = frozenset({
    "runtime", "samples_per_second", "steps_per_second", "epoch", "step",
    "model_preparation_time", "total_flos", "flos",
})
"""Eval "metrics" that describe the evaluation's speed or bookkeeping, not the model."""

NON_QUALITY_METRICS = TABLE_EXCLUDED_METRICS | {"loss", "gen_len", "learning_rate", "grad_norm"}
"""Eval values never chosen as the main evaluation metric (loss has its own panel)."""

PREFERRED_METRICS: tuple[str, ...] = ("chrf", "chrf++")
"""The metric the report is about (chrF), when the log has it."""

_SPLIT_WORDS = {"train": "training", "eval": "validation"}


@dataclass(frozen=True)
class RunAnalysis:
    """Everything the report says about one run, computed once.

    Attributes
    ----------
    run_name, title:
        The run's name and its run.yaml title (None if none).
    curves:
        A :class:`~reportlib.analysis.curves.CurveSummary` for every curve of the run.
    panels:
        ``"train_loss"``, ``"val_loss"``, ``"eval_metric"`` -> the ``(split,
        metric)`` curve drawn and described in that panel, or None.
    eval_metric_name:
        Display name of the main evaluation metric (``"chrF"``), or None.
    best_checkpoint:
        Best checkpoint by validation loss and by the metric, or None without evaluations.
    findings:
        Every finding, in report order (panels, overall, caveats).
    n_evaluations:
        Number of distinct steps with an evaluation row.
    total_steps, epochs:
        How long the run trained (None if unknown), and where each came from.
    dataset:
        ``train_size``, ``eval_size``, ``name``, ``source`` from the run's metadata.
    evaluations:
        One row per evaluation: step, epoch, train_loss (the last training
        loss logged at or before that step), then the eval metrics by
        normalised name (loss first). See :func:`evaluation_frame`.
    scores:
        What the scored predictions say (:class:`~reportlib.analysis.samples.ScoreAnalysis`),
        None when the run was analysed without them.
    """

    run_name: str
    title: str | None
    curves: dict[tuple[str, str], CurveSummary]
    panels: dict[str, tuple[str, str] | None]
    eval_metric_name: str | None
    best_checkpoint: BestCheckpoint | None
    findings: tuple[Finding, ...]
    n_evaluations: int
    total_steps: int | None
    total_steps_source: str | None
    epochs: float | None
    epochs_source: str | None
    dataset: Mapping[str, Any] = field(default_factory=dict)
    evaluations: pd.DataFrame = field(default_factory=pd.DataFrame)
    scores: ScoreAnalysis | None = None

    def curve(self, panel: str) -> CurveSummary | None:
        """The summary of the curve shown in ``panel`` (None when the panel is empty).

        Raises
        ------
        reportlib.errors.ParameterError
            ``panel`` is not one of :data:`CURVE_PANELS`.
        """
        if panel not in CURVE_PANELS:
            raise ParameterError(f"panel must be one of {', '.join(CURVE_PANELS)}, got {panel!r}")
        key = self.panels.get(panel)
        return None if key is None else self.curves.get(key)

    def panel_title(self, panel: str) -> str:
        """The heading of a panel: "Training loss", "Validation loss", "Validation chrF"."""
        if panel == "train_loss":
            return "Training loss"
        if panel == "val_loss":
            return "Validation loss"
        if panel == "eval_metric":
            return f"Validation {self.eval_metric_name or 'metric'}"
        raise ParameterError(f"panel must be one of {', '.join(CURVE_PANELS)}, got {panel!r}")

    def findings_for(self, panel: str) -> tuple[Finding, ...]:
        """The findings shown in one panel (a curve panel, ``"overall"`` or ``"caveat"``)."""
        return tuple(f for f in self.findings if f.panel == panel)

    def has(self, kind: FindingKind | str) -> bool:
        """Whether any finding is of ``kind``."""
        value = kind.value if isinstance(kind, FindingKind) else str(kind)
        return any(f.kind.value == value for f in self.findings)


def main_eval_metric(run: Run) -> tuple[str, str] | None:
    """The evaluation curve of the report's third panel.

    chrF when the log has it; otherwise the first eval metric (in the order of
    :meth:`Run.curves`) that is a known higher-is-better metric, then a known
    lower-is-better one (WER...), then any other, skipping loss and the
    bookkeeping values in :data:`NON_QUALITY_METRICS`. None when there is none.
    """
    candidates = [m for s, m in run.curves() if s == "eval" and m not in NON_QUALITY_METRICS]
    for preferred in PREFERRED_METRICS:
        if preferred in candidates:
            return ("eval", preferred)
    overrides = _direction_overrides(run)
    for direction in (True, False, None):
        for metric in candidates:
            if higher_is_better(metric, overrides) is direction:
                return ("eval", metric)
    return None


def evaluation_frame(run: Run) -> pd.DataFrame:
    """One row per evaluation step, like HF's model-card "Training results" table, by metric name.

    Columns: ``step``, ``epoch`` (of the evaluation, NaN if unknown),
    ``train_loss`` (the last training loss logged at or before that step; NaN
    when none was logged yet), then each eval metric except the speed and
    bookkeeping values of :data:`TABLE_EXCLUDED_METRICS`: ``loss`` first, then
    the others in alphabetical order. Non-finite values are kept.
    """
    scalars = run.scalars
    evals = scalars[(scalars["split"] == "eval") & ~scalars["metric"].isin(TABLE_EXCLUDED_METRICS)]
    if evals.empty:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "epoch": pd.Series(dtype=float),
                             "train_loss": pd.Series(dtype=float)})
    latest = evals.drop_duplicates(["step", "metric"], keep="last")
    wide = latest.pivot(index="step", columns="metric", values="value")
    metrics = sorted(wide.columns, key=lambda m: (m != "loss", m))
    wide = wide[metrics]
    wide.columns.name = None
    epochs = evals.groupby("step")["epoch"].max()
    frame = wide.reset_index()
    frame.insert(1, "epoch", frame["step"].map(epochs).astype(float).to_numpy())
    train = run.series("train", "loss")[["step", "value"]].rename(columns={"value": "train_loss"})
    if train.empty:
        frame.insert(2, "train_loss", np.nan)
    else:
        train = train.drop_duplicates("step", keep="last")
        merged = pd.merge_asof(frame[["step"]].astype("int64"), train.astype({"step": "int64"}),
                               on="step", direction="backward")
        frame.insert(2, "train_loss", merged["train_loss"].to_numpy(dtype=float))
    frame["step"] = frame["step"].astype("int64")
    return frame.reset_index(drop=True)


def _int_or_none(value: Any) -> int | None:
    x = _float_or_none(value)
    return None if x is None else int(x)


def _direction_overrides(run: Run) -> Mapping[str, bool] | None:
    """run.yaml's ``higher_is_better`` (ingest puts it in meta), or None."""
    overrides = run.meta.get("higher_is_better")
    return overrides if isinstance(overrides, Mapping) else None


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def _run_length(run: Run) -> tuple[int | None, str | None, float | None, str | None]:
    """(total steps, source, epochs, source): the log's metadata first, then the scalars."""
    meta = run.meta
    steps, steps_source = None, None
    for key in ("global_step", "max_steps"):
        steps = _int_or_none(meta.get(key))
        if steps is not None:
            steps_source = key
            break
    if steps is None and not run.scalars.empty:
        steps, steps_source = int(run.scalars["step"].max()), "the last logged step"
        if steps <= 0:
            steps, steps_source = None, None
    epochs, epochs_source = None, None
    for key in ("num_train_epochs", "epochs"):
        epochs = _float_or_none(meta.get(key))
        if epochs is not None:
            epochs_source = key
            break
    if epochs is None and not run.scalars.empty:
        logged = run.scalars["epoch"].to_numpy(dtype=float)
        logged = logged[np.isfinite(logged)]
        if logged.size and logged.max() > 0:
            epochs, epochs_source = float(logged.max()), "the last logged epoch"
    return steps, steps_source, epochs, epochs_source


def _label(key: tuple[str, str]) -> str:
    split, metric = key
    return f"{_SPLIT_WORDS.get(split, split)} {metric_display_name(metric)}"


def analyze_run(
    run: Run, *, scores: ScoringResult | None = None
) -> RunAnalysis:
    """Analyse a run: summarise every curve, pick the panels, run every rule.

    Values near the float limit (1e308) overflow in differences and sums; numpy's
    warnings about that are silenced here (they would print into the report),
    since ingest already warns about such values and the results read inf.

    Parameters
    ----------
    run:
        The run, as an ingest module read it.
    scores:
        Its predictions scored by :func:`reportlib.scoring.score_run`, if any:
        adds the significance of the chrF gain, the samples that moved and
        whether the log's chrF matches (see :mod:`reportlib.analysis.samples`);
        when the log has no chrF, the computed one becomes the chrF curve.

    Returns
    -------
    RunAnalysis

    Drawing settings (smoothing, thinning) are not inputs of the analysis: the
    present layer applies them.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _analyze_run(run, scores=scores)


def _analyze_run(run: Run, *, scores: ScoringResult | None) -> RunAnalysis:
    score_analysis = None
    if scores is not None and scores.checkpoints:
        run = add_computed_chrf(run, scores)
        score_analysis = analyze_scores(scores, run)
    overrides = _direction_overrides(run)
    curves = {
        key: summarize_curve(run.series(*key), split=key[0], metric=key[1],
                             higher_is_better=higher_is_better(key[1], overrides))
        for key in run.curves()
    }
    panels: dict[str, tuple[str, str] | None] = {
        "train_loss": ("train", "loss") if ("train", "loss") in curves else None,
        "val_loss": ("eval", "loss") if ("eval", "loss") in curves else None,
        "eval_metric": main_eval_metric(run),
    }
    metric_key = panels["eval_metric"]
    metric_name = metric_display_name(metric_key[1]) if metric_key else None
    labels = {
        "train_loss": "training loss",
        "val_loss": "validation loss",
        "eval_metric": f"validation {metric_name}" if metric_name else "validation metric",
    }
    total_steps, steps_source, epochs, epochs_source = _run_length(run)
    evaluations = evaluation_frame(run)
    n_evaluations = int(len(evaluations))

    panel_findings: list[Finding] = []
    for panel in CURVE_PANELS:
        key = panels[panel]
        if key is None:
            panel_findings.append(_no_data(panel, metric_name))
            continue
        frame = run.series(*key)
        summary = curves[key]
        common = dict(split=key[0], metric=key[1], label=labels[panel], panel=panel)
        unit = "logged point" if key[0] == "train" else "evaluation"
        panel_findings += detect_non_finite(frame, critical=True, **common)
        panel_findings += detect_spikes(frame, higher_is_better=summary.higher_is_better, **common)
        if not summary.ends_non_finite:  # a diverged curve has no "end of training" to judge
            panel_findings += detect_end_of_training(
                frame, higher_is_better=summary.higher_is_better, unit=unit, **common)

    overall: list[Finding] = []
    for key in curves:
        if key not in panels.values():
            overall += detect_non_finite(run.series(*key), split=key[0], metric=key[1],
                                         label=_label(key), panel="overall", critical=False)
    train_frame = run.series("train", "loss") if panels["train_loss"] else None
    val_frame = run.series("eval", "loss") if panels["val_loss"] else None
    metric_frame = run.series(*metric_key) if metric_key else None
    overall += detect_overfitting(val_frame, train_frame)
    overall += detect_train_val_gap(val_frame, train_frame)
    best, best_findings = compare_best_checkpoints(
        val_frame,
        metric_frame,
        metric=metric_key[1] if metric_key else None,
        metric_label=metric_name,
        higher_is_better=curves[metric_key].higher_is_better if metric_key else None,
        best_model_checkpoint=run.meta.get("best_model_checkpoint"),
    )
    overall += best_findings

    caveats: list[Finding] = []
    for panel in CURVE_PANELS:
        key = panels[panel]
        if key is not None:
            caveats += detect_too_few_points(
                curves[key], label=labels[panel], total_steps=total_steps,
                logging_steps=_int_or_none(run.meta.get("logging_steps")))
    caveats += detect_few_evaluations(n_evaluations)
    caveats += detect_small_dataset(run.meta, epochs=epochs)
    if dataset_sizes(run.meta)["train_size"] is None:
        caveats.append(Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            "The training-set size is not known (run.yaml's dataset.size or dataset.train_size "
            "gives it), so whether the dataset is small cannot be judged.",
            {"about": "dataset_size"}, panel="caveat"))
    caveats += detect_few_epochs(epochs, source=epochs_source)
    caveats += [
        Finding(FindingKind.INGEST_WARNING, Severity.WARNING, str(text),
                {"index": i}, panel="caveat")
        for i, text in enumerate(run.warnings)
    ]
    scored = [f for f in score_analysis.findings if f.panel != "caveat"] if score_analysis else []
    scored_caveats = ([f for f in score_analysis.findings if f.panel == "caveat"]
                      if score_analysis else [])
    title = run.meta.get("title")
    return RunAnalysis(
        run_name=run.name,
        title=str(title) if title is not None else None,
        curves=curves,
        panels=panels,
        eval_metric_name=metric_name,
        best_checkpoint=best,
        findings=tuple(panel_findings + scored + overall + caveats + scored_caveats),
        n_evaluations=n_evaluations,
        total_steps=total_steps,
        total_steps_source=steps_source,
        epochs=epochs,
        epochs_source=epochs_source,
        dataset=dataset_sizes(run.meta),
        evaluations=evaluations,
        scores=score_analysis,
    )


def _no_data(panel: str, metric_name: str | None) -> Finding:
    if panel == "train_loss":
        return Finding(FindingKind.NO_DATA, Severity.WARNING,
                       "Training loss was not logged in this run.", {"panel": panel}, panel=panel)
    if panel == "val_loss":
        return Finding(FindingKind.NO_DATA, Severity.WARNING,
                       "Validation loss was not logged: the run was not evaluated (or its "
                       "evaluations were not saved), so generalisation cannot be judged.",
                       {"panel": panel}, panel=panel)
    return Finding(FindingKind.NO_DATA, Severity.INFO,
                   "No evaluation metric besides the loss was logged (such as chrF): the quality "
                   "of the outputs is not measured in this log.", {"panel": panel}, panel=panel)


__all__ = [
    "CURVE_PANELS",
    "NON_QUALITY_METRICS",
    "PREFERRED_METRICS",
    "TABLE_EXCLUDED_METRICS",
    "RunAnalysis",
    "analyze_run",
    "evaluation_frame",
    "main_eval_metric",
]
