"""What :func:`reportlib.scoring.score_run` returns, and its text table.

The dataclasses are plain data: corpus scores, per-sample scores, bootstrap
intervals, paired tests and sacrebleu signatures. ``to_dict()`` gives a
JSON-safe view for ``summary.json``; ``per_sample_frame()`` a tidy frame for
plots; :func:`format_score_table` the table ``reportlib score`` prints.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reportlib.scoring.bootstrap import BootstrapInterval

if TYPE_CHECKING:  # pandas is imported by per_sample_frame only
    import pandas as pd

#: The sentence the report shows about whitespace (issue 4, item 2).
WHITESPACE_NOTE_DEFAULT = (
    "chrF ignores whitespace (sacrebleu's default, so scores are comparable with published "
    "numbers): a change of indentation or line breaks alone does not change the score. "
    "Score with whitespace=True (reportlib score --whitespace) to count whitespace as characters."
)
WHITESPACE_NOTE_COUNTED = (
    "chrF counts whitespace as characters here (whitespace=True), so indentation changes "
    "lower the score; these scores are not comparable with chrF published with sacrebleu's "
    "default settings."
)

#: Level below which a paired test's p-value is called significant: the
#: conventional 5%, the level sacrebleu's CLI marks with an asterisk.
SIGNIFICANCE_LEVEL = 0.05


@dataclass(frozen=True)
class MetricScore:
    """One metric of one checkpoint.

    Attributes
    ----------
    name:
        sacrebleu's name: ``"chrF2"``, ``"chrF2++"`` or ``"BLEU"``.
    score:
        The corpus score, equal to sacrebleu's ``corpus_score(...).score``.
    signature:
        sacrebleu's ``metric.get_signature().format()`` for these settings.
    per_sample:
        Sentence scores aligned with :attr:`ScoringResult.ids` (equal to
        ``sentence_score``); None for BLEU, whose sentence scores are not meaningful
        without smoothing choices.
    bootstrap:
        The 95% bootstrap interval; None when ``n_bootstrap < 2``.
    """

    name: str
    score: float
    signature: str
    per_sample: np.ndarray | None
    bootstrap: BootstrapInterval | None
    resampled: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view (per-sample scores: see :meth:`ScoringResult.per_sample_frame`)."""
        out: dict[str, Any] = {"name": self.name, "score": self.score, "signature": self.signature}
        if self.bootstrap is not None:
            b = self.bootstrap
            out["bootstrap"] = {
                "n": b.n,
                "seed": b.seed,
                "mean": b.mean,
                "ci": b.ci,
                "low": b.low,
                "high": b.high,
                "std": b.std,
            }
        return out


