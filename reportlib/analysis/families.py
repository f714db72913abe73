"""The rule families the analysis runs, and the context they read.

A rule family is a function ``(context, found) -> list[Finding]``: it reads
the run, its curves and panels from an :class:`AnalysisContext` and what the
families before it found, and returns findings. :data:`RULE_FAMILIES` lists
them in the order :func:`reportlib.analysis.analyze_run` calls them; a new
family (a new log shape, a new question about a run) is a module of rules and
one more entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from reportlib.analysis._common import int_or_none
from reportlib.analysis.anomalies import detect_divergence, detect_non_finite, detect_spikes
from reportlib.analysis.caveats import (
    detect_few_epochs,
    detect_few_evaluations,
    detect_small_dataset,
    detect_too_few_points,
)
from reportlib.analysis.checkpoints import detect_test_results, earlier_best
from reportlib.analysis.chrf_evidence import ScoreAnalysis
from reportlib.analysis.curves import CurveSummary
from reportlib.analysis.end_of_training import (
    MIN_POINTS_FOR_END_VERDICT,
    detect_end_of_training,
    tail_change,
)
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.generalization import (
    detect_early_stopping,
    detect_overfitting,
    detect_train_val_gap,
)
from reportlib.analysis.progress import detect_no_improvement
from reportlib.analysis.templates import format_position, say
from reportlib.formatting import metric_display_name
from reportlib.metrics import is_loss_derived
from reportlib.run import Run

CURVE_PANELS: tuple[str, ...] = ("train_loss", "val_loss", "eval_metric")
"""The three curve panels of the report, in order."""

_SPLIT_WORDS = {"train": "training", "eval": "validation"}


def _label(key: tuple[str, str]) -> str:
    split, metric = key
    return f"{_SPLIT_WORDS.get(split, split)} {metric_display_name(metric)}"


@dataclass(frozen=True)
class AnalysisContext:
    """What every rule family reads: the run, its curves and panels, and run facts.

    A rule family is a function ``(context, found) -> list[Finding]``, where
    ``found`` is what the families before it concluded (end-of-training advice
    reads it to stay silent next to overfitting or divergence). The families
    the analysis calls are :data:`RULE_FAMILIES`, in order; a new family (a new
    log shape, a new question) is one more entry there.
    """

    run: Run
    curves: dict[tuple[str, str], CurveSummary]
    panels: dict[str, tuple[str, str] | None]
    labels: dict[str, str]
    metric_name: str | None
    total_steps: int | None
    epochs: float | None
    epochs_source: str | None
    n_evaluations: int
    best_findings: tuple[Finding, ...]
    scores: ScoreAnalysis | None

    def frame(self, panel: str) -> pd.DataFrame | None:
        """The curve drawn in ``panel`` (None when the panel is empty)."""
        key = self.panels.get(panel)
        return None if key is None else self.run.series(*key)

    def series(self, split: str, metric: str) -> pd.DataFrame | None:
        """Any curve of the run, or None when the log does not have it."""
        return self.run.series(split, metric) if (split, metric) in self.curves else None


RuleFamily = Callable[[AnalysisContext, list[Finding]], list[Finding]]

LOSS_PANELS: tuple[str, ...] = ("train_loss", "val_loss")
"""Panels whose curve is a loss (divergence is looked for there)."""

ADVICE_PANELS: tuple[str, ...] = ("val_loss", "eval_metric")
"""Panels whose "still improving" may advise training longer: a falling training
loss alone says nothing about whether more training would help the model."""

ADVICE_BLOCKERS: dict[FindingKind, str] = {
    FindingKind.OVERFITTING: "validation loss already rose past its minimum",
    FindingKind.VAL_LOSS_RISING: "validation loss already rose past its minimum",
    FindingKind.DIVERGENCE: "a loss of this run diverged",
    FindingKind.NON_FINITE: "NaN or infinite values were logged",
}
"""Findings next to which the report never advises training longer, and why."""


def anomalies_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """NaN/inf in every curve; divergence in the losses; spikes outside a divergence."""
    out: list[Finding] = []
    lr = ctx.series("train", "learning_rate")
    train_diverged = False
    for panel in CURVE_PANELS:
        key = ctx.panels[panel]
        if key is None:
            continue
        frame = ctx.run.series(*key)
        summary = ctx.curves[key]
        common = dict(split=key[0], metric=key[1], label=ctx.labels[panel], panel=panel)
        out += detect_non_finite(frame, critical=True, **common)
        diverged: list[Finding] = []
        if panel in LOSS_PANELS:
            diverged = detect_divergence(frame, learning_rate=lr, **common)
            # Validation loss that climbs while training loss does not is overfitting
            # or a shift, not divergence: it counts only beside a diverged training loss.
            if panel == "val_loss" and ctx.panels["train_loss"] is not None and not train_diverged:
                diverged = []
            train_diverged = train_diverged or (panel == "train_loss" and bool(diverged))
        out += diverged
        exclude = [(f.evidence["start_step"], f.evidence["end_step"]) for f in diverged]
        out += detect_spikes(frame, higher_is_better=summary.higher_is_better, exclude=exclude,
                             **common)
    for key in ctx.curves:
        if key not in ctx.panels.values():
            out += detect_non_finite(ctx.run.series(*key), split=key[0], metric=key[1],
                                     label=_label(key), panel="overall", critical=False)
    return out


def progress_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """Whether each panel's curve improved at all from the start of training to its end.

    Not for a curve that diverged or ends on NaN: those findings say what happened;
    nor "did not improve" of a validation loss found to overfit or rise after its
    minimum, whose finding says how it fell and rose.
    """
    rose = any(f.kind in (FindingKind.OVERFITTING, FindingKind.VAL_LOSS_RISING) for f in found)
    out: list[Finding] = []
    for panel in CURVE_PANELS:
        key = ctx.panels[panel]
        if key is None or ctx.curves[key].ends_non_finite:
            continue
        if any(f.kind is FindingKind.DIVERGENCE and f.panel == panel for f in found):
            continue
        summary = ctx.curves[key]
        claims = detect_no_improvement(
            ctx.run.series(*key), split=key[0], metric=key[1], label=ctx.labels[panel],
            panel=panel, higher_is_better=summary.higher_is_better, bounds=summary.bounds,
            unit="logged point" if key[0] == "train" else "evaluation",
            evidence=summary.trend_evidence)
        out += [f for f in claims
                if not (rose and panel == "val_loss" and f.evidence["trend"] == "flat")]
    return out


def generalization_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """Overfitting, the train/validation gap and where early stopping would have stopped."""
    train = ctx.frame("train_loss")
    val = ctx.frame("val_loss")
    eval_time = ctx.series("train", "loss_estimate")
    overfitting = detect_overfitting(val, train, eval_time_train=eval_time)
    if any(f.kind is FindingKind.DIVERGENCE for f in found):
        # A diverged run's validation curve swings with the divergence: its noise
        # estimate and its minimum say nothing about generalization.
        overfitting = [Finding(FindingKind.INCONCLUSIVE, Severity.INFO,
                               say("overfitting.diverged"),
                               {**f.evidence, "about": "overfitting", "reason": "divergence"},
                               panel="overall") for f in overfitting]
    earlier = earlier_best(val, ctx.run.meta.get("best_so_far"))
    if earlier is not None:
        # The log remembers a lower validation loss from before its first line: "no
        # overfitting" and a patience rule replayed on the evaluations listed would both
        # start from a minimum that is not the run's.
        overfitting = [f if f.kind is not FindingKind.NO_OVERFITTING else Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("overfitting.earlier_best", source=earlier["source_key"],
                value=earlier["value"], lowest=earlier["lowest"],
                where=format_position(earlier["lowest_step"], earlier["lowest_epoch"])),
            {**f.evidence, "about": "overfitting", "reason": "earlier_best",
             "earlier_best": earlier}, panel="overall") for f in overfitting]
    # Stopping early would cut off a curve that was still improving at the end: then
    # the report advises training longer, and an early-stopping sentence would contradict it.
    improving = any(_still_improving(ctx, panel) for panel in ADVICE_PANELS)
    stop = not improving and earlier is None
    return (overfitting
            + detect_train_val_gap(val, train, eval_time_train=eval_time)
            + (detect_early_stopping(val, total_steps=ctx.total_steps) if stop else []))


def _still_improving(ctx: AnalysisContext, panel: str) -> bool:
    """Whether the curve of ``panel`` was still improving at the end (its tail verdict)."""
    key = ctx.panels.get(panel)
    if key is None:
        return False
    summary = ctx.curves[key]
    tail = tail_change(ctx.run.series(*key), higher_is_better=summary.higher_is_better,
                       bounds=summary.bounds)
    return tail is not None and tail.verdict == "still_improving"


def checkpoints_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """The best checkpoint and whether the metric agrees with the loss (computed once),
    then the log's held-out test scores."""
    return list(ctx.best_findings) + detect_test_results(ctx.run)


