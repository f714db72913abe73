"""What a run's scored predictions say: is the chrF gain real, and which samples moved.

Input is a :class:`~reportlib.scoring.ScoringResult` (corpus chrF, 95%
bootstrap intervals, per-sample chrF and sacrebleu's paired bootstrap tests,
all computed by :mod:`reportlib.scoring`); output is a frozen
:class:`ScoreAnalysis` with its findings. Pure: no file is read here.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.templates import say
from reportlib.formatting import plural
from reportlib.run import Run, make_scalars

if TYPE_CHECKING:  # the scoring layer is only needed for type hints here
    from reportlib.scoring import PairedComparison, ScoringResult

SAMPLE_CHANGE_TOLERANCE = 1.0
"""Per-sample chrF moves smaller than this many points count as "stayed".

One changed character in a snippet of a few hundred characters touches up to
six character n-grams of each order and moves its chrF by roughly a point;
smaller moves are not a different output worth counting."""

LOGGED_CHRF_TOLERANCE = 0.01
"""chrF points by which the log's own chrF may differ from the recomputed one.

Loggers round (HF prints 4 decimals); a larger difference means the log used
other settings (tokenisation, whitespace, different references)."""

TOP_SAMPLES = 3
"""How many most-improved and most-regressed samples the report shows."""

COMPUTED_CHRF_KEY = "sacrebleu:chrF (computed from predictions)"
"""``source_key`` of chrF rows added from predictions when the log has none."""


@dataclass(frozen=True)
class CheckpointChrf:
    """Corpus chrF of one checkpoint with its 95% bootstrap interval (None without bootstrap)."""

    step: int
    score: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SampleChange:
    """One sample's chrF at the first and at the best checkpoint."""

    id: Hashable
    first: float
    best: float

    @property
    def delta(self) -> float:
        """Best minus first."""
        return self.best - self.first


