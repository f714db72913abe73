"""``score_run``: chrF (and optionally chrF++ and BLEU) of every checkpoint of a run.

The work, in order:

1. hash the references file and every prediction file (SHA-256 of the bytes);
2. look every (checkpoint, metric) up in the cache; a hit needs no parsing;
3. for the misses, read and check the files (ids matched, never line order),
   and extract per-sample statistics once, in batches of samples, across
   worker processes; checkpoints are processed in groups so that at most
   about :data:`MAX_GROUP_BYTES` of predictions are held in memory, and the
   n-grams of a batch of references are shared by every checkpoint of a group;
4. derive everything else from the statistics: corpus scores (summed rows,
   sacrebleu's own ``_compute_score_from_stats``), per-sample scores
   (vectorised ``_compute_f_score``), bootstrap intervals and paired tests
   (see :mod:`reportlib.scoring.bootstrap`);
5. store what was computed, so a rebuild of an unchanged run re-scores nothing.

(Over 500 lines: the five steps above share the checkpoint groups, the cache keys
and the worker pool; split apart, each would pass them all along.)
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import sys
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.metrics.base import Metric

import reportlib.scoring.bootstrap as bs
from reportlib.errors import InputError, ParameterError, PredictionsError
from reportlib.scoring.cache import ScoreCache, cache_key, default_cache_dir
from reportlib.scoring.inputs import file_sha256, read_predictions, read_references
from reportlib.scoring.ngram_stats import (
    bleu_statistics,
    chrf_statistics,
    f_scores,
    stats_width,
)
from reportlib.scoring.result import (
    CheckpointScores,
    MetricScore,
    PairedComparison,
    ScoringResult,
)

if TYPE_CHECKING:  # imported inside score_run: no import cycle if ingest ever calls scoring
    from reportlib.run import Predictions, Run

#: Version of the scoring code, part of every cache key: bump it whenever a
#: change could alter a stored number (statistics, checks, bootstrap).
SCORING_VERSION = "1"

#: Samples per task sent to a worker. Large enough that numpy's per-call
#: overhead is small (64 to 256 ran equally fast on the 10,000-pair bench),
#: small enough that a worker's arrays stay near 10 MB and the
#: ``sample * (A + 1)**6`` key fits in int64 for batches with up to ~640
#: distinct characters (beyond, sacrebleu's Python counting takes over).
BATCH_SAMPLES = 64

#: Prediction bytes held in memory at once: checkpoints are scored in groups
#: of about this size (at least one file per group). The references of a batch
#: are counted once per group, so bigger groups save a little time and cost memory.
MAX_GROUP_BYTES = 64 * 1024 * 1024

#: Below this many bytes of predictions to score, worker processes are not
#: started: about 0.2 s of work in one process, comparable to the cost of
#: starting workers and shipping them the strings.
MIN_BYTES_FOR_PROCESSES = 1024 * 1024

#: Tasks queued per worker: keeps workers busy without pickling the whole
#: group of predictions into the queue at once.
_TASKS_IN_FLIGHT_PER_JOB = 2


@dataclass(frozen=True)
class MetricSpec:
    """One sacrebleu metric with reportlib's settings."""

    key: str  # "chrf", "chrf++" or "bleu"
    whitespace: bool = False

    @property
    def word_order(self) -> int:
        """chrF++'s word n-gram order (0 for chrF)."""
        return 2 if self.key == "chrf++" else 0

    @property
    def width(self) -> int:
        """Integers per sample in sacrebleu's statistics."""
        if self.key == "bleu":
            return 2 + 2 * BLEU().max_ngram_order
        return stats_width(self.word_order)

    def make(self) -> Metric:
        """A fresh sacrebleu metric object with these settings."""
        if self.key == "bleu":
            return BLEU()
        return CHRF(word_order=self.word_order, whitespace=self.whitespace)

    def settings(self) -> dict[str, Any]:
        """Everything that changes the statistics (for the cache key)."""
        metric = self.make()
        metric.num_refs = 1
        return {"key": self.key, "signature": metric.get_signature().format()}

    def signature(self, n_bootstrap: int, seed: int) -> str:
        """sacrebleu's signature string, as ``corpus_score(..., n_bootstrap)`` would leave it."""
        metric = self.make()
        metric.num_refs = 1  # set by sacrebleu when it caches references; one per sample here
        if n_bootstrap > 1:
            metric.n_bootstrap = n_bootstrap
            metric.seed = str(seed).lower()
        return metric.get_signature().format()