def end_of_training_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """How each panel's curve ends; advice to train longer only where nothing forbids it."""
    blockers = [ADVICE_BLOCKERS[f.kind] for f in found if f.kind in ADVICE_BLOCKERS]
    out: list[Finding] = []
    for panel in CURVE_PANELS:
        key = ctx.panels[panel]
        if key is None or ctx.curves[key].ends_non_finite:
            continue  # a diverged curve has no "end of training" to judge
        if any(f.kind is FindingKind.DIVERGENCE and f.panel == panel
               and not f.evidence.get("recovered") for f in found):
            continue  # still coming back from a divergence: that finding says how far
        frame, metric, label = ctx.run.series(*key), key[1], ctx.labels[panel]
        per_epoch = ctx.curves.get((key[0], f"{key[1]}_epoch"))
        if per_epoch is not None and per_epoch.n_finite >= MIN_POINTS_FOR_END_VERDICT \
                and not per_epoch.ends_non_finite:
            # A noisy per-step loss hides what its per-epoch mean shows: judge on the mean.
            frame, metric = ctx.run.series(*per_epoch.key), per_epoch.metric
            label = f"{label} (its per-epoch mean)"
        out += detect_end_of_training(
            frame, split=key[0], metric=metric, label=label, panel=panel,
            higher_is_better=ctx.curves[key].higher_is_better, bounds=ctx.curves[key].bounds,
            unit="logged point" if key[0] == "train" else "evaluation",
            advise=panel in ADVICE_PANELS, blocked_by=blockers[0] if blockers else None)
    return out


