"""Build a report: execute the notebook with papermill, export it with nbconvert.

One report is the folder ``<out_dir>/<run name>/`` holding ``report.html``
(self-contained, code hidden, no network needed), ``report.ipynb`` (the
executed notebook), ``summary.json`` (the analysis, for machines),
``report.md`` (results table and narrative, for a model card) and, when asked
for, ``report.pdf`` (the HTML printed by headless Chromium).

Every file is written atomically; the run folder is only read. When the
notebook fails, its executed copy is kept as ``report.failed.ipynb`` and the
:class:`~reportlib.errors.BuildError` names it.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlib.analysis import RunAnalysis
from reportlib.errors import BuildError, DependencyMissingError, InputError
from reportlib.outputs import report_dir, temp_sibling, write_text_atomic
from reportlib.pipeline import RunResult, analyze, save_result
from reportlib.present.markdown import render_markdown
from reportlib.present.settings import DEFAULT_SMOOTHING, check_smoothing
from reportlib.provenance import portable_notebook, signature
from reportlib.run import Run
from reportlib.summary import summary_json


def notebook_path(name: str) -> Path:
    """Where the notebook ``name`` (e.g. ``"training_report.ipynb"``) is.

    In a source checkout, the top-level ``notebooks/`` folder; in an installed
    wheel, the same files shipped as the package ``reportlib.notebooks``
    (pyproject.toml maps one onto the other, so the repository holds one copy).
    """
    source_tree = Path(__file__).resolve().parent.parent
    if (source_tree / "pyproject.toml").is_file() and (source_tree / "notebooks" / name).is_file():
        return source_tree / "notebooks" / name
    try:
        packaged = importlib.resources.files("reportlib.notebooks") / name
    except ModuleNotFoundError:  # neither a checkout nor an install with the notebooks
        return source_tree / "notebooks" / name
    return Path(str(packaged))


#: The notebook every report is executed from.
NOTEBOOK = notebook_path("training_report.ipynb")
#: reportlib's nbconvert template: JupyterLab's look without CDN scripts.
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "reportlib_html"
#: File in the staging folder that hands the parent's analysis to the notebook,
#: so a build reads and analyses the run once (removed before the report is moved in place).
RESULT_FILE = "analysis.pickle"

#: Seconds one notebook cell may run before the build fails; generous, since a
#: hung kernel must fail the build rather than hang a batch forever.
DEFAULT_CELL_TIMEOUT = 600
#: Name prefix of the hidden folder a report is built in before its files are moved into place.
STAGING_PREFIX = ".building-"
#: A staging folder older than this was left by a killed build, and the next build
#: removes it: a build takes minutes at most, so a day leaves a running one alone.
STALE_STAGING_SECONDS = 24 * 3600
#: The Jupyter kernel every report notebook runs in, and the arguments it starts with:
#: the kernel's own start-up chatter (a TCP notice) is not the user's business, and
#: CRITICAL because a kernel stopped after a cell timeout logs the reply it could not send.
KERNEL_NAME = "python3"
KERNEL_ARGUMENTS: tuple[str, ...] = ("--IPKernelApp.log_level=CRITICAL",)
#: Cell tags the exporter honours (the fixed vocabulary of docs/architecture.md).
REMOVE_CELL_TAG = "remove-cell"
REMOVE_INPUT_TAG = "remove-input"


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_report` wrote."""

    run_name: str
    report_dir: Path
    html: Path
    notebook: Path
    summary: Path
    seconds: float
    markdown: Path | None = None
    pdf: Path | None = None


def report_parameters(run_dir: Path, *, smoothing: float, whitespace: bool = False
                      ) -> dict[str, Any]:
    """The papermill parameters for the report notebook (also recorded in its footer).

    Raises
    ------
    reportlib.errors.ParameterError
        ``smoothing`` is not a number in [0, 1).
    reportlib.errors.InputError
        The path is not valid UTF-8.
    """
    smoothing = check_smoothing(smoothing)
    resolved = str(Path(run_dir).resolve())
    try:
        resolved.encode("utf-8")
    except UnicodeEncodeError as exc:  # the notebook (JSON, UTF-8) cannot hold this path
        raise InputError(
            "the path is not valid UTF-8 (its name holds bytes of another encoding)",
            path=resolved.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
            hint="Rename the folder (or a folder above it) to a UTF-8 name",
        ) from exc
    return {"run_dir": resolved, "smoothing": float(smoothing), "whitespace": bool(whitespace)}