def _batch_statistics(
    references: Sequence[str],
    systems: Sequence[Sequence[str]],
    chrf_word_order: int | None,
    whitespace: bool,
    bleu: bool,
) -> dict[str, np.ndarray]:
    """Worker task: statistics of one batch of samples for every system of a group.

    Returns ``{"chrf": (systems, samples, width), "bleu": ...}`` for the
    families asked for; chrF's columns are the first 18 of chrF++'s.
    """
    out: dict[str, np.ndarray] = {}
    if chrf_word_order is not None:
        out["chrf"] = chrf_statistics(
            references, systems, word_order=chrf_word_order, whitespace=whitespace
        )
    if bleu:
        out["bleu"] = bleu_statistics(references, systems)
    return out


def _start_method() -> str:
    """How worker processes are started: ``fork`` on Linux, ``spawn`` elsewhere.

    ``fork`` needs no ``if __name__ == "__main__":`` guard in the caller's
    script (``spawn`` re-runs an unguarded script in every worker) and starts in
    milliseconds. The pool is created before any prediction is read, so workers
    inherit little more than the imported modules. macOS and Windows get
    ``spawn`` (fork is unsafe or missing there), with its usual guard rule.
    """
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


class _Workers:
    """Runs batch tasks in a pool of worker processes, or in this process when ``jobs`` is 1."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        if self.jobs > 1:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context(_start_method())
            )
            # Start the workers now, before the caller reads any prediction
            # (with fork they would otherwise start at the first task).
            self._pool.submit(int).result()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, tasks: list[tuple[Any, ...]]):
        """Yield ``(task_index, result)`` for every task, in any order."""
        if self._pool is None:
            for i, task in enumerate(tasks):
                yield i, _batch_statistics(*task)
            return
        limit = self.jobs * _TASKS_IN_FLIGHT_PER_JOB
        pending: dict[concurrent.futures.Future, int] = {}
        for i, task in enumerate(tasks):
            while len(pending) >= limit:
                done, _ = concurrent.futures.wait(pending, return_when="FIRST_COMPLETED")
                for future in done:
                    yield pending.pop(future), future.result()
            pending[self._pool.submit(_batch_statistics, *task)] = i
        for future in concurrent.futures.as_completed(list(pending)):
            yield pending[future], future.result()


def _check_parameters(n_bootstrap: Any, seed: Any, jobs: Any) -> None:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 0:
        raise ParameterError(
            f"n_bootstrap must be an integer >= 0 (0 or 1: no bootstrap), got {n_bootstrap!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"seed must be an integer >= 0, got {seed!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ParameterError(f"jobs must be None (one per CPU) or an integer >= 1, got {jobs!r}")


def _resolve(run: Any, notes: list[str]) -> Predictions:
    from reportlib.run import Predictions, Run

    if isinstance(run, Predictions):
        predictions = run
    elif isinstance(run, Run):
        if run.predictions is None:
            raise PredictionsError(
                "the run has no prediction files to score",
                path=run.path,
                hint="a run folder needs references.jsonl and predictions/step-*.jsonl",
            )
        predictions = run.predictions
    elif isinstance(run, (str, os.PathLike)):
        folder = Path(run)
        if not folder.is_dir():
            raise InputError("not a folder", path=folder, hint="Pass a run folder")
        from reportlib.ingest.predictions import discover_predictions

        found = discover_predictions(folder, notes)
        if found is None:
            raise PredictionsError(
                "no prediction files to score" + (f" ({'; '.join(notes)})" if notes else ""),
                path=folder,
                hint="a run folder needs references.jsonl and predictions/step-*.jsonl",
            )
        predictions = found
    else:
        raise ParameterError(
            f"run must be a Run, a Predictions or a run folder path, got {type(run).__name__}"
        )
    if not predictions.checkpoints:
        raise PredictionsError("no prediction file to score", path=predictions.references_path)
    return predictions


def _cache_for(
    cache_dir: str | os.PathLike[str] | None, use_cache: bool, run_folder: Path
) -> ScoreCache:
    if not use_cache:
        return ScoreCache(None)
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    resolved, folder = directory.resolve(), run_folder.resolve()
    if resolved == folder or folder in resolved.parents:
        raise ParameterError(
            f"cache_dir {directory} is inside the run folder {run_folder}, "
            "which is never written to",
            hint="pick a folder outside the run (the default is ~/.cache/reportlib/scores)",
        )
    return ScoreCache(directory)


def _groups(steps: list[int], sizes: dict[int, int]) -> list[list[int]]:
    groups: list[list[int]] = []
    current: list[int] = []
    held = 0
    for step in steps:
        if current and held + sizes[step] > MAX_GROUP_BYTES:
            groups.append(current)
            current, held = [], 0
        current.append(step)
        held += sizes[step]
    if current:
        groups.append(current)
    return groups


def score_run(
    run: Run | Predictions | str | os.PathLike[str],
    *,
    chrf_plus_plus: bool = False,
    bleu: bool = False,
    whitespace: bool = False,
    n_bootstrap: int = bs.DEFAULT_N_BOOTSTRAP,
    seed: int = bs.DEFAULT_SEED,
    jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> ScoringResult:
    """Score every checkpoint of a run that has a prediction file, as sacrebleu does.

    Parameters
    ----------
    run:
        A :class:`~reportlib.run.Run` (its ``predictions`` are used), a
        :class:`~reportlib.run.Predictions`, or a run folder (discovered with
        :func:`reportlib.ingest.predictions.discover_predictions`).
    chrf_plus_plus, bleu:
        Also compute chrF++ (``word_order=2``) and BLEU (sacrebleu defaults).
    whitespace:
        Count whitespace as characters in chrF/chrF++ (default False, sacrebleu's
        default, comparable with published numbers but blind to indentation).
    n_bootstrap:
        Bootstrap resamples for the 95% intervals and paired tests (sacrebleu's
        method); 0 or 1 disables both.
    seed:
        Seed of the resampling (sacrebleu's default ``SACREBLEU_SEED`` is 12345).
    jobs:
        Worker processes for statistics extraction; None: one per CPU. Small
        inputs are scored in this process whatever the value.
    cache_dir:
        Cache folder; default ``$REPORTLIB_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/reportlib/scores``, else ``~/.cache/reportlib/scores``.
        Never inside the run folder (run folders are read-only).
    use_cache:
        False: neither read nor write the cache.

    Returns
    -------
    A :class:`~reportlib.scoring.result.ScoringResult`.

    Raises
    ------
    PredictionsError
        No prediction files, unreadable or malformed JSONL, missing, extra or
        duplicate ids (the message names the file and the ids).
    ParameterError
        A parameter out of range, or ``cache_dir`` inside the run folder.
    InputError
        ``run`` is a path that is not a folder.
    """
    _check_parameters(n_bootstrap, seed, jobs)
    notes: list[str] = []
    predictions = _resolve(run, notes)
    jobs = jobs or os.cpu_count() or 1
    refs_path = Path(predictions.references_path)
    cache = _cache_for(cache_dir, use_cache, refs_path.parent)

    specs = [MetricSpec("chrf", whitespace)]
    if chrf_plus_plus:
        specs.append(MetricSpec("chrf++", whitespace))
    if bleu:
        specs.append(MetricSpec("bleu"))
    checkpoints = sorted((int(step), Path(path)) for step, path in predictions.checkpoints.items())
    refs_sha = file_sha256(refs_path)
    shas = {step: file_sha256(path) for step, path in checkpoints}
    versions = {"sacrebleu": sacrebleu.__version__, "scoring": SCORING_VERSION}

    # Reference ids: from the cache when the references file is known.
    ids_key = cache_key(kind="ids", references=refs_sha, **versions)
    ids: list[Hashable] | None = None
    entry = cache.load(ids_key, ("ids_json",))
    if entry is not None:
        ids = json.loads(str(entry["ids_json"]))
    ref_texts: list[str] | None = None
    if ids is None:
        ids, ref_texts = read_references(refs_path)
        cache.store(ids_key, {"ids_json": np.array(json.dumps(ids))})
    n = len(ids)

    # Per-sample statistics: cache first.
    stats_keys = {
        (step, spec.key): cache_key(
            kind="stats",
            references=refs_sha,
            predictions=shas[step],
            metric=spec.settings(),
            **versions,
        )
        for step, _ in checkpoints
        for spec in specs
    }
    stats: dict[tuple[int, str], np.ndarray] = {}
    for (step, metric_key), key in stats_keys.items():
        entry = cache.load(key, ("stats",))
        width = next(s.width for s in specs if s.key == metric_key)
        if (
            entry is not None
            and entry["stats"].shape == (n, width)
            and entry["stats"].dtype.kind == "i"
        ):
            stats[(step, metric_key)] = entry["stats"].astype(np.int64, copy=False)
    cached_steps = {step for step, _ in checkpoints if all((step, s.key) in stats for s in specs)}

    missing = [(step, path) for step, path in checkpoints if step not in cached_steps]
    workers_used = 0
    if missing:
        if ref_texts is None:
            ids, ref_texts = read_references(refs_path)
        workers_used = _extract(
            ids, ref_texts, missing, specs, stats, stats_keys, cache, jobs, whitespace
        )
        ref_texts = None

    # Corpus scores, per-sample scores, bootstrap.
    scores = {
        (step, spec.key): spec.make()._compute_score_from_stats(
            [int(v) for v in stats[(step, spec.key)].sum(axis=0)]
        )
        for step, _ in checkpoints
        for spec in specs
    }
    intervals: dict[tuple[int, str], tuple[bs.BootstrapInterval, np.ndarray]] = {}
    if n_bootstrap > 1:
        _bootstrap(
            checkpoints, specs, stats, stats_keys, scores, intervals, cache, n_bootstrap, seed
        )

    signatures = {spec.key: spec.signature(n_bootstrap, seed) for spec in specs}
    results = []
    for step, path in checkpoints:
        metric_scores = {}
        for spec in specs:
            interval = intervals.get((step, spec.key))
            metric_scores[spec.key] = MetricScore(
                name=scores[(step, spec.key)].name,
                score=float(scores[(step, spec.key)].score),
                signature=signatures[spec.key],
                per_sample=None
                if spec.key == "bleu"
                else f_scores(stats[(step, spec.key)], word_order=spec.word_order),
                bootstrap=None if interval is None else interval[0],
                resampled=None if interval is None else interval[1],
            )
        results.append(
            CheckpointScores(
                step=step,
                path=path,
                sha256=shas[step],
                n_samples=n,
                chrf=metric_scores["chrf"],
                chrf_plus_plus=metric_scores.get("chrf++"),
                bleu=metric_scores.get("bleu"),
                from_cache=step in cached_steps,
            )
        )
    paired = _paired_tests(results, specs, stats, n_bootstrap, seed)
    return ScoringResult(
        references_path=refs_path,
        references_sha256=refs_sha,
        keyed_by=predictions.keyed_by,
        ids=tuple(ids),
        checkpoints=tuple(results),
        paired=tuple(paired),
        whitespace=whitespace,
        n_bootstrap=n_bootstrap,
        seed=seed,
        jobs=workers_used,
        sacrebleu_version=sacrebleu.__version__,
        scoring_version=SCORING_VERSION,
        warnings=tuple(notes + cache.write_errors),
    )


def _extract(
    ids: list[Hashable],
    ref_texts: list[str],
    missing: list[tuple[int, Path]],
    specs: list[MetricSpec],
    stats: dict[tuple[int, str], np.ndarray],
    stats_keys: dict[tuple[int, str], str],
    cache: ScoreCache,
    jobs: int,
    whitespace: bool,
) -> int:
    """Read, check and extract the statistics of the ``missing`` checkpoints into ``stats``.

    Returns the number of processes that did the work (1: this one).
    """
    index = {sample_id: i for i, sample_id in enumerate(ids)}
    n = len(ids)
    keys = {s.key for s in specs}
    chrf_order = 2 if "chrf++" in keys else 0
    sizes = {step: path.stat().st_size for step, path in missing}
    paths = dict(missing)
    n_batches = -(-n // BATCH_SAMPLES)
    workers_used = min(jobs, n_batches) if sum(sizes.values()) >= MIN_BYTES_FOR_PROCESSES else 1
    with _Workers(workers_used) as workers:
        for group in _groups([step for step, _ in missing], sizes):
            systems = [read_predictions(paths[step], index) for step in group]
            out = {"chrf": np.zeros((len(group), n, stats_width(chrf_order)), dtype=np.int64)}
            if "bleu" in keys:
                out["bleu"] = np.zeros((len(group), n, MetricSpec("bleu").width), dtype=np.int64)
            starts = list(range(0, n, BATCH_SAMPLES))
            tasks = [
                (
                    ref_texts[b : b + BATCH_SAMPLES],
                    [h[b : b + BATCH_SAMPLES] for h in systems],
                    chrf_order,
                    whitespace,
                    "bleu" in keys,
                )
                for b in starts
            ]
            del systems
            for i, batch in workers.run(tasks):
                b = starts[i]
                for family, values in batch.items():
                    out[family][:, b : b + values.shape[1]] = values
                tasks[i] = ()  # free the strings as soon as the batch is done
            for g, step in enumerate(group):
                for spec in specs:
                    family = "bleu" if spec.key == "bleu" else "chrf"
                    values = np.ascontiguousarray(out[family][g][:, : spec.width])
                    stats[(step, spec.key)] = values
                    cache.store(stats_keys[(step, spec.key)], {"stats": values})
    return workers_used


def _bootstrap(
    checkpoints: list[tuple[int, Path]],
    specs: list[MetricSpec],
    stats: dict[tuple[int, str], np.ndarray],
    stats_keys: dict[tuple[int, str], str],
    scores: dict[tuple[int, str], Any],
    intervals: dict[tuple[int, str], tuple[bs.BootstrapInterval, np.ndarray]],
    cache: ScoreCache,
    n_bootstrap: int,
    seed: int,
) -> None:
    """Fill ``intervals`` from the cache or by resampling (all missing ones at once)."""
    keys = {
        item: cache_key(
            kind="bootstrap",
            stats=stats_keys[item],
            n=n_bootstrap,
            seed=seed,
            numpy=np.__version__,
            scoring=SCORING_VERSION,
        )
        for item in stats
    }
    todo = []
    for item, key in keys.items():
        entry = cache.load(key, ("resampled", "interval"))
        if (
            entry is not None
            and entry["resampled"].shape == (n_bootstrap,)
            and entry["interval"].shape == (5,)
        ):
            mean, ci, low, high, std = (float(v) for v in entry["interval"])
            interval = bs.BootstrapInterval(n_bootstrap, seed, mean, ci, low, high, std)
            intervals[item] = (interval, entry["resampled"])
        else:
            todo.append(item)
    if not todo:
        return
    sums = bs.resample_sums([stats[item] for item in todo], n_bootstrap, seed)
    metrics = {spec.key: spec.make() for spec in specs}
    for item, item_sums in zip(todo, sums, strict=True):
        resampled = bs.resample_scores(metrics[item[1]], item_sums)
        interval, values = bs.summarise(scores[item], resampled, seed)
        intervals[item] = (interval, values)
        packed = np.array([interval.mean, interval.ci, interval.low, interval.high, interval.std])
        cache.store(keys[item], {"resampled": values, "interval": packed})


def _paired_tests(
    results: list[CheckpointScores],
    specs: list[MetricSpec],
    stats: dict[tuple[int, str], np.ndarray],
    n_bootstrap: int,
    seed: int,
) -> list[PairedComparison]:
    """sacrebleu's paired bootstrap test, first vs best and best vs last (best by chrF)."""
    if len(results) < 2 or n_bootstrap < 2:
        return []
    first, last = results[0], results[-1]
    best = max(results, key=lambda c: (c.chrf.score, -c.step))
    out = []
    for label, baseline, system in (("first_vs_best", first, best), ("best_vs_last", best, last)):
        for spec in specs:
            b_metric = _metric_of(baseline, spec.key)
            s_metric = _metric_of(system, spec.key)
            common = dict(
                label=label,
                metric=b_metric.name,
                baseline_step=baseline.step,
                system_step=system.step,
                baseline_score=b_metric.score,
                system_score=s_metric.score,
                n_bootstrap=n_bootstrap,
                seed=seed,
            )
            if baseline.step == system.step:
                why = (
                    "the first checkpoint is the best"
                    if label == "first_vs_best"
                    else "the best checkpoint is the last"
                )
                out.append(
                    PairedComparison(
                        **common, p_value=None, system_mean=None, system_ci=None, note=why
                    )
                )
                continue
            if b_metric.resampled is None or s_metric.resampled is None:
                raise ValueError("paired test without bootstrap resamples")  # not reachable
            p_value, mean, ci = bs.paired_bootstrap(
                b_metric.score, b_metric.resampled, s_metric.score, s_metric.resampled
            )
            note = None
            if np.array_equal(stats[(baseline.step, spec.key)], stats[(system.step, spec.key)]):
                # sacrebleu's centred statistic is all zeros here and gives 1/(n+1),
                # which would read as "significant"; there is no difference to test.
                p_value = 1.0
                note = (
                    "identical per-sample statistics: no difference (sacrebleu would print 1/(n+1))"
                )
            out.append(
                PairedComparison(
                    **common, p_value=p_value, system_mean=mean, system_ci=ci, note=note
                )
            )
    return out


def _metric_of(checkpoint: CheckpointScores, key: str) -> MetricScore:
    metric = {
        "chrf": checkpoint.chrf,
        "chrf++": checkpoint.chrf_plus_plus,
        "bleu": checkpoint.bleu,
    }[key]
    if metric is None:
        raise KeyError(key)
    return metric


def score_predictions(
    run: Run, *, whitespace: bool = False, **options: Any
) -> ScoringResult | None:
    """:func:`score_run` for a run that may have no predictions: None when it has none.

    This is what a report does: chrF from predictions when the run folder has
    them, else the log's own chrF (if any). ``options`` go to :func:`score_run`.
    """
    if run.predictions is None:
        return None
    return score_run(run, whitespace=whitespace, **options)


def gallery_texts(scores: ScoringResult, analysis: Any) -> dict[Hashable, dict[str, Any]]:
    """Prompt, reference and first/best predictions of the samples a report's gallery shows.

    ``analysis`` is the :class:`~reportlib.analysis.chrf_evidence.ScoreAnalysis` of ``scores``.
    """
    from reportlib.scoring.inputs import read_sample_texts

    ids = [c.id for c in (*analysis.top_improved, *analysis.top_regressed)]
    paths = {c.step: c.path for c in scores.checkpoints
             if c.step in (analysis.first_step, analysis.best_step)}
    return read_sample_texts(scores.references_path, paths, ids)
