"""Analysis: pure functions from a run's tidy scalars to summaries and findings.

Never imports plotting libraries. The entry point is :func:`analyze_run`,
which runs the rule families of :data:`RULE_FAMILIES` (one module per verdict
family: :mod:`~reportlib.analysis.anomalies`, :mod:`~reportlib.analysis.generalization`,
:mod:`~reportlib.analysis.checkpoints`, :mod:`~reportlib.analysis.end_of_training`,
:mod:`~reportlib.analysis.caveats`); every sentence they write is a template of
:mod:`reportlib.analysis.templates`. :func:`smooth_ema` is TensorBoard's
smoothing, used by the figure.
"""

from __future__ import annotations

from reportlib.analysis.anomalies import detect_divergence, detect_non_finite, detect_spikes
from reportlib.analysis.caveats import (
    dataset_sizes,
    detect_few_epochs,
    detect_few_evaluations,
    detect_small_dataset,
    detect_too_few_points,
)
from reportlib.analysis.checkpoints import (
    BestCheckpoint,
    CheckpointChoice,
    PairTest,
    compare_best_checkpoints,
    spearman_rho,
)
from reportlib.analysis.curves import CurveSummary, smooth_ema, summarize_curve, trend
from reportlib.analysis.end_of_training import TailChange, detect_end_of_training, tail_change
from reportlib.analysis.families import RULE_FAMILIES, AnalysisContext
from reportlib.analysis.findings import PANELS, Finding, FindingKind, Severity
from reportlib.analysis.generalization import (
    detect_early_stopping,
    detect_overfitting,
    detect_train_val_gap,
)
from reportlib.analysis.noise import noise_scale, resolution
from reportlib.analysis.run_analysis import (
    CURVE_PANELS,
    RunAnalysis,
    analyze_run,
    evaluation_frame,
    main_eval_metric,
)

__all__ = [
    "CURVE_PANELS",
    "PANELS",
    "RULE_FAMILIES",
    "AnalysisContext",
    "BestCheckpoint",
    "CheckpointChoice",
    "CurveSummary",
    "Finding",
    "FindingKind",
    "PairTest",
    "RunAnalysis",
    "Severity",
    "TailChange",
    "analyze_run",
    "compare_best_checkpoints",
    "dataset_sizes",
    "detect_divergence",
    "detect_early_stopping",
    "detect_end_of_training",
    "detect_few_epochs",
    "detect_few_evaluations",
    "detect_non_finite",
    "detect_overfitting",
    "detect_small_dataset",
    "detect_spikes",
    "detect_too_few_points",
    "detect_train_val_gap",
    "evaluation_frame",
    "main_eval_metric",
    "noise_scale",
    "resolution",
    "smooth_ema",
    "spearman_rho",
    "summarize_curve",
    "tail_change",
    "trend",
]
