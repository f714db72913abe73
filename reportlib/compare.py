"""Compare runs: load and score them, and build the comparison notebook into HTML.

:func:`load_comparison` reads, scores and analyses each run through the one
pipeline, :func:`reportlib.analyze` (prediction files are scored when present,
so two runs evaluated on the same references get a paired bootstrap test), and
compares them with
:func:`reportlib.analysis.comparison.compare_runs`. :func:`build_comparison`
executes ``notebooks/compare_runs.ipynb`` on them with papermill and exports
``<out_dir>/compare/<names>/compare.html`` next to ``comparison.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlib import __version__
from reportlib.analysis import RunAnalysis
from reportlib.analysis.comparison import RunComparison, compare_runs
from reportlib.build import (
    DEFAULT_CELL_TIMEOUT,
    STAGING_PREFIX,
    execute_notebook,
    export_html,
    notebook_path,
)
from reportlib.errors import ParameterError
from reportlib.ingest import select_runs
from reportlib.outputs import COMPARE_FOLDER, report_dir, write_text_atomic
from reportlib.pipeline import RunResult, analyze, save_result
from reportlib.present.settings import DEFAULT_SMOOTHING, check_smoothing
from reportlib.provenance import portable_parameters, signature
from reportlib.run import Run
from reportlib.summary import json_safe

#: The comparison notebook (next to the report notebook: the source tree's or the wheel's).
COMPARE_NOTEBOOK = notebook_path("compare_runs.ipynb")
#: Longest folder name made of run names before a hash replaces the tail.
MAX_JOINED_NAME = 80


@dataclass(frozen=True)
class Comparison:
    """Runs loaded, analysed, scored and compared.

    Attributes
    ----------
    runs, analyses:
        The runs and their analyses, in the order given.
    scores:
        Run name -> :class:`reportlib.scoring.ScoringResult` (None for a run without predictions).
    result:
        The :class:`~reportlib.analysis.comparison.RunComparison`.
    notes:
        Notes shown under the comparison; empty when there are none.
    """

    runs: tuple[Run, ...]
    analyses: tuple[RunAnalysis, ...]
    scores: dict[str, Any]
    result: RunComparison
    notes: tuple[str, ...] = field(default_factory=tuple)


def load_comparison(run_dirs: Sequence[str | os.PathLike[str]], *,
                    result_files: Sequence[str | os.PathLike[str]] | None = None) -> Comparison:
    """Read, score and analyse runs through :func:`reportlib.analyze`, then compare them.

    Parameters
    ----------
    run_dirs:
        Run folders, log files or folders of runs: every run that
        :func:`reportlib.ingest.select_runs` finds (two or more).
    result_files:
        One result saved by :func:`reportlib.pipeline.save_result` per run found,
        in order: ``reportlib compare`` hands its notebook the analyses it
        already made, so each run is read and analysed once per comparison.

    Returns
    -------
    Comparison

    Raises
    ------
    reportlib.errors.ParameterError
        Fewer than two runs found, or two with the same name.
    reportlib.errors.InputError
        A run cannot be read.
    reportlib.errors.PredictionsError
        A run's prediction files cannot be scored (its report would fail the same way).
    """
    if isinstance(run_dirs, (str, os.PathLike)):
        run_dirs = [run_dirs]  # a folder of runs compares every run found in it
    return _compared(_results(run_dirs, result_files))


def _results(run_dirs: Sequence[str | os.PathLike[str]],
             result_files: Sequence[str | os.PathLike[str]] | None = None) -> tuple[RunResult, ...]:
    """Each run's result: discovery's runs and names, then the one pipeline for each (as
    ``reportlib build`` calls it), or the results saved in ``result_files`` for those runs."""
    selection = select_runs(run_dirs)
    if selection.errors:
        raise selection.errors[0][1]
    files = [None] * len(selection.runs) if result_files is None else list(result_files)
    if len(files) != len(selection.runs):
        raise ParameterError(f"{len(files)} result files for {len(selection.runs)} runs",
                             hint="run the notebook without result_files to analyse the runs")
    return tuple(analyze(source.path, name=source.name, result_file=file)
                 for source, file in zip(selection.runs, files, strict=True))


def _compared(results: Sequence[RunResult]) -> Comparison:
    """The :class:`Comparison` of analysed runs (two or more)."""
    if len(results) < 2:
        raise ParameterError(f"comparing needs at least two runs; found {len(results)}",
                             hint="give two or more run folders, or a folder holding several")
    runs = tuple(result.run for result in results)
    analyses = tuple(result.analysis for result in results)
    scores: dict[str, Any] = {result.name: result.scores for result in results}
    comparison = compare_runs(analyses, scores, metas={run.name: run.meta for run in runs})
    return Comparison(runs, analyses, scores, comparison)


def comparison_name(names: Sequence[str]) -> str:
    """The folder name of a comparison: the run names joined by ``_vs_`` (hashed when long)."""
    joined = "_vs_".join(names)
    if len(joined) <= MAX_JOINED_NAME:
        return joined
    digest = hashlib.sha256("\0".join(names).encode("utf-8")).hexdigest()[:12]
    return f"{joined[:MAX_JOINED_NAME - 13]}_{digest}"


def comparison_json(comparison: Comparison, parameters: dict[str, Any]) -> str:
    """``comparison.json``: the comparison's numbers and each run's provenance."""
    data = {
        "reportlib_version": __version__,
        "parameters": portable_parameters(parameters),
        "comparison": dataclasses.asdict(comparison.result),
        "notes": list(comparison.notes),
        "runs": [signature(run, {"run_dir": str(Path(run.path).resolve())})
                 for run in comparison.runs],
    }
    return json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@dataclass(frozen=True)
class ComparisonBuild:
    """What :func:`build_comparison` wrote."""

    name: str
    report_dir: Path
    html: Path
    notebook: Path
    summary: Path
    seconds: float


def build_comparison(
    run_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    smoothing: float = DEFAULT_SMOOTHING,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
) -> ComparisonBuild:
    """Build the comparison of runs into ``out_dir/compare/<names>/``.

    Writes ``comparison.json`` (the numbers), ``compare.ipynb`` (the executed
    notebook) and ``compare.html`` (self-contained), each atomically.

    Parameters
    ----------
    run_dirs:
        Two or more run folders or log files.
    out_dir:
        The output folder (the comparison goes in its ``compare`` sub-folder).
    smoothing:
        EMA weight of the drawn curves, in [0, 1).
    cell_timeout:
        Seconds one notebook cell may take.

    Returns
    -------
    ComparisonBuild

    Raises
    ------
    reportlib.errors.ParameterError
        Fewer than two runs, two with the same name, or ``smoothing`` out of range.
    reportlib.errors.InputError
        A run cannot be read (before anything is written).
    reportlib.errors.BuildError
        The notebook failed (kept as ``compare.failed.ipynb``) or could not be exported.
    """
    started = time.perf_counter()
    smoothing = check_smoothing(smoothing)
    if isinstance(run_dirs, (str, os.PathLike)):
        run_dirs = [run_dirs]
    results = _results(run_dirs)
    comparison = _compared(results)
    params = {"run_dirs": [str(Path(p).resolve()) for p in run_dirs],
              "smoothing": float(smoothing)}
    name = comparison_name([run.name for run in comparison.runs])
    folder = Path(out_dir) / COMPARE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = report_dir(folder, name)
    summary = write_text_atomic(target / "comparison.json", comparison_json(comparison, params))
    # The notebook reads these analyses instead of redoing them (removed once it ran).
    handed = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
    try:
        files = [str(save_result(result, handed / f"run-{n}.pickle"))
                 for n, result in enumerate(results)]
        executed = execute_notebook(
            target, {**params, "result_files": files}, cell_timeout=cell_timeout,
            title=f"Comparison: {' vs '.join(r.name for r in comparison.runs)}",
            notebook=COMPARE_NOTEBOOK, name="compare")
    finally:
        shutil.rmtree(handed, ignore_errors=True)
    html = export_html(executed, target / "compare.html")
    from reportlib.batch import INDEX_FILE, write_index

    if (Path(out_dir) / INDEX_FILE).is_file():  # an index of this folder links comparisons
        write_index(out_dir)
    return ComparisonBuild(name, target, html, executed, summary, time.perf_counter() - started)


__all__ = [
    "COMPARE_FOLDER",
    "COMPARE_NOTEBOOK",
    "Comparison",
    "ComparisonBuild",
    "build_comparison",
    "comparison_json",
    "comparison_name",
    "load_comparison",
]