@dataclass(frozen=True)
class CheckpointScores:
    """Scores of the prediction file of one checkpoint.

    Attributes
    ----------
    step:
        The checkpoint's step (or epoch: see :attr:`ScoringResult.keyed_by`).
    path:
        Its prediction file.
    sha256:
        Hash of that file's bytes (part of the cache key and of the report's provenance).
    n_samples:
        Number of scored samples (all references).
    chrf, chrf_plus_plus, bleu:
        The metrics; the last two are None unless requested.
    from_cache:
        Whether the statistics came from the cache (nothing re-scored).
    """

    step: int
    path: Path
    sha256: str
    n_samples: int
    chrf: MetricScore
    chrf_plus_plus: MetricScore | None = None
    bleu: MetricScore | None = None
    from_cache: bool = False

    @property
    def metrics(self) -> list[MetricScore]:
        """The metrics computed, chrF first."""
        return [m for m in (self.chrf, self.chrf_plus_plus, self.bleu) if m is not None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view."""
        return {
            "step": self.step,
            "path": str(self.path),
            "sha256": self.sha256,
            "n_samples": self.n_samples,
            "from_cache": self.from_cache,
            "metrics": {m.name: m.to_dict() for m in self.metrics},
        }


@dataclass(frozen=True)
class PairedComparison:
    """sacrebleu's paired bootstrap test between two checkpoints, for one metric.

    Attributes
    ----------
    label:
        ``"first_vs_best"`` or ``"best_vs_last"``.
    metric:
        sacrebleu's metric name.
    baseline_step, system_step:
        The checkpoints compared; sacrebleu's "baseline" is the earlier one.
    baseline_score, system_score:
        Their corpus scores; ``delta`` is system minus baseline.
    p_value:
        sacrebleu's two-sided p-value (``(c + 1) / (n + 1)``); None when no
        test was run (see ``note``).
    system_mean, system_ci:
        sacrebleu's bootstrap mean and half-width for the system in this test.
    n_bootstrap, seed:
        The resampling used.
    note:
        Why no test was run, or a caveat; None otherwise.
    """

    label: str
    metric: str
    baseline_step: int
    system_step: int
    baseline_score: float
    system_score: float
    p_value: float | None
    system_mean: float | None
    system_ci: float | None
    n_bootstrap: int
    seed: int
    note: str | None = None

    @property
    def delta(self) -> float:
        """System score minus baseline score."""
        return self.system_score - self.baseline_score

    @property
    def significant(self) -> bool | None:
        """p-value below :data:`SIGNIFICANCE_LEVEL`; None when there is no p-value."""
        return None if self.p_value is None else self.p_value < SIGNIFICANCE_LEVEL

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view."""
        return {
            "label": self.label,
            "metric": self.metric,
            "baseline_step": self.baseline_step,
            "system_step": self.system_step,
            "baseline_score": self.baseline_score,
            "system_score": self.system_score,
            "delta": self.delta,
            "p_value": self.p_value,
            "significant": self.significant,
            "significance_level": SIGNIFICANCE_LEVEL,
            "system_mean": self.system_mean,
            "system_ci": self.system_ci,
            "n_bootstrap": self.n_bootstrap,
            "seed": self.seed,
            "note": self.note,
        }


@dataclass(frozen=True)
class ScoringResult:
    """Scores of every checkpoint of a run that has a prediction file.

    Attributes
    ----------
    references_path:
        The references file; ``references_sha256`` its hash.
    keyed_by:
        ``"step"`` or ``"epoch"``: what :attr:`CheckpointScores.step` counts.
    ids:
        Sample ids in the order of the references file; per-sample arrays follow it.
    checkpoints:
        One entry per prediction file, by increasing step.
    paired:
        Paired tests first-vs-best and best-vs-last (best by corpus chrF), for
        every metric; empty with a single checkpoint or without bootstrap.
    whitespace:
        Whether chrF counted whitespace (False: sacrebleu's default).
    n_bootstrap, seed:
        Parameters used.
    jobs:
        Processes that extracted statistics: 1 for this process alone, 0 when
        everything came from the cache.
    sacrebleu_version, scoring_version:
        Versions that produced the numbers (also in the cache key).
    warnings:
        Things the caller should show (e.g. the cache could not be written).
    """

    references_path: Path
    references_sha256: str
    keyed_by: str
    ids: tuple[Hashable, ...]
    checkpoints: tuple[CheckpointScores, ...]
    paired: tuple[PairedComparison, ...]
    whitespace: bool
    n_bootstrap: int
    seed: int
    jobs: int
    sacrebleu_version: str
    scoring_version: str
    warnings: tuple[str, ...] = ()

    @property
    def best(self) -> CheckpointScores:
        """The checkpoint with the highest corpus chrF (the earliest on a tie)."""
        return max(self.checkpoints, key=lambda c: (c.chrf.score, -c.step))

    @property
    def signatures(self) -> dict[str, str]:
        """sacrebleu signature of each metric (the same for every checkpoint)."""
        return {m.name: m.signature for m in self.checkpoints[0].metrics}

    @property
    def whitespace_note(self) -> str:
        """The sentence the report shows about whitespace and chrF."""
        return WHITESPACE_NOTE_COUNTED if self.whitespace else WHITESPACE_NOTE_DEFAULT

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for ``summary.json`` (no per-sample arrays)."""
        return {
            "references": str(self.references_path),
            "references_sha256": self.references_sha256,
            "keyed_by": self.keyed_by,
            "n_samples": len(self.ids),
            "whitespace": self.whitespace,
            "whitespace_note": self.whitespace_note,
            "n_bootstrap": self.n_bootstrap,
            "seed": self.seed,
            "sacrebleu_version": self.sacrebleu_version,
            "scoring_version": self.scoring_version,
            "signatures": self.signatures,
            "best_step": self.best.step,
            "checkpoints": [c.to_dict() for c in self.checkpoints],
            "paired": [p.to_dict() for p in self.paired],
            "warnings": list(self.warnings),
        }

    def per_sample_frame(self) -> pd.DataFrame:
        """Per-sample scores, tidy: columns ``id``, ``step``, ``chrf`` (and ``chrf++``).

        One row per (checkpoint, sample), checkpoints in order, samples in the
        order of the references file.
        """
        import pandas as pd

        n = len(self.ids)
        frame = pd.DataFrame(
            {
                "id": list(self.ids) * len(self.checkpoints),
                "step": np.repeat([c.step for c in self.checkpoints], n).astype("int64"),
                "chrf": np.concatenate([c.chrf.per_sample for c in self.checkpoints])
                if self.checkpoints
                else np.zeros(0),
            }
        )
        if self.checkpoints and self.checkpoints[0].chrf_plus_plus is not None:
            frame["chrf++"] = np.concatenate(
                [c.chrf_plus_plus.per_sample for c in self.checkpoints]
            )
        return frame


def _fmt(value: float | None, width: int = 2) -> str:
    return "-" if value is None else f"{value:.{width}f}"


def format_score_table(result: ScoringResult) -> str:
    """The per-checkpoint table ``reportlib score`` prints (sacrebleu CLI style).

    One row per checkpoint: the corpus scores, sacrebleu's ``μ ± ci`` and the
    95% interval of chrF; then the paired tests, the signatures and the
    whitespace note.
    """
    key = result.keyed_by
    chrf_name = result.checkpoints[0].chrf.name
    extra = [m.name for m in result.checkpoints[0].metrics[1:]]
    header = [key, chrf_name, "μ ± 95% CI", "95% interval", *extra, "cached"]
    rows = []
    best = result.best.step
    for c in result.checkpoints:
        b = c.chrf.bootstrap
        row = [
            f"{c.step}{' *' if c.step == best else ''}",
            _fmt(c.chrf.score),
            "-" if b is None else f"{b.mean:.2f} ± {b.ci:.2f}",
            "-" if b is None else f"[{b.low:.2f}, {b.high:.2f}]",
            *[_fmt(m.score) for m in c.metrics[1:]],
            "yes" if c.from_cache else "no",
        ]
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        f"{result.references_path} ({len(result.ids)} samples, "
        f"{len(result.checkpoints)} checkpoint(s))",
        "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
        *("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in rows),
        f"* best {key} by {chrf_name}",
    ]
    if result.paired:
        lines.append("")
        lines.append(
            f"Paired bootstrap tests (sacrebleu, {result.n_bootstrap} resamples, "
            f"seed {result.seed}):"
        )
        for p in result.paired:
            what = p.label.replace("_vs_", " vs ").replace("_", " ")
            if p.p_value is None:
                verdict = f"no test ({p.note})"
            else:
                mark = " *" if p.significant else ""
                verdict = f"p = {p.p_value:.4f}{mark}"
            lines.append(
                f"  {p.metric} {what}: {key} {p.baseline_step} -> {p.system_step}: "
                f"{p.baseline_score:.2f} -> {p.system_score:.2f} "
                f"({p.delta:+.2f}), {verdict}"
            )
        lines.append(f"  * p < {SIGNIFICANCE_LEVEL}")
    lines.append("")
    lines.append("Signatures:")
    lines.extend(f"  {name}|{sig}" for name, sig in result.signatures.items())
    lines.append("")
    lines.append(f"Note: {result.whitespace_note}")
    lines.extend(f"Warning: {w}" for w in result.warnings)
    return "\n".join(lines)
