"""Compare runs: load and score them, and build the comparison notebook into HTML.

:func:`load_comparison` reads each run, analyses it, scores its prediction
files when it has them (so two runs evaluated on the same references get a
paired bootstrap test) and compares them with
:func:`reportlib.analysis.compare.compare_runs`. :func:`build_comparison`
executes ``notebooks/compare_runs.ipynb`` on them with papermill and exports
``<out_dir>/compare/<names>/compare.html`` next to ``comparison.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlib import __version__
from reportlib.analysis import DEFAULT_SMOOTHING, RunAnalysis, analyze_run
from reportlib.analysis.compare import RunComparison, compare_runs
from reportlib.build import DEFAULT_CELL_TIMEOUT, execute_notebook, export_html
from reportlib.errors import ParameterError, PredictionsError
from reportlib.ingest import load_run
from reportlib.outputs import report_dir, write_text_atomic
from reportlib.provenance import signature
from reportlib.run import Run
from reportlib.summary import json_safe

#: The comparison notebook (next to the report notebook, in the source tree).
COMPARE_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "compare_runs.ipynb"
#: Sub-folder of the output folder that holds comparisons (kept apart from run reports).
COMPARE_FOLDER = "compare"
#: Longest folder name made of run names before a hash replaces the tail.
MAX_JOINED_NAME = 80
#: Resamples for the bootstrap intervals and the paired test (sacrebleu's default).
DEFAULT_N_BOOTSTRAP = 1000


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
        The :class:`~reportlib.analysis.compare.RunComparison`.
    notes:
        What went wrong while scoring (the comparison then uses the logs' values).
    """

    runs: tuple[Run, ...]
    analyses: tuple[RunAnalysis, ...]
    scores: dict[str, Any]
    result: RunComparison
    notes: tuple[str, ...] = field(default_factory=tuple)


def load_comparison(
    run_dirs: Sequence[str | os.PathLike[str]],
    *,
    smoothing: float = DEFAULT_SMOOTHING,
    score: bool = True,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Comparison:
    """Load, analyse, score and compare runs.

    Parameters
    ----------
    run_dirs:
        Two or more run folders or log files.
    smoothing:
        EMA weight of the drawn curves.
    score:
        Score the runs' prediction files with sacrebleu (for the paired test);
        False compares the logs' values only.
    n_bootstrap:
        Bootstrap resamples (sacrebleu's default seed).
    cache_dir:
        The scoring cache (None: its default).

    Returns
    -------
    Comparison

    Raises
    ------
    reportlib.errors.ParameterError
        Fewer than two runs, or two with the same name.
    reportlib.errors.InputError
        A run cannot be read.
    """
    if isinstance(run_dirs, (str, os.PathLike)) or len(run_dirs) < 2:
        raise ParameterError("comparing needs at least two runs",
                             hint="give two or more run folders, as a list")
    runs = tuple(load_run(path) for path in run_dirs)
    analyses = tuple(analyze_run(run, smoothing=smoothing) for run in runs)
    scores: dict[str, Any] = {}
    notes: list[str] = []
    if score:
        from reportlib.scoring import score_run

        for run in runs:
            if run.predictions is None:
                scores[run.name] = None
                continue
            try:
                scores[run.name] = score_run(run, n_bootstrap=n_bootstrap, cache_dir=cache_dir)
            except PredictionsError as error:
                scores[run.name] = None
                notes.append(f"{run.name}: its predictions could not be scored: "
                             f"{error.one_line()}")
    result = compare_runs(analyses, scores)
    return Comparison(runs, analyses, scores, result, tuple(notes))


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
        "parameters": parameters,
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
    if not 0.0 <= smoothing < 1.0:
        raise ParameterError(f"smoothing must be in [0, 1), got {smoothing!r}",
                             hint="use 0 for no smoothing and 0.6 for TensorBoard's default")
    comparison = load_comparison(run_dirs, smoothing=smoothing)
    params = {"run_dirs": [str(Path(p).resolve()) for p in run_dirs],
              "smoothing": float(smoothing)}
    name = comparison_name([run.name for run in comparison.runs])
    folder = Path(out_dir) / COMPARE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = report_dir(folder, name)
    summary = write_text_atomic(target / "comparison.json", comparison_json(comparison, params))
    executed = execute_notebook(target, params, cell_timeout=cell_timeout,
                                title=f"Comparison: {' vs '.join(r.name for r in comparison.runs)}",
                                notebook=COMPARE_NOTEBOOK, name="compare")
    html = export_html(executed, target / "compare.html")
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