@dataclass(frozen=True)
class ScoreAnalysis:
    """The evidence behind the chrF numbers of a report.

    Attributes
    ----------
    checkpoints:
        Corpus chrF with interval per scored checkpoint, by step.
    first_step, best_step, last_step:
        The first checkpoint, the best by corpus chrF, the last.
    improved, stayed, regressed:
        Samples whose chrF rose, moved less than :data:`SAMPLE_CHANGE_TOLERANCE`,
        or fell, from the first to the best checkpoint.
    top_improved, top_regressed:
        The samples that moved most each way (at most :data:`TOP_SAMPLES`; a
        regressed list holds only samples that really fell).
    signatures:
        sacrebleu's signature of each metric.
    logged_max_difference:
        Largest |logged chrF - computed chrF| over shared steps; None when the
        log has no chrF at those steps.
    whitespace:
        Whether chrF counted whitespace.
    findings:
        What the report says about it.
    """

    checkpoints: tuple[CheckpointChrf, ...]
    first_step: int
    best_step: int
    last_step: int
    improved: int
    stayed: int
    regressed: int
    top_improved: tuple[SampleChange, ...]
    top_regressed: tuple[SampleChange, ...]
    signatures: dict[str, str]
    logged_max_difference: float | None
    whitespace: bool
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for ``summary.json``."""
        def change(c: SampleChange) -> dict[str, Any]:
            return {"id": c.id, "first": c.first, "best": c.best, "delta": c.delta}

        return {
            "signatures": dict(self.signatures),
            "whitespace": self.whitespace,
            "checkpoints": [{"step": c.step, "score": c.score, "low": c.low, "high": c.high}
                            for c in self.checkpoints],
            "first_step": self.first_step,
            "best_step": self.best_step,
            "last_step": self.last_step,
            "samples": {"improved": self.improved, "stayed": self.stayed,
                        "regressed": self.regressed, "tolerance": SAMPLE_CHANGE_TOLERANCE},
            "top_improved": [change(c) for c in self.top_improved],
            "top_regressed": [change(c) for c in self.top_regressed],
            "logged_max_difference": self.logged_max_difference,
        }


def analyze_scores(scores: ScoringResult, run: Run | None = None) -> ScoreAnalysis:
    """Analyse scored predictions: significance of the gain, sample movements, log agreement.

    Parameters
    ----------
    scores:
        What :func:`reportlib.scoring.score_run` returned for the run (at least one checkpoint).
    run:
        The run, to compare the log's own chrF with the computed one (optional).

    Returns
    -------
    ScoreAnalysis
    """
    first, best, last = scores.checkpoints[0], scores.best, scores.checkpoints[-1]
    checkpoints = tuple(
        CheckpointChrf(
            c.step, float(c.chrf.score),
            None if c.chrf.bootstrap is None else float(c.chrf.bootstrap.low),
            None if c.chrf.bootstrap is None else float(c.chrf.bootstrap.high),
        )
        for c in scores.checkpoints
    )
    delta = np.asarray(best.chrf.per_sample, float) - np.asarray(first.chrf.per_sample, float)
    improved = int((delta >= SAMPLE_CHANGE_TOLERANCE).sum())
    regressed = int((delta <= -SAMPLE_CHANGE_TOLERANCE).sum())
    stayed = len(delta) - improved - regressed
    changes = [SampleChange(i, float(a), float(b)) for i, a, b in
               zip(scores.ids, first.chrf.per_sample, best.chrf.per_sample, strict=True)]
    # Stable sorts: ties keep the references' order, so the gallery is deterministic.
    by_gain = sorted(changes, key=lambda c: -c.delta)
    top_improved = tuple(c for c in by_gain[:TOP_SAMPLES] if c.delta >= SAMPLE_CHANGE_TOLERANCE)
    top_regressed = tuple(c for c in sorted(changes, key=lambda c: c.delta)[:TOP_SAMPLES]
                          if c.delta <= -SAMPLE_CHANGE_TOLERANCE)
    logged = _logged_difference(run, checkpoints) if run is not None else None
    findings = [_source_finding(scores, logged)]
    findings += [_paired_finding(p, len(scores.ids), improved, stayed, regressed)
                 for p in scores.paired if p.metric == first.chrf.name]
    if not scores.whitespace:
        findings.append(Finding(
            FindingKind.CHRF_IGNORES_WHITESPACE, Severity.INFO, scores.whitespace_note,
            {"rule": "chrf_whitespace", "whitespace": False}, panel="caveat"))
    return ScoreAnalysis(
        checkpoints=checkpoints, first_step=first.step, best_step=best.step,
        last_step=last.step, improved=improved, stayed=stayed, regressed=regressed,
        top_improved=top_improved, top_regressed=top_regressed,
        signatures=dict(scores.signatures), logged_max_difference=logged,
        whitespace=scores.whitespace, findings=tuple(f for f in findings if f is not None),
    )


def add_computed_chrf(run: Run, scores: ScoringResult) -> Run:
    """The run with computed chrF rows as its ``("eval", "chrf")`` curve, when its log has none.

    Epochs are taken from other eval rows at the same step. A run whose log
    already has chrF is returned unchanged (the two are compared instead).
    """
    has_chrf = ((run.scalars["split"] == "eval") & (run.scalars["metric"] == "chrf")).any()
    if has_chrf or not scores.checkpoints or scores.keyed_by != "step":
        return run
    evals = run.scalars[run.scalars["split"] == "eval"].drop_duplicates("step")
    epochs = dict(zip(evals["step"], evals["epoch"], strict=True))
    rows = [{"step": c.step, "epoch": epochs.get(c.step, math.nan), "split": "eval",
             "metric": "chrf", "value": c.chrf.score, "wall_time": math.nan,
             "source_key": COMPUTED_CHRF_KEY} for c in scores.checkpoints]
    added = make_scalars(rows)
    scalars = (pd.concat([run.scalars, added], ignore_index=True)
               .sort_values(["step", "split", "metric"], kind="stable").reset_index(drop=True))
    return Run(name=run.name, path=run.path, format=run.format, scalars=scalars,
               meta=run.meta, predictions=run.predictions, warnings=list(run.warnings),
               input_files=list(run.input_files))


def _logged_difference(run: Run, checkpoints: tuple[CheckpointChrf, ...]) -> float | None:
    scalars = run.scalars
    # The computed chrF, added as the chrF curve when the log has none, is no
    # log value: compared with itself it would "match" with difference 0.
    logged = scalars[(scalars["split"] == "eval") & (scalars["metric"] == "chrf")
                     & (scalars["source_key"] != COMPUTED_CHRF_KEY)]
    logged = logged.drop_duplicates("step", keep="last")
    logged = logged[logged["step"].isin([c.step for c in checkpoints])]
    logged = logged[np.isfinite(logged["value"])]
    if logged.empty:
        return None
    computed = pd.Series({c.step: c.score for c in checkpoints})
    differences = logged["value"].to_numpy() - computed[logged["step"]].to_numpy()
    return float(np.abs(differences).max())


def _source_finding(scores: ScoringResult, logged: float | None) -> Finding:
    n = len(scores.checkpoints)
    signature = scores.signatures.get(scores.checkpoints[0].chrf.name, "")
    severity = Severity.INFO
    if logged is None:
        comparison = say("chrf_source.no_log")
    elif logged <= LOGGED_CHRF_TOLERANCE:
        comparison = say("chrf_source.matches", difference=logged)
    else:
        severity = Severity.WARNING
        comparison = say("chrf_source.differs", difference=logged)
    message = say("chrf_source", checkpoints=plural(n, "checkpoint"),
                  samples=plural(len(scores.ids), "sample"), signature=signature,
                  comparison=comparison)
    return Finding(FindingKind.CHRF_SOURCE, severity, message,
                   {"rule": "chrf_source", "checkpoints": n, "samples": len(scores.ids),
                    "signature": signature,
                    "logged_max_difference": logged}, panel="eval_metric")


def _paired_finding(test: PairedComparison, n_samples: int, improved: int, stayed: int,
                    regressed: int) -> Finding | None:
    if test.p_value is None:
        return None  # nothing was tested (e.g. the best is the first); the note is in summary.json
    evidence = {"rule": "paired_bootstrap", "label": test.label,
                "steps": [test.baseline_step, test.system_step],
                "baseline_step": test.baseline_step,
                "system_step": test.system_step, "baseline": test.baseline_score,
                "system": test.system_score, "delta": test.delta, "p_value": test.p_value,
                "n_bootstrap": test.n_bootstrap, "samples": n_samples,
                "noise_claims": [{"steps": sorted({test.baseline_step, test.system_step}),
                                  "significant": bool(test.significant),
                                  "p_value": test.p_value}]}
    numbers = {"first": test.baseline_score, "best": test.system_score,
               "delta": f"{test.delta:+.3g}", "first_step": test.baseline_step,
               "best_step": test.system_step,
               "test": say("chrf_test", samples=plural(n_samples, "validation sample"),
                           resamples=test.n_bootstrap, p_value=f"{test.p_value:.3g}")}
    if test.label == "first_vs_best":
        evidence.update(improved=improved, stayed=stayed, regressed=regressed,
                        tolerance=SAMPLE_CHANGE_TOLERANCE)
        moved = say("chrf_moved", improved=improved, stayed=stayed, regressed=regressed,
                    tolerance=float(SAMPLE_CHANGE_TOLERANCE))
        if test.significant:
            return Finding(FindingKind.CHRF_GAIN_SIGNIFICANT, Severity.INFO,
                           say("chrf_gain_significant", moved=moved, **numbers),
                           evidence, panel="eval_metric")
        return Finding(FindingKind.CHRF_GAIN_NOT_SIGNIFICANT, Severity.WARNING,
                       say("chrf_gain_not_significant", moved=moved, **numbers),
                       evidence, panel="eval_metric")
    if test.significant and test.delta < 0:
        return Finding(FindingKind.CHRF_DROP_AFTER_BEST, Severity.WARNING,
                       say("chrf_drop_after_best", **numbers), evidence, panel="eval_metric")
    return None


__all__ = [
    "COMPUTED_CHRF_KEY", "LOGGED_CHRF_TOLERANCE", "SAMPLE_CHANGE_TOLERANCE", "TOP_SAMPLES",
    "CheckpointChrf", "SampleChange", "ScoreAnalysis", "add_computed_chrf", "analyze_scores",
]