def build_report(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    smoothing: float = DEFAULT_SMOOTHING,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    pdf: bool = False,
    whitespace: bool = False,
    name: str | None = None,
    engine: str | None = None,
) -> BuildResult:
    """Build the report of one run into ``out_dir/<run name>/``.

    Parameters
    ----------
    run_dir:
        A run folder or log file (anything :func:`reportlib.load_run` reads).
    out_dir:
        Where report folders go; created if missing.
    smoothing:
        TensorBoard EMA weight in [0, 1).
    cell_timeout:
        Seconds one notebook cell may take.
    pdf:
        Also print ``report.pdf`` with headless Chromium. Without it, a
        ``report.pdf`` left by an earlier build is removed, so the folder never
        holds a PDF older than its HTML.
    whitespace:
        Score chrF with whitespace counted (sacrebleu ignores it by default,
        which makes indentation changes invisible).
    name:
        The run's name (a batch passes the names discovery made unique); None:
        the name :func:`reportlib.load_run` gives it.
    engine:
        The papermill engine that executes the notebook: None for papermill's
        own (a fresh kernel), ``"reportlib-warm"`` for a kernel kept alive
        between reports (see :mod:`reportlib.engine`).

    Returns
    -------
    BuildResult

    Raises
    ------
    reportlib.errors.InputError
        The run cannot be read (raised before anything is written).
    reportlib.errors.DependencyMissingError
        ``pdf`` is set and Chromium is not installed (raised before anything is written).
    reportlib.errors.BuildError
        The notebook failed, or could not be exported or printed.
    """
    started = time.perf_counter()
    params = report_parameters(Path(run_dir), smoothing=smoothing, whitespace=whitespace)
    # The one pipeline, once per build (and before any output exists, so a run that
    # cannot be read fails fast); the notebook reads this result instead of redoing it.
    result = analyze(run_dir, whitespace=whitespace, name=name)
    run = result.run
    chromium = None
    if pdf:
        from reportlib.pdf import find_chromium

        chromium = find_chromium()
    target = report_dir(Path(out_dir), run.name)

    # Every file is made in a hidden staging folder and moved into place only when all
    # are ready: a build that fails or is killed leaves the previous report as it was.
    _remove_stale_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
    # Hashes every input file: once per build, for summary.json and report.md alike.
    provenance = signature(run, params)
    try:
        write_summary(result, staging / "summary.json", provenance=provenance)
        handed = save_result(result, staging / RESULT_FILE)
        try:
            executed = execute_notebook(staging, {**params, "result_file": str(handed)},
                                        cell_timeout=cell_timeout,
                                        title=f"Training report: {run.name}", engine=engine)
        except BuildError as exc:
            raise _kept_failed_notebook(exc, staging, target) from exc
        finally:
            handed.unlink(missing_ok=True)
        html = export_html(executed, staging / "report.html")
        write_markdown(run, result.analysis, staging / "report.md", provenance=provenance)
        if chromium is not None:
            from reportlib.pdf import print_pdf

            print_pdf(html, staging / "report.pdf", chromium=chromium)
        for made in sorted(staging.iterdir()):
            os.replace(made, target / made.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        # A first build that failed or was interrupted (Ctrl-C) leaves no empty folder;
        # an earlier report or a kept failed notebook stays.
        with contextlib.suppress(OSError):
            target.rmdir()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if chromium is None:
        (target / "report.pdf").unlink(missing_ok=True)
    (target / "report.failed.ipynb").unlink(missing_ok=True)
    return BuildResult(run.name, target, target / "report.html", target / "report.ipynb",
                       target / "summary.json", time.perf_counter() - started,
                       markdown=target / "report.md",
                       pdf=None if chromium is None else target / "report.pdf")


def _remove_stale_staging(target: Path) -> None:
    """Remove the staging folders that killed builds left in ``target`` long ago."""
    now = time.time()
    for folder in target.glob(STAGING_PREFIX + "*"):
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # removed meanwhile by another build
            continue


def _kept_failed_notebook(error: BuildError, staging: Path, target: Path) -> BuildError:
    """The notebook's BuildError, its failed notebook moved from ``staging`` into ``target``."""
    failed = staging / "report.failed.ipynb"
    if not failed.is_file():
        return error
    os.replace(failed, target / failed.name)
    return BuildError(error.message, path=target / failed.name, where=error.where,
                      hint=error.hint)


def write_summary(result: RunResult, path: Path, *, provenance: Mapping[str, Any]) -> Path:
    """Write the ``summary.json`` of an analysed run, with the build's provenance, atomically.

    It is what ``reportlib summary --json`` prints for the same run, plus the
    ``provenance`` key (:func:`reportlib.provenance.signature`: reportlib's
    version, the build's parameters and the input files' hashes), which only a
    build knows.
    """
    text = summary_json(result.run, result.analysis, extra={"provenance": dict(provenance)})
    return write_text_atomic(path, text)


def write_markdown(run: Run, analysis: RunAnalysis, path: Path, *,
                   provenance: Mapping[str, Any]) -> Path:
    """Write ``report.md`` (results table, narrative, ``provenance``) atomically."""
    text = render_markdown(run, analysis, provenance=provenance)
    return write_text_atomic(path, text)


def execute_notebook(
    target: Path,
    parameters: Mapping[str, Any],
    *,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    title: str | None = None,
    notebook: Path | None = None,
    name: str = "report",
    engine: str | None = None,
) -> Path:
    """Execute a notebook (the report's by default) with papermill into ``target/<name>.ipynb``.

    The notebook is executed into a temporary file and renamed into place only
    when every cell succeeded. On failure it is kept as ``<name>.failed.ipynb``.
    ``title`` becomes the notebook's title (the HTML page's title). ``engine``
    names the papermill engine (None: papermill's own, a fresh kernel).
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    source = NOTEBOOK if notebook is None else Path(notebook)
    if not source.is_file():
        raise DependencyMissingError(
            f"the notebook {source} is missing",
            hint="reinstall reportlib: its notebooks ship inside the package",
        )
    if engine is not None:
        from reportlib.engine import register_engine

        register_engine()  # also works from a source tree, without the entry point
    final = target / f"{name}.ipynb"
    failed = target / f"{name}.failed.ipynb"
    tmp = temp_sibling(final, suffix=".ipynb")
    # papermill logs every cell at INFO; a batch build wants only its own output.
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        papermill.execute_notebook(
            str(source),
            str(tmp),
            parameters=dict(parameters),
            progress_bar=False,
            # The caller's folder: the run a build hands over may hold relative paths.
            cwd=os.getcwd(),
            execution_timeout=cell_timeout,
            kernel_name=KERNEL_NAME,
            extra_arguments=list(KERNEL_ARGUMENTS),
            engine_name=engine,
        )
    except PapermillExecutionError as exc:
        os.replace(tmp, failed)
        raise BuildError(
            f"the report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
            path=failed,
            hint="open the executed notebook to see the cell and its traceback",
        ) from exc
    except CellTimeoutError as exc:
        if tmp.exists() and tmp.stat().st_size:
            os.replace(tmp, failed)
        else:
            tmp.unlink(missing_ok=True)
        raise BuildError(
            f"a cell of the notebook ran longer than {cell_timeout} s and was stopped "
            "(a hung kernel, or a run too large for that time?)",
            path=failed if failed.exists() else source,
            hint=f"raise cell_timeout (now {cell_timeout} s), or open the executed notebook "
            "to see which cell did not finish",
        ) from exc
    except BaseException as exc:
        if tmp.exists() and tmp.stat().st_size:
            os.replace(tmp, failed)
        else:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise BuildError(
            f"the report notebook could not be executed ({type(exc).__name__}: {exc})",
            path=failed if failed.exists() else source,
            hint="check that Jupyter's python3 kernel (ipykernel) is installed",
        ) from exc
    _finish_notebook(tmp, title, name=final.name)
    os.replace(tmp, final)
    failed.unlink(missing_ok=True)
    return final


def _finish_notebook(notebook: Path, title: str | None, *, name: str) -> None:
    """Set the executed notebook's title; keep no absolute path of the builder in it."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    if title:
        data.setdefault("metadata", {})["title"] = title
    portable_notebook(data, name=name)
    notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


@lru_cache(maxsize=1)
def html_exporter():
    """nbconvert's HTMLExporter set up for reports: code hidden, tags honoured, no CDN scripts.

    Made once per process (about a second: templates, preprocessors) and reused.
    """
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {REMOVE_CELL_TAG}
    config.TagRemovePreprocessor.remove_input_tags = {REMOVE_INPUT_TAG}
    exporter = HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def export_html(notebook: Path, html_path: Path) -> Path:
    """Export an executed notebook to self-contained HTML at ``html_path`` (atomically)."""
    import nbformat

    try:
        node = nbformat.read(str(notebook), as_version=4)
        body, _ = html_exporter().from_notebook_node(node)
    except Exception as exc:  # nbconvert raises many types; report them as one
        raise BuildError(
            f"exporting to HTML failed ({type(exc).__name__}: {exc})",
            path=notebook,
            hint="the executed notebook was kept; open it to check its outputs",
        ) from exc
    return write_text_atomic(html_path, body)
