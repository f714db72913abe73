"""The one pipeline: path -> load -> score predictions (when present) -> analyse.

Every entry point goes through :func:`analyze`: ``reportlib build`` (once, in
the parent process; the notebook reads the parent's result instead of
analysing again), ``summary``, ``check``, ``compare``, both notebooks, the
Jupyter card of a run and the Python API. Two commands therefore never give
two answers about the same run. Drawing settings (smoothing, thinning) are
not inputs of the analysis: they belong to :mod:`reportlib.present`.

See ``docs/architecture.md`` for where this sits among the layers.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlib.analysis import RunAnalysis, analyze_run
from reportlib.errors import InputError
from reportlib.ingest import load_run
from reportlib.run import Run
from reportlib.scoring import score_predictions

if TYPE_CHECKING:
    from reportlib.scoring import ScoringResult

RESULT_FORMAT = "reportlib-run-result/1"
"""Tag of a saved :class:`RunResult` (:func:`save_result`); a file without it is refused."""


@dataclass(frozen=True)
class RunResult:
    """One run, read, scored and analysed: what every report, summary and check shows.

    Attributes
    ----------
    run:
        The run as ingest read it (:class:`~reportlib.run.Run`).
    scores:
        chrF recomputed from the run folder's prediction files, or None when it
        has none (the analysis then uses the log's own chrF, if any).
    analysis:
        The curves, best checkpoint and findings (:class:`~reportlib.analysis.RunAnalysis`).
    whitespace:
        Whether chrF counted whitespace (the only scoring setting a user picks).
    source:
        The absolute path :func:`analyze` was given (a run folder may be read through
        the log file in it, which is then ``run.path``), or None for a loaded Run.
    """

    run: Run
    scores: ScoringResult | None
    analysis: RunAnalysis
    whitespace: bool = False
    source: str | None = None

    @property
    def name(self) -> str:
        """The run's name (its report folder's name)."""
        return self.run.name

    def summary(self, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The content of ``summary.json`` (:func:`reportlib.summary.build_summary`)."""
        from reportlib.summary import build_summary

        return build_summary(self.run, self.analysis, extra=extra)


def analyze(source: str | os.PathLike[str] | Run, *, whitespace: bool = False,
            name: str | None = None,
            result_file: str | os.PathLike[str] | None = None) -> RunResult:
    """Read, score and analyse one run: the pipeline behind every command.

    Parameters
    ----------
    source:
        A run folder or log file (anything :func:`reportlib.load_run` reads),
        or a :class:`~reportlib.run.Run` already loaded.
    whitespace:
        Score chrF with whitespace counted (sacrebleu ignores it by default,
        which makes indentation changes invisible).
    name:
        The run's name when the caller already chose it (a batch names the runs
        it discovered so they are unique); else :func:`reportlib.load_run`'s.
    result_file:
        A result saved by :func:`save_result` for this very run and setting
        (``reportlib build`` passes one to the notebook so the run is analysed
        once per build). When given, it is read instead of recomputing.

    Returns
    -------
    RunResult

    Raises
    ------
    reportlib.errors.InputError
        The run cannot be read, or ``result_file`` is not a result of this run.
    reportlib.errors.PredictionsError
        The run's prediction files cannot be scored.
    """
    if result_file is not None:
        return load_result(result_file, source=source, whitespace=whitespace)
    run = source if isinstance(source, Run) else load_run(source, name=name)
    scores = score_predictions(run, whitespace=whitespace)
    analysis = analyze_run(run, scores=scores)
    asked = None if isinstance(source, Run) else str(Path(source).resolve())
    return RunResult(run=run, scores=scores, analysis=analysis, whitespace=bool(whitespace),
                     source=asked)


def save_result(result: RunResult, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` to ``path`` (a pickle) for :func:`analyze`'s ``result_file``.

    Only for handing a result from ``reportlib build`` to the notebook it
    executes, in the build's own staging folder: a pickle must never be read
    from a place someone else can write to.
    """
    target = Path(path)
    with open(target, "wb") as handle:
        pickle.dump((RESULT_FORMAT, result), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return target


def load_result(path: str | os.PathLike[str], *, source: str | os.PathLike[str] | Run,
                whitespace: bool) -> RunResult:
    """Read a result written by :func:`save_result`, checking it is the one asked for.

    Raises
    ------
    reportlib.errors.InputError
        The file is missing, not a saved result, or holds another run or setting.
    """
    file = Path(path)
    try:
        with open(file, "rb") as handle:
            tag, result = pickle.load(handle)  # noqa: S301 - save_result's, in the build's folder
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise InputError(f"cannot read the saved analysis ({exc})", path=file,
                         hint="run the notebook without result_file to analyse the run") from exc
    if tag != RESULT_FORMAT or not isinstance(result, RunResult):
        raise InputError("not an analysis saved by reportlib.pipeline.save_result", path=file,
                         hint="run the notebook without result_file to analyse the run")
    wanted = source.path if isinstance(source, Run) else Path(source)
    # Absolute on both sides: the notebook runs in another folder than the build.
    saved_path = result.source or str(Path(result.run.path).resolve())
    if Path(saved_path) != Path(wanted).resolve() or result.whitespace != bool(whitespace):
        raise InputError(
            f"the saved analysis is of {saved_path} (whitespace={result.whitespace}), "
            f"not of {wanted} (whitespace={bool(whitespace)})", path=file,
            hint="run the notebook without result_file to analyse the run")
    return result


__all__ = ["RESULT_FORMAT", "RunResult", "analyze", "load_result", "save_result"]
