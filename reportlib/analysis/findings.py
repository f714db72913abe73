"""Findings: what the analysis concluded about a run, with the numbers behind it.

A :class:`Finding` is a small record: a :class:`FindingKind`, a
:class:`Severity`, a one-sentence plain-text ``message`` built by a template
from the numbers, the ``evidence`` (those numbers, JSON-safe), the report
``panel`` it belongs to and the curve it is about. The narrative renders
findings; ``summary.json`` lists them for machines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reportlib.errors import ParameterError


class FindingKind(str, Enum):
    """The known kinds of finding (their values appear in ``summary.json``)."""

    OVERFITTING = "overfitting"
    """Validation loss bottomed out, then rose beyond its noise while training loss kept falling."""
    VAL_LOSS_RISING = "val_loss_rising"
    """Validation loss rose beyond its noise after its minimum; training loss did not fall."""
    NO_OVERFITTING = "no_overfitting"
    """Enough evaluations, and validation loss did not rise beyond its noise after its minimum."""
    TRAIN_VAL_GAP = "train_val_gap"
    """The gap between validation and training loss, and how it changed."""
    PLATEAU = "plateau"
    """The curve stopped changing over its last stretch."""
    STILL_IMPROVING = "still_improving"
    """The curve was still improving beyond its noise at the end (advice to train longer only
    for validation curves, and never next to overfitting, divergence or NaN)."""
    GETTING_WORSE = "getting_worse"
    """The curve was getting worse beyond its noise over its last stretch."""
    DIVERGENCE = "divergence"
    """A loss climbed far above its best level so far for a sustained stretch (with where,
    how high, whether it recovered and the learning rate then)."""
    NO_IMPROVEMENT = "no_improvement"
    """From its first logged points (at the start of training) to its last, the curve did not
    improve beyond its noise (its whole-run trend is flat) or got worse."""
    EARLY_STOPPING = "early_stopping"
    """Where an early-stopping rule on validation loss would have stopped, and the steps saved."""
    SPIKE = "spike"
    """Isolated values far from their neighbours, in the bad direction."""
    NON_FINITE = "non_finite"
    """NaN or infinite values were logged."""
    BROKEN_OBJECTIVE = "broken_objective"
    """A loss that cannot be one being minimised: unbounded below, or exactly constant."""
    BEST_CHECKPOINT = "best_checkpoint"
    """The best checkpoint by validation loss and by the evaluation metric."""
    METRIC_AGREES_WITH_LOSS = "metric_agrees_with_loss"
    """The evaluation metric and validation loss move together over the evaluations."""
    METRIC_DISAGREES_WITH_LOSS = "metric_disagrees_with_loss"
    """The evaluation metric and validation loss point at different checkpoints or move apart."""
    TEST_RESULTS = "test_results"
    """The run's held-out test scores (the last value of each test curve), reported as
    logged and never used as the validation curve."""
    CHRF_SOURCE = "chrf_source"
    """Where the report's chrF comes from (predictions or the log), and whether they agree."""
    CHRF_GAIN_SIGNIFICANT = "chrf_gain_significant"
    """chrF rose from the first to the best checkpoint by more than the noise (paired test)."""
    CHRF_GAIN_NOT_SIGNIFICANT = "chrf_gain_not_significant"
    """chrF's rise from the first to the best checkpoint is within the validation set's noise."""
    CHRF_DROP_AFTER_BEST = "chrf_drop_after_best"
    """The last checkpoint's chrF is below the best by more than the noise (paired test)."""
    CHRF_IGNORES_WHITESPACE = "chrf_ignores_whitespace"
    """chrF as computed ignores whitespace, so indentation changes are invisible to it."""
    INCONCLUSIVE = "inconclusive"
    """A question the analysis could not answer from this log (the evidence says which)."""
    TOO_FEW_POINTS = "too_few_points"
    """A curve has too few logged points for a trend."""
    FEW_EVALUATIONS = "few_evaluations"
    """The run was evaluated only a few times."""
    SMALL_DATASET = "small_dataset"
    """The training set is small."""
    FEW_EPOCHS = "few_epochs"
    """The run trained for few epochs."""
    NO_DATA = "no_data"
    """A panel of the report has no data in this log."""
    INGEST_WARNING = "ingest_warning"
    """Something reading the log noticed and repaired or skipped."""


class Severity(str, Enum):
    """How much a finding matters: ``info``, ``warning`` or ``critical``."""

    INFO = "info"
    """A fact worth knowing; nothing wrong."""
    WARNING = "warning"
    """Something a reader should check before trusting or reusing the run."""
    CRITICAL = "critical"
    """The run is broken in a way that invalidates its numbers (NaN/inf in a loss)."""


PANELS: tuple[str, ...] = ("train_loss", "val_loss", "eval_metric", "overall", "caveat")
"""Where a finding is shown: a curve panel, the overall observations, or the caveats."""


@dataclass(frozen=True)
class Finding:
    """One conclusion of the analysis.

    Attributes
    ----------
    kind:
        What was found.
    severity:
        How much it matters.
    message:
        One plain-text sentence built from the evidence (not escaped: the
        renderer escapes it, since it may quote metric names from a log).
    evidence:
        The numbers behind the message, JSON-safe (int, float, str, bool, None,
        lists and dicts of those). Treat as read-only. Findings about one curve
        carry its ``split`` and ``metric``; spike and non-finite findings carry
        ``steps`` and ``values`` lists (non-finite values as ``"nan"``,
        ``"inf"``, ``"-inf"`` strings).
    panel:
        One of :data:`PANELS`.
    """

    kind: FindingKind
    severity: Severity
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    panel: str = "overall"

    def __post_init__(self) -> None:
        if self.panel not in PANELS:
            raise ParameterError(f"panel must be one of {', '.join(PANELS)}, got {self.panel!r}")
        if not isinstance(self.kind, FindingKind):
            raise ParameterError(f"kind must be a FindingKind, got {self.kind!r}")
        if not isinstance(self.severity, Severity):
            raise ParameterError(f"severity must be a Severity, got {self.severity!r}")

    @property
    def curve(self) -> tuple[str, str] | None:
        """The ``(split, metric)`` the finding is about, or None for run-level findings."""
        split, metric = self.evidence.get("split"), self.evidence.get("metric")
        if split is None or metric is None:
            return None
        return (str(split), str(metric))

    def to_dict(self) -> dict[str, Any]:
        """The finding as ``summary.json`` writes it: kind, severity, panel, message, evidence."""
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "panel": self.panel,
            "message": self.message,
            "evidence": dict(self.evidence),
        }


__all__ = ["PANELS", "Finding", "FindingKind", "Severity"]
