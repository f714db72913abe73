"""Compare runs: which is best by validation loss and by the evaluation metric, beyond noise?

:func:`compare_runs` takes each run's :class:`~reportlib.analysis.RunAnalysis`
(and, when its predictions were scored, its scoring result) and returns a
frozen :class:`RunComparison`: one :class:`RunEntry` per run (its best
checkpoints) and, for each criterion, one :class:`Difference` between the best
run and every other run, saying whether the gap is larger than the noise:

- validation loss: the gap against :data:`COMPARE_NOISE_MULTIPLIER` standard
  deviations of the difference of two noisy values (each curve's
  point-to-point noise, :func:`~reportlib.analysis.noise_scale`);
- the metric, when both runs' predictions were scored against the same
  references: sacrebleu's paired bootstrap test between their best
  checkpoints (same samples, same resamples);
- the metric, scored on different references: whether the 95% bootstrap
  intervals overlap (no paired test is possible);
- the metric, from the logs only: the curve-noise rule, as for the loss.

No plotting here; the sentences are written by :mod:`reportlib.present.comparison`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportlib.analysis._common import finite_or_none
from reportlib.analysis.run_analysis import RunAnalysis
from reportlib.analysis.seeds import SeedGroup, seed_groups
from reportlib.errors import ParameterError
from reportlib.metrics import display_name
from reportlib.scoring.result import SIGNIFICANCE_LEVEL

COMPARE_NOISE_MULTIPLIER = 2.0
"""A gap between two runs' best values counts when it exceeds this many standard
deviations of the difference of two noisy values, sqrt(noise_a**2 + noise_b**2):
about a 95% two-sided level for Gaussian noise, the same level as the trend rule."""

METHODS: tuple[str, ...] = ("paired_bootstrap", "intervals", "curve_noise", "none")
"""How a difference was judged against noise (the values of :attr:`Difference.method`)."""

CRITERIA: tuple[str, ...] = ("val_loss", "metric")
"""What runs are ranked by: lowest validation loss, best evaluation metric."""


@dataclass(frozen=True)
class RunEntry:
    """One run of a comparison: its best checkpoints and the noise of its curves.

    Attributes
    ----------
    name, title:
        The run's name and run.yaml title.
    best_val_loss, best_val_step, best_val_epoch, val_loss_noise:
        Lowest validation loss, where, and the curve's noise (None when not logged).
    final_train_loss:
        Last finite training loss.
    metric, metric_name:
        The evaluation metric's normalised and display names (``"chrf"``, ``"chrF"``).
    higher_is_better:
        The metric's direction.
    best_metric, best_metric_step, best_metric_epoch, metric_noise:
        Its best value in the log, where, and its curve's noise.
    scored:
        Whether the metric below comes from scoring the prediction files.
    scored_step, scored_value, scored_low, scored_high:
        Best checkpoint by the scored chrF, its corpus chrF and 95% bootstrap interval.
    references_sha256:
        Hash of the references the predictions were scored against.
    n_warnings:
        Warning and critical findings of the run's own analysis.
    """

    name: str
    title: str | None
    best_val_loss: float | None
    best_val_step: int | None
    best_val_epoch: float | None
    val_loss_noise: float | None
    final_train_loss: float | None
    metric: str | None
    metric_name: str | None
    higher_is_better: bool | None
    best_metric: float | None
    best_metric_step: int | None
    best_metric_epoch: float | None
    metric_noise: float | None
    scored: bool = False
    scored_step: int | None = None
    scored_value: float | None = None
    scored_low: float | None = None
    scored_high: float | None = None
    references_sha256: str | None = None
    n_warnings: int = 0

    def value(self, criterion: str) -> float | None:
        """The run's best value by ``criterion`` (``"val_loss"`` or ``"metric"``)."""
        if criterion == "val_loss":
            return self.best_val_loss
        return self.scored_value if self.scored else self.best_metric


