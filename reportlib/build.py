"""Build a report: execute the notebook with papermill, export it with nbconvert.

One report is the folder ``<out_dir>/<run name>/`` holding ``report.html``
(self-contained, code hidden, no network needed), ``report.ipynb`` (the
executed notebook) and ``summary.json`` (the analysis, for machines).

Every file is written atomically; the run folder is only read. When the
notebook fails, its executed copy is kept as ``report.failed.ipynb`` and the
:class:`~reportlib.errors.BuildError` names it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlib.analysis import analyze_run
from reportlib.errors import BuildError, DependencyMissingError, ParameterError
from reportlib.ingest import load_run
from reportlib.outputs import report_dir, temp_sibling, write_text_atomic
from reportlib.provenance import signature
from reportlib.run import Run
from reportlib.summary import summary_json

#: The notebook every report is executed from (kept in the source tree, next to the package).
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "training_report.ipynb"
#: reportlib's nbconvert template: JupyterLab's look without CDN scripts.
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "reportlib_html"

#: Default smoothing weight, as TensorBoard's slider default.
DEFAULT_SMOOTHING = 0.6
#: Seconds one notebook cell may run before the build fails; generous, since a
#: hung kernel must fail the build rather than hang a batch forever.
DEFAULT_CELL_TIMEOUT = 600
#: Cell tags the exporter honours (STYLE.md's fixed vocabulary).
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


def report_parameters(run_dir: Path, *, smoothing: float) -> dict[str, Any]:
    """The papermill parameters for the report notebook (also recorded in its footer)."""
    if not 0.0 <= smoothing < 1.0:
        raise ParameterError(
            f"smoothing must be in [0, 1), got {smoothing!r}",
            hint="use 0 for no smoothing and 0.6 for TensorBoard's default",
        )
    return {"run_dir": str(Path(run_dir).resolve()), "smoothing": float(smoothing)}


def build_report(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    smoothing: float = DEFAULT_SMOOTHING,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
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

    Returns
    -------
    BuildResult

    Raises
    ------
    reportlib.errors.InputError
        The run cannot be read (raised before anything is written).
    reportlib.errors.BuildError
        The notebook failed or could not be exported.
    """
    started = time.perf_counter()
    run = load_run(run_dir)  # fail fast, before any output exists
    params = report_parameters(Path(run_dir), smoothing=smoothing)
    target = report_dir(Path(out_dir), run.name)

    summary = write_summary(run, target / "summary.json", parameters=params)
    executed = execute_notebook(target, params, cell_timeout=cell_timeout, title=run.name)
    html = export_html(executed, target / "report.html")
    return BuildResult(run.name, target, html, executed, summary, time.perf_counter() - started)


def write_summary(run: Run, path: Path, *, parameters: Mapping[str, Any]) -> Path:
    """Analyse ``run`` and write its ``summary.json`` (with provenance) atomically."""
    analysis = analyze_run(run, smoothing=parameters["smoothing"])
    text = summary_json(run, analysis, extra={"provenance": signature(run, parameters)})
    return write_text_atomic(path, text)


def execute_notebook(
    target: Path,
    parameters: Mapping[str, Any],
    *,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    title: str | None = None,
) -> Path:
    """Execute the report notebook with papermill into ``target/report.ipynb``.

    The notebook is executed into a temporary file and renamed into place only
    when every cell succeeded. On failure it is kept as ``report.failed.ipynb``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if not NOTEBOOK.is_file():
        raise DependencyMissingError(
            f"the report notebook {NOTEBOOK} is missing",
            hint="install reportlib from its source tree with `pip install -e .`",
        )
    final = target / "report.ipynb"
    failed = target / "report.failed.ipynb"
    tmp = temp_sibling(final, suffix=".ipynb")
    # papermill logs every cell at INFO; a batch build wants only its own output.
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(tmp),
            parameters=dict(parameters),
            progress_bar=False,
            cwd=str(NOTEBOOK.parent),
            execution_timeout=cell_timeout,
            kernel_name="python3",
        )
    except PapermillExecutionError as exc:
        os.replace(tmp, failed)
        raise BuildError(
            f"the report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
            path=failed,
            hint="open the executed notebook to see the cell and its traceback",
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
            path=failed if failed.exists() else NOTEBOOK,
            hint="check that Jupyter's python3 kernel (ipykernel) is installed",
        ) from exc
    if title:
        _set_title(tmp, f"Training report: {title}")
    os.replace(tmp, final)
    failed.unlink(missing_ok=True)
    return final


def _set_title(notebook: Path, title: str) -> None:
    data = json.loads(notebook.read_text(encoding="utf-8"))
    data.setdefault("metadata", {})["title"] = title
    notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def html_exporter():
    """nbconvert's HTMLExporter set up for reports: code hidden, tags honoured, no CDN scripts."""
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