def scores_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """What the scored predictions say (chrF source, paired tests, whitespace)."""
    return list(ctx.scores.findings) if ctx.scores is not None else []


def caveats_family(ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
    """Too few points, few evaluations, dataset size, few epochs, ingest warnings."""
    out: list[Finding] = []
    for panel in CURVE_PANELS:
        key = ctx.panels[panel]
        if key is not None:
            out += detect_too_few_points(
                ctx.curves[key], label=ctx.labels[panel], total_steps=ctx.total_steps,
                logging_steps=int_or_none(ctx.run.meta.get("logging_steps")),
                eval_steps=int_or_none(ctx.run.meta.get("eval_steps")))
        else:
            out.append(_no_data(ctx, panel))
    out += detect_few_evaluations(ctx.n_evaluations)
    out += detect_small_dataset(ctx.run.meta, epochs=ctx.epochs)
    # A plateau, a rise of validation loss or an early stop shown: the run was long enough.
    shown = any(f.kind in (FindingKind.PLATEAU, FindingKind.OVERFITTING,
                           FindingKind.VAL_LOSS_RISING, FindingKind.EARLY_STOPPING)
                for f in found)
    out += detect_few_epochs(ctx.epochs, source=ctx.epochs_source, shown=shown,
                             planned=ctx.run.meta.get("epochs_planned"))
    out += [Finding(FindingKind.INGEST_WARNING, Severity.WARNING,
                    say("ingest_warning", text=str(text).strip(),
                        end="" if str(text).strip().endswith((".", "?", "!")) else "."),
                    {"index": i, "rule": "ingest", "warning": str(text)}, panel="caveat")
            for i, text in enumerate(ctx.run.warnings)]
    return out


RULE_FAMILIES: tuple[RuleFamily, ...] = (
    anomalies_family,
    generalization_family,
    progress_family,
    checkpoints_family,
    end_of_training_family,
    scores_family,
    caveats_family,
)
"""The rule families :func:`analyze_run` calls, in order (each sees what the ones before found)."""

def _no_data(ctx: AnalysisContext, panel: str) -> Finding:
    if panel == "val_loss" and ctx.metric_name:  # evaluated (mAP...), without a loss
        others = len({m for s, m in ctx.curves if s == "eval"}) > 1
        return Finding(FindingKind.NO_DATA, Severity.WARNING,
                       say("no_data.val_loss_evaluated", metric=ctx.metric_name,
                           others=" and other metrics" if others else ""),
                       {"panel": panel, "rule": "no_data"}, panel=panel)
    final = ctx.run.meta.get("final_eval")
    if panel == "val_loss" and isinstance(final, dict) and "eval_loss" in final:
        return Finding(FindingKind.NO_DATA, Severity.WARNING,
                       say("no_data.val_loss_final", file=str(final.get("file")),
                           value=float(final["eval_loss"])),
                       {"panel": panel, "rule": "no_data", "final_eval": final}, panel=panel)
    tested = sorted({m for s, m in ctx.curves if s == "test"})
    if panel == "val_loss" and tested:
        return Finding(FindingKind.NO_DATA, Severity.WARNING, say("no_data.val_loss_tested"),
                       {"panel": panel, "rule": "no_data", "test_metrics": tested}, panel=panel)
    if panel in ("train_loss", "val_loss"):
        return Finding(FindingKind.NO_DATA, Severity.WARNING, say(f"no_data.{panel}"),
                       {"panel": panel, "rule": "no_data"}, panel=panel)
    derived = sorted({metric_display_name(m) for s, m in ctx.curves
                      if s == "eval" and is_loss_derived(m) and m != "loss"})
    extra = ""
    if derived:
        extra = say("no_data.derived", names=" and ".join(derived),
                    verb="is" if len(derived) == 1 else "are",
                    pronoun="it" if len(derived) == 1 else "they")
    scored = [m for m in tested if m != "loss" and not is_loss_derived(m)]
    if scored:
        # As the log names them (and as the test-results finding quotes them).
        rows = ctx.run.scalars[(ctx.run.scalars["split"] == "test")
                               & ctx.run.scalars["metric"].isin(scored)]
        names = " and ".join(sorted(set(rows["source_key"].astype(str))))
        return Finding(FindingKind.NO_DATA, Severity.INFO,
                       say("no_data.eval_metric_tested", names=names, derived=extra),
                       {"panel": panel, "rule": "no_data", "loss_derived": derived,
                        "test_metrics": scored}, panel=panel)
    return Finding(FindingKind.NO_DATA, Severity.INFO, say("no_data.eval_metric", derived=extra),
                   {"panel": panel, "rule": "no_data", "loss_derived": derived}, panel=panel)


__all__ = [
    "ADVICE_BLOCKERS",
    "ADVICE_PANELS",
    "CURVE_PANELS",
    "LOSS_PANELS",
    "RULE_FAMILIES",
    "AnalysisContext",
    "RuleFamily",
    "anomalies_family",
    "caveats_family",
    "checkpoints_family",
    "end_of_training_family",
    "generalization_family",
    "progress_family",
    "scores_family",
]