@dataclass(frozen=True)
class Difference:
    """The gap between the best run and another one, by one criterion.

    Attributes
    ----------
    criterion:
        ``"val_loss"`` or ``"metric"``.
    best, other:
        Names of the best run and of the run compared with it.
    best_value, other_value:
        Their values; ``gap`` is how much better the best run is (positive).
    method:
        One of :data:`METHODS`.
    threshold:
        The gap needed to count (curve noise); None for the bootstrap methods.
    p_value:
        The paired bootstrap test's p-value (``paired_bootstrap`` only).
    larger_than_noise:
        The verdict; None when it cannot be told (``method == "none"``).
    note:
        Why this method was used (e.g. "the runs were scored on different references").
    """

    criterion: str
    best: str
    other: str
    best_value: float
    other_value: float
    gap: float
    method: str
    threshold: float | None
    p_value: float | None
    larger_than_noise: bool | None
    note: str = ""


@dataclass(frozen=True)
class RunComparison:
    """Runs side by side.

    Attributes
    ----------
    runs:
        One :class:`RunEntry` per run, in the order given.
    metric_name:
        Display name of the metric all runs share (None if they share none).
    best_by_val_loss, best_by_metric:
        Name of the best run by each criterion (None when no run has the values).
    differences:
        Best run vs each other run, validation loss first, then the metric.
    shared_references:
        Whether every scored run was scored against the same references.
    not_comparable:
        Why the runs are not ranked by their metric (scored against different
        references, or no metric in common) or at all (they declare different
        tasks or datasets): one reason per line, empty when they are ranked.
    different_tasks:
        The runs declare different tasks or datasets: neither their losses nor
        their metrics are ranked.
    seed_groups:
        Runs that differ only by their seed, with mean and spread over the seeds
        (:func:`reportlib.analysis.seeds.seed_groups`; empty without metadata).
    """

    runs: tuple[RunEntry, ...]
    metric_name: str | None
    best_by_val_loss: str | None
    best_by_metric: str | None
    differences: tuple[Difference, ...]
    shared_references: bool
    not_comparable: tuple[str, ...] = ()
    seed_groups: tuple[SeedGroup, ...] = ()
    different_tasks: bool = False

    def by(self, criterion: str) -> tuple[Difference, ...]:
        """The differences by ``criterion``."""
        return tuple(d for d in self.differences if d.criterion == criterion)

    def entry(self, name: str) -> RunEntry:
        """The entry of run ``name``.

        Raises
        ------
        reportlib.errors.ParameterError
            No run of that name.
        """
        for entry in self.runs:
            if entry.name == name:
                return entry
        raise ParameterError(f"no run named {name!r} in this comparison",
                             hint=f"runs: {', '.join(e.name for e in self.runs)}")


def run_entry(analysis: RunAnalysis, scores: Any = None) -> RunEntry:
    """The :class:`RunEntry` of one run, from its analysis and optional scoring result.

    ``scores`` is a :class:`reportlib.scoring.ScoringResult` (or None): its best
    checkpoint by corpus chrF, with the bootstrap interval when it has one.
    """
    val = analysis.curve("val_loss")
    train = analysis.curve("train_loss")
    metric = analysis.curve("eval_metric")
    entry: dict[str, Any] = dict(
        name=analysis.run_name,
        title=analysis.title,
        best_val_loss=finite_or_none(val.best) if val else None,
        best_val_step=val.best_step if val else None,
        best_val_epoch=val.best_epoch if val else None,
        val_loss_noise=val.noise if val else None,
        final_train_loss=finite_or_none(train.last) if train else None,
        metric=metric.metric if metric else None,
        metric_name=analysis.eval_metric_name,
        higher_is_better=metric.higher_is_better if metric else None,
        best_metric=finite_or_none(metric.best) if metric else None,
        best_metric_step=metric.best_step if metric else None,
        best_metric_epoch=metric.best_epoch if metric else None,
        metric_noise=metric.noise if metric else None,
        n_warnings=sum(f.severity.value != "info" for f in analysis.findings),
    )
    if scores is not None and getattr(scores, "checkpoints", None):
        best = scores.best
        interval = best.chrf.bootstrap
        entry.update(
            scored=True, scored_step=int(best.step), scored_value=float(best.chrf.score),
            scored_low=None if interval is None else float(interval.low),
            scored_high=None if interval is None else float(interval.high),
            references_sha256=scores.references_sha256,
            metric="chrf", metric_name=display_name("chrf"), higher_is_better=True,
        )
    return RunEntry(**entry)


