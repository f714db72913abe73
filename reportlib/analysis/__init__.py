"""Analysis: pure functions from a run's tidy scalars to summaries and findings.

Never imports plotting libraries. The entry point is :func:`analyze_run`;
:func:`smooth_ema` is TensorBoard's smoothing, used by the figure.
"""

from __future__ import annotations

from reportlib.analysis.curves import (
    CurveSummary,
    noise_scale,
    smooth_ema,
    summarize_curve,
    trend,
)
from reportlib.analysis.findings import PANELS, Finding, FindingKind, Severity
from reportlib.analysis.rules import (
    BestCheckpoint,
    CheckpointChoice,
    compare_best_checkpoints,
    detect_end_of_training,
    detect_few_epochs,
    detect_few_evaluations,
    detect_non_finite,
    detect_overfitting,
    detect_plateau,
    detect_small_dataset,
    detect_spikes,
    detect_still_improving,
    detect_too_few_points,
    detect_train_val_gap,
    spearman_rho,
)
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
    "BestCheckpoint",
    "CheckpointChoice",
    "CurveSummary",
    "Finding",
    "FindingKind",
    "RunAnalysis",
    "Severity",
    "analyze_run",
    "compare_best_checkpoints",
    "detect_end_of_training",
    "detect_few_epochs",
    "detect_few_evaluations",
    "detect_non_finite",
    "detect_overfitting",
    "detect_plateau",
    "detect_small_dataset",
    "detect_spikes",
    "detect_still_improving",
    "detect_too_few_points",
    "detect_train_val_gap",
    "evaluation_frame",
    "main_eval_metric",
    "noise_scale",
    "smooth_ema",
    "spearman_rho",
    "summarize_curve",
    "trend",
]
