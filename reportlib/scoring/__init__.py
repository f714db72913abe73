"""chrF (and chrF++, BLEU) of a run's prediction files, exactly as sacrebleu computes them.

Public API::

    score_run(run, *, chrf_plus_plus=False, bleu=False, whitespace=False,
              n_bootstrap=1000, seed=12345, jobs=None, cache_dir=None) -> ScoringResult
    format_score_table(result) -> str

Import-time dependencies stay light (numpy, sacrebleu): pandas is imported
only by ``ScoringResult.per_sample_frame``.
"""

from __future__ import annotations

from reportlib.scoring.bootstrap import DEFAULT_N_BOOTSTRAP, DEFAULT_SEED, BootstrapInterval
from reportlib.scoring.result import (
    SIGNIFICANCE_LEVEL,
    CheckpointScores,
    MetricScore,
    PairedComparison,
    ScoringResult,
    format_score_table,
)
from reportlib.scoring.runner import (
    SCORING_VERSION,
    gallery_texts,
    score_predictions,
    score_run,
)

__all__ = [
    "DEFAULT_N_BOOTSTRAP",
    "DEFAULT_SEED",
    "SCORING_VERSION",
    "SIGNIFICANCE_LEVEL",
    "BootstrapInterval",
    "CheckpointScores",
    "MetricScore",
    "PairedComparison",
    "ScoringResult",
    "format_score_table",
    "gallery_texts",
    "score_predictions",
    "score_run",
]
