"""Bootstrap confidence intervals and paired bootstrap tests, as sacrebleu computes them.

sacrebleu (``significance._bootstrap_resample``, ``_paired_bs_test``) draws
``idxs = default_rng(seed).choice(n, size=(n_bootstrap, n))``, sums the
float32 per-sample statistics of each resample (``stats[idxs[b]].sum(0)``) and
scores each sum. It materialises all resamples at once: ``n_bootstrap x n x
width`` floats (720 MB for 1000 x 10,000 x 18).

Here the same indices are drawn in chunks (the generator's stream does not
depend on how the draws are split; tests check it), turned into per-sample
multiplicities, and the sums come from one matrix product for all
checkpoints. That product is exact in float64; whenever every sum is at most
2**24, float32 holds every partial sum of sacrebleu's loop exactly too, so the
two agree bit for bit. A resample with a larger sum is summed sacrebleu's way
(float32, same expression) so rounding is identical as well. Scores of the
sums and the interval then go through sacrebleu's own functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sacrebleu.metrics.base import Metric, Score
from sacrebleu.significance import _compute_p_value
from sacrebleu.significance import estimate_ci as _sacrebleu_estimate_ci

#: sacrebleu's seed when ``SACREBLEU_SEED`` is not set; the default here too,
#: so intervals and p-values equal those of sacrebleu's CLI and API.
DEFAULT_SEED = 12345

#: sacrebleu's default number of resamples (``PairedTest._DEFAULT_SAMPLES['bs']``).
DEFAULT_N_BOOTSTRAP = 1000

#: Largest integer up to which float32 represents every integer exactly.
_FLOAT32_EXACT = 2**24

#: Resample-by-sample cells per chunk of indices: bounds each temporary array
#: to ~2 MB whatever the number of samples (1000 x 10,000 indices at once
#: would take 80 MB, and a few such temporaries live together).
_CHUNK_CELLS = 1 << 18


@dataclass(frozen=True)
class BootstrapInterval:
    """The bootstrap estimate of one corpus score.

    Attributes
    ----------
    n, seed:
        Resamples drawn and the seed of ``numpy.random.default_rng``.
    mean, ci:
        What sacrebleu prints as ``μ = mean ± ci`` (``Score.estimate_ci``):
        the mean of the resampled scores and half the width of the 95% interval.
    low, high:
        The 95% percentile interval itself (the 2.5% and 97.5% order statistics,
        with sacrebleu's ranks ``n // 40`` and ``n - n // 40 - 1``).
    std:
        Standard deviation of the resampled scores (ddof=1; 0 when n < 2).
    """

    n: int
    seed: int
    mean: float
    ci: float
    low: float
    high: float
    std: float


def resample_sums(stats: Sequence[np.ndarray], n_bootstrap: int, seed: int) -> list[np.ndarray]:
    """Summed statistics of every bootstrap resample, equal to sacrebleu's.

    Parameters
    ----------
    stats:
        Per-sample integer statistics, one ``(n_samples, width)`` array per
        system; all share ``n_samples`` (the same resamples serve them all).
    n_bootstrap, seed:
        As ``corpus_score(..., n_bootstrap)`` with ``SACREBLEU_SEED=seed``.

    Returns
    -------
    One float32 array ``(n_bootstrap, width)`` per system: row ``b`` equals
    sacrebleu's ``np.array(stats, dtype='float32')[idxs[b]].sum(0)``.
    """
    if not stats:
        return []
    n = stats[0].shape[0]
    widths = [s.shape[1] for s in stats]
    stacked = np.empty((n, sum(widths)), dtype=np.float64)
    np.concatenate(stats, axis=1, out=stacked, casting="unsafe")
    as_float32: dict[int, np.ndarray] = {}  # made only if float32 rounding happens
    out = [np.empty((n_bootstrap, w), dtype=np.float32) for w in widths]
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    done = 0
    while done < n_bootstrap:
        rows = min(chunk, n_bootstrap - done)
        idxs = rng.choice(n, size=(rows, n), replace=True)
        flat = (np.arange(rows, dtype=np.int64)[:, None] * n + idxs).ravel()
        counts = np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)
        exact = counts @ stacked  # integers below 2**53: no rounding in float64
        col = 0
        for j, width in enumerate(widths):
            block = exact[:, col : col + width]
            col += width
            small = (block <= _FLOAT32_EXACT).all(axis=1)
            target = out[j][done : done + rows]
            target[small] = block[small].astype(np.float32)
            for r in np.flatnonzero(~small):  # float32 rounding happens: sum sacrebleu's way
                if j not in as_float32:
                    as_float32[j] = np.asarray(stats[j], dtype=np.float32)
                target[r] = as_float32[j][idxs[r]].sum(0)
        done += rows
    return out


def resample_scores(metric: Metric, sums: np.ndarray) -> list[Score]:
    """sacrebleu's score of every resample (``metric._compute_score_from_stats``)."""
    return [metric._compute_score_from_stats(row.copy()) for row in sums]


def summarise(
    actual: Score, resampled: list[Score], seed: int
) -> tuple[BootstrapInterval, np.ndarray]:
    """The interval of ``actual`` from its resampled scores, with sacrebleu's estimator.

    Returns
    -------
    ``(interval, scores)`` where ``scores`` is ``np.array([s.score ...])``, the
    array sacrebleu's paired test builds from the same resamples.
    """
    for_mean = resampled
    numpy_types = {type(s.score) for s in resampled if isinstance(s.score, np.generic)}
    if numpy_types and any(not isinstance(s.score, np.generic) for s in resampled):
        # A resample with no match at all scores Python 0.0, the others
        # float32; sacrebleu 2.6's estimate_ci then raises TypeError
        # (statistics.mean cannot mix float and float32). Give the zeros the
        # others' type (0.0 is exact in float32) so the mean is computed as it
        # is for every other run.
        target = numpy_types.pop()
        for_mean = [Score(s.name, target(s.score)) for s in resampled]
    actual.estimate_ci(for_mean)  # sacrebleu's own: sets _mean and _ci
    raw = sorted(s.score for s in resampled)
    n = len(raw)
    lower = n // 40
    values = np.asarray(raw, dtype=np.float64)
    interval = BootstrapInterval(
        n=n,
        seed=seed,
        mean=float(actual._mean),
        ci=float(actual._ci),
        low=float(raw[lower]),
        high=float(raw[n - lower - 1]),
        std=float(values.std(ddof=1)) if n > 1 else 0.0,
    )
    return interval, np.array([s.score for s in resampled])


def paired_bootstrap(
    baseline_score: float,
    baseline_resampled: np.ndarray,
    system_score: float,
    system_resampled: np.ndarray,
) -> tuple[float, float, float]:
    """sacrebleu's paired bootstrap test (``_paired_bs_test``) from resampled scores.

    Both resampled arrays must come from the same indices (same seed, same
    number of samples and resamples), as in sacrebleu.

    Returns
    -------
    ``(p_value, system_mean, system_ci)``: the two-sided p-value of the
    difference, and sacrebleu's ``Result.mean``/``Result.ci`` of the system.
    """
    diff = abs(baseline_score - system_score)
    sample_diffs = np.abs(system_resampled - baseline_resampled)
    centred = sample_diffs - sample_diffs.mean()
    p_value = _compute_p_value(centred, diff)
    mean, ci = _sacrebleu_estimate_ci(system_resampled)
    return float(p_value), float(mean), float(ci)