def _noise_rule(criterion: str, best: RunEntry, other: RunEntry, gap: float,
                noises: tuple[float | None, float | None], note: str) -> Difference:
    a, b = noises
    if a is None or b is None:
        return Difference(criterion, best.name, other.name, best.value(criterion),
                          other.value(criterion), gap, "none", None, None, None,
                          note or "a curve has too few points to estimate its noise")
    threshold = COMPARE_NOISE_MULTIPLIER * math.sqrt(a * a + b * b)
    return Difference(criterion, best.name, other.name, best.value(criterion),
                      other.value(criterion), gap, "curve_noise", threshold, None,
                      gap > threshold, note)


def _metric_difference(best: RunEntry, other: RunEntry, gap: float,
                       scores: Mapping[str, Any]) -> Difference:
    if best.scored and other.scored:
        if best.references_sha256 == other.references_sha256:
            p_value = _paired_p_value(scores[best.name], scores[other.name])
            if p_value is not None:
                return Difference("metric", best.name, other.name, best.scored_value,
                                  other.scored_value, gap, "paired_bootstrap", None,
                                  p_value, p_value < SIGNIFICANCE_LEVEL,
                                  "both runs were scored on the same references")
        if None not in (best.scored_low, best.scored_high, other.scored_low, other.scored_high):
            if best.higher_is_better is False:
                apart = best.scored_high < other.scored_low
            else:
                apart = best.scored_low > other.scored_high
            why = ("the runs were scored on different references, so no paired test is possible"
                   if best.references_sha256 != other.references_sha256
                   else "no bootstrap resamples to pair")
            return Difference("metric", best.name, other.name, best.scored_value,
                              other.scored_value, gap, "intervals", None, None, apart, why)
        return Difference("metric", best.name, other.name, best.scored_value,
                          other.scored_value, gap, "none", None, None, None,
                          "the scores have no bootstrap intervals")
    unscored = [e.name for e in (best, other) if scores.get(e.name) is None]
    note = ("no paired test is possible: "
            + (f"{' and '.join(unscored)} {'has' if len(unscored) == 1 else 'have'} no "
               "prediction files to score" if unscored else
               "not every run of the comparison was scored, so the log's values are compared"))
    return _noise_rule("metric", best, other, gap, (best.metric_noise, other.metric_noise), note)


def _paired_p_value(best_scores: Any, other_scores: Any) -> float | None:
    """sacrebleu's paired bootstrap p-value between the two runs' best checkpoints."""
    from reportlib.scoring.bootstrap import paired_bootstrap

    a, b = best_scores.best.chrf, other_scores.best.chrf
    if a.resampled is None or b.resampled is None or len(a.resampled) != len(b.resampled):
        return None
    if tuple(best_scores.ids) != tuple(other_scores.ids) or best_scores.seed != other_scores.seed:
        return None
    p_value, _, _ = paired_bootstrap(b.score, b.resampled, a.score, a.resampled)
    return p_value


def _rank(entries: Sequence[RunEntry], criterion: str) -> list[RunEntry]:
    have = [e for e in entries if e.value(criterion) is not None]
    if criterion == "val_loss":
        return sorted(have, key=lambda e: e.value(criterion))
    higher = next((e.higher_is_better for e in have if e.higher_is_better is not None), True)
    return sorted(have, key=lambda e: -e.value(criterion) if higher else e.value(criterion))


def task_of(meta: Mapping[str, Any]) -> str | None:
    """The task or dataset a run declares (run.yaml ``task``, else ``dataset.name``), or None."""
    task = meta.get("task")
    if task is None:
        dataset = meta.get("dataset")
        task = dataset.get("name") if isinstance(dataset, Mapping) else dataset
    return None if task is None or isinstance(task, (Mapping, list)) else str(task)


