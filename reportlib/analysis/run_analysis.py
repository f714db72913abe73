"""Analyse a whole run: summaries of every curve, the three report panels, findings.

:func:`analyze_run` is the one entry point the notebook, the CLI and the build
call. It picks the curves of the three panels (training loss, validation loss,
the main evaluation metric), runs every rule family of
:data:`~reportlib.analysis.families.RULE_FAMILIES`
(one module each: anomalies, generalization, checkpoints, end_of_training,
caveats; their sentences live in :mod:`reportlib.analysis.templates`) and
returns a frozen :class:`RunAnalysis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportlib.analysis._common import float_or_none, int_or_none
from reportlib.analysis.caveats import dataset_sizes
from reportlib.analysis.checkpoints import (
    BestCheckpoint,
    PairTest,
    compare_best_checkpoints,
    selection_curve,
    selection_metric,
)
from reportlib.analysis.chrf_evidence import ScoreAnalysis, add_computed_chrf, analyze_scores
from reportlib.analysis.curves import CurveSummary, summarize_curve
from reportlib.analysis.families import (
    CURVE_PANELS,
    RULE_FAMILIES,
    AnalysisContext,
)
from reportlib.analysis.findings import PANELS, Finding, FindingKind
from reportlib.analysis.objective import broken_objectives, without_claims_on
from reportlib.errors import ParameterError
from reportlib.formatting import metric_display_name
from reportlib.metrics import METRICS, higher_is_better, is_bookkeeping, is_quality_metric
from reportlib.run import Run

if TYPE_CHECKING:
    from reportlib.scoring import ScoringResult

TABLE_EXCLUDED_METRICS = frozenset(name for name in METRICS if is_bookkeeping(name))
"""Eval "metrics" that describe the evaluation's speed or bookkeeping, not the model
(the registry's ``bookkeeping`` role)."""

PREFERRED_METRICS: tuple[str, ...] = ("chrf", "chrf++")
"""The metric the report is about (chrF), when the log has it."""


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
        What the scored predictions say (:class:`~reportlib.analysis.chrf_evidence.ScoreAnalysis`),
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

    chrF when the log has it; otherwise the one the run chose its best checkpoint by
    (a Trainer's ``metric_for_best_model``, found from ``best_metric``); otherwise
    the first eval metric (in the order of
    :meth:`Run.curves`) that is a known higher-is-better metric, then a known
    lower-is-better one (WER...), then any other, skipping what
    :func:`reportlib.metrics.is_quality_metric` rejects: the loss, metrics
    derived from it (perplexity: moving with the loss is a tautology, not
    evidence), optimizer values and bookkeeping. A metric that never moved (every
    finite value the same, as a sequence accuracy stuck at 0) comes after the ones
    that did: it cannot show a trend, a best checkpoint or agreement with the loss.
    None when there is none.
    """
    candidates = [m for s, m in run.curves() if s == "eval" and is_quality_metric(m)]
    chosen = selection_curve(run)
    if chosen in candidates and "chrf" not in candidates and _moves(run.series("eval", chosen)):
        return ("eval", chosen)  # the metric the run itself picked its best checkpoint by
    moving = [m for m in candidates if _moves(run.series("eval", m))]
    overrides = _direction_overrides(run)
    for group in (moving, [m for m in candidates if m not in moving]):
        for preferred in PREFERRED_METRICS:
            if preferred in group:
                return ("eval", preferred)
        for direction in (True, False, None):
            for metric in group:
                if higher_is_better(metric, overrides) is direction:
                    return ("eval", metric)
    return None


def _moves(frame: pd.DataFrame) -> bool:
    """Whether a curve has at least two different finite values."""
    values = frame["value"].to_numpy(dtype=float)
    return bool(np.unique(values[np.isfinite(values)]).size > 1)


def evaluation_frame(run: Run) -> pd.DataFrame:
    """One row per evaluation step, like HF's model-card "Training results" table, by metric name.

    Columns: ``step``, ``epoch`` (of the evaluation, NaN if unknown),
    ``train_loss`` (the log's own training loss measured at that evaluation when
    it has one at every evaluation, as nanoGPT does; else the last training loss
    logged at or before that step; NaN when none was logged yet), then each eval
    metric except the speed and
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
    estimate = run.series("train", "loss_estimate")
    if not estimate.empty and set(frame["step"]) <= set(estimate["step"]):
        # nanoGPT's own training loss measured at evaluation time, on as many batches
        # as the validation loss: the comparable number, not the last noisy batch.
        train = estimate[["step", "value"]].rename(columns={"value": "train_loss"})
    if train.empty:
        frame.insert(2, "train_loss", np.nan)
    else:
        train = train.drop_duplicates("step", keep="last")
        merged = pd.merge_asof(frame[["step"]].astype("int64"), train.astype({"step": "int64"}),
                               on="step", direction="backward")
        frame.insert(2, "train_loss", merged["train_loss"].to_numpy(dtype=float))
    frame["step"] = frame["step"].astype("int64")
    return frame.reset_index(drop=True)


def _direction_overrides(run: Run) -> Mapping[str, bool] | None:
    """run.yaml's ``higher_is_better`` (ingest puts it in meta), or None."""
    overrides = run.meta.get("higher_is_better")
    return overrides if isinstance(overrides, Mapping) else None


def _run_length(run: Run) -> tuple[int | None, str | None, float | None, str | None]:
    """(total steps, source, epochs, source): how long the run *ran*.

    Ingest's ``steps_run`` / ``epochs_run`` (see :mod:`reportlib.ingest.run_facts`,
    with their source from ``meta["sources"]``) first, then ``global_step``, then
    the last logged step / epoch. A plan (``max_steps``, ``num_train_epochs``,
    ``epochs_planned``) is only the fallback when nothing says what ran: a
    checkpoint at epoch 1.23 of a 2-epoch plan ran 1.23 epochs.
    """
    meta = run.meta
    sources = meta.get("sources") if isinstance(meta.get("sources"), Mapping) else {}
    # How long it trained: a test score logged after training is not a training step.
    run = Run(run.name, run.path, run.format, run.scalars[run.scalars["split"] != "test"])
    steps, steps_source = _first_fact(meta, sources, ("steps_run", "global_step"), int_or_none)
    if steps is None and not run.scalars.empty:
        steps, steps_source = int(run.scalars["step"].max()), "the last logged step"
        if steps <= 0:
            steps, steps_source = None, None
    if steps is None:
        steps, steps_source = _first_fact(meta, sources, ("steps_planned", "max_steps"),
                                          int_or_none)
    epochs, epochs_source = _first_fact(meta, sources, ("epochs_run",), float_or_none)
    if epochs is None and not run.scalars.empty:
        logged = run.scalars["epoch"].to_numpy(dtype=float)
        logged = logged[np.isfinite(logged)]
        if logged.size and logged.max() > 0:
            epochs, epochs_source = float(logged.max()), "the last logged epoch"
    if epochs is None:
        epochs, epochs_source = _first_fact(
            meta, sources, ("epochs_planned", "num_train_epochs", "epochs"), float_or_none)
    return steps, steps_source, epochs, epochs_source


def _first_fact(meta: Mapping[str, Any], sources: Mapping[str, Any], keys: tuple[str, ...],
                read: Any) -> tuple[Any, str | None]:
    """The first of ``keys`` that ``read`` accepts (positive), with where it came from."""
    for key in keys:
        value = read(meta.get(key))
        if value is not None and value > 0:
            return value, str(sources.get(key) or key)
    return None, None


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
        whether the log's chrF matches (see :mod:`reportlib.analysis.chrf_evidence`);
        when the log has no chrF, the computed one becomes the chrF curve.

    Returns
    -------
    RunAnalysis

    Drawing settings (smoothing, thinning) are not inputs of the analysis: the
    present layer applies them.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _analyze_run(run, scores=scores)


_PANEL_ORDER = {panel: i for i, panel in enumerate(CURVE_PANELS + ("overall", "caveat"))}


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
    tests = tuple(
        PairTest(frozenset({p.baseline_step, p.system_step}), float(p.p_value),
                 bool(p.significant))
        for p in (scores.paired if scores is not None and scores.checkpoints else ())
        if p.p_value is not None and p.metric == scores.checkpoints[0].chrf.name  # type: ignore[union-attr]
    )
    best, best_findings = compare_best_checkpoints(
        run.series("eval", "loss") if panels["val_loss"] else None,
        run.series(*metric_key) if metric_key else None,
        metric=metric_key[1] if metric_key else None,
        metric_label=metric_name,
        higher_is_better=curves[metric_key].higher_is_better if metric_key else None,
        best_model_checkpoint=run.meta.get("best_model_checkpoint"),
        tests=tests,
        scored=score_analysis is not None,
        best_so_far=run.meta.get("best_so_far"),
        selected_by=selection_metric(run, run.meta.get("best_model_checkpoint"),
                                     run.meta.get("best_metric")),
    )
    ctx = AnalysisContext(
        run=run, curves=curves, panels=panels, labels=labels, metric_name=metric_name,
        total_steps=total_steps, epochs=epochs, epochs_source=epochs_source,
        n_evaluations=int(len(evaluations)), best_findings=tuple(best_findings),
        scores=score_analysis,
    )
    # A broken loss: its claims go, from each family's findings before the next reads them.
    broken = broken_objectives(run, panels)
    found: list[Finding] = []
    for family in RULE_FAMILIES:
        found += without_claims_on(family(ctx, list(found)), broken)
    found = broken + found
    # Report order: the three panels, then overall observations, then caveats.
    ordered = sorted(found, key=lambda f: _PANEL_ORDER.get(f.panel, len(PANELS)))
    title = run.meta.get("title")
    return RunAnalysis(
        run_name=run.name,
        title=str(title) if title is not None else None,
        curves=curves,
        panels=panels,
        eval_metric_name=metric_name,
        best_checkpoint=best,
        findings=tuple(ordered),
        n_evaluations=ctx.n_evaluations,
        total_steps=total_steps,
        total_steps_source=steps_source,
        epochs=epochs,
        epochs_source=epochs_source,
        dataset=dataset_sizes(run.meta),
        evaluations=evaluations,
        scores=score_analysis,
    )


__all__ = [
    "CURVE_PANELS",
    "PREFERRED_METRICS",
    "TABLE_EXCLUDED_METRICS",
    "RunAnalysis",
    "analyze_run",
    "evaluation_frame",
    "main_eval_metric",
]