def compare_runs(analyses: Sequence[RunAnalysis],
                 scores: Mapping[str, Any] | None = None,
                 metas: Mapping[str, Mapping[str, Any]] | None = None) -> RunComparison:
    """Compare runs by their best validation loss and best evaluation metric.

    Parameters
    ----------
    analyses:
        Each run's analysis (at least two, with distinct run names).
    scores:
        Run name -> :class:`reportlib.scoring.ScoringResult` for runs whose
        predictions were scored (None or missing: the log's metric is used).
    metas:
        Run name -> the run's metadata, to group runs that differ only by seed,
        and to refuse ranking runs that declare different tasks or datasets
        (:func:`task_of`).

    Returns
    -------
    RunComparison

    Raises
    ------
    reportlib.errors.ParameterError
        Fewer than two runs, or two runs with the same name.
    """
    if len(analyses) < 2:
        raise ParameterError(f"comparing needs at least two runs, got {len(analyses)}",
                             hint="give two or more run folders")
    names = [a.run_name for a in analyses]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError(f"two runs have the same name: {', '.join(twice)}",
                             hint="rename one run folder so the comparison can tell them apart")
    scores = dict(scores or {})
    all_scored = all(scores.get(n) is not None for n in names)
    entries = tuple(run_entry(a, scores.get(a.run_name) if all_scored else None)
                    for a in analyses)
    metric_names = {e.metric for e in entries}
    shared_metric = metric_names.pop() if len(metric_names) == 1 else None
    refs = {e.references_sha256 for e in entries if e.scored}
    not_comparable = []
    if shared_metric is None and len(metric_names) > 1:
        shown = sorted({e.metric_name or e.metric or "none" for e in entries})
        not_comparable.append("the runs do not share an evaluation metric ("
                              + ", ".join(shown) + ")")
    tasks = {name: task_of(meta) for name, meta in (metas or {}).items()}
    different_tasks = len({t for t in tasks.values() if t is not None}) > 1
    if different_tasks:
        # Losses and scores on different data do not rank models: an easier set scores higher.
        shown = ", ".join(f"{name}: {task}" for name, task in tasks.items() if task is not None)
        not_comparable.append(f"the runs declare different tasks or datasets ({shown})")
        shared_metric = None
    if all_scored and len(refs) > 1:
        # Different evaluation sets: a higher score on an easier set says nothing.
        by_ref = ", ".join(f"{e.name}: {str(e.references_sha256)[:12]}" for e in entries)
        not_comparable.append("the runs were scored against different references "
                              f"(sha256 {by_ref})")
        shared_metric = None
    differences: list[Difference] = []
    best_names: dict[str, str | None] = {}
    for criterion in CRITERIA:
        if (criterion == "metric" and shared_metric is None) or different_tasks:
            best_names[criterion] = None
            continue
        ranked = _rank(entries, criterion)
        best_names[criterion] = ranked[0].name if ranked else None
        if not ranked:
            continue
        best = ranked[0]
        for other in ranked[1:]:
            gap = abs(best.value(criterion) - other.value(criterion))
            if criterion == "val_loss":
                differences.append(_noise_rule("val_loss", best, other, gap,
                                               (best.val_loss_noise, other.val_loss_noise), ""))
            else:
                differences.append(_metric_difference(best, other, gap, scores))
    return RunComparison(
        runs=entries,
        metric_name=next((e.metric_name for e in entries if e.metric_name), None)
        if shared_metric else None,
        best_by_val_loss=best_names["val_loss"],
        best_by_metric=best_names["metric"],
        differences=tuple(differences),
        shared_references=all_scored and len(refs) == 1,
        not_comparable=tuple(not_comparable),
        seed_groups=seed_groups(analyses, metas) if metas else (),
        different_tasks=different_tasks,
    )


__all__ = [
    "COMPARE_NOISE_MULTIPLIER",
    "CRITERIA",
    "METHODS",
    "Difference",
    "RunComparison",
    "RunEntry",
    "compare_runs",
    "run_entry",
]
