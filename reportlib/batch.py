"""Build many reports at once: in parallel, skipping those already up to date, with an index.

:func:`build_batch` takes run folders (or folders of run folders), builds each
report with :func:`reportlib.build.build_report` in up to ``jobs`` worker
processes (:mod:`reportlib.workers`; one run alone in this process), keeps
going past a run that fails, and writes ``<out_dir>/index.html``: one sortable
table of every report in ``out_dir``.
Each worker runs its notebooks in one warm kernel (:mod:`reportlib.engine`)
unless ``cold`` is set.

A report is *up to date*, and not rebuilt unless ``force`` is set (see
:func:`stale_reason`; the run is not parsed to decide it), when all
its files exist, were made by this version of reportlib with the same
parameters from the same set of input files, and are newer than every input
file of the run and than reportlib's own code (its package files and
notebooks), so editing reportlib also rebuilds.

(Over 500 lines: a batch's four steps, collecting runs, deciding what is up
to date, building and indexing, read top to bottom here; the worker processes
are in :mod:`reportlib.workers` and the kernel in :mod:`reportlib.engine`.)
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlib import __version__
from reportlib.build import NOTEBOOK, report_parameters
from reportlib.errors import ParameterError, ReportlibError
from reportlib.ingest import RunSource, select_runs
from reportlib.outputs import COMPARE_FOLDER, safe_name, write_text_atomic
from reportlib.present.index import IndexRow, index_row, render_index
from reportlib.present.settings import DEFAULT_SMOOTHING
from reportlib.provenance import input_digest, same_parameters
from reportlib.run import Run

#: Files every report folder holds after a successful build.
REPORT_FILES: tuple[str, ...] = ("summary.json", "report.ipynb", "report.html", "report.md")
#: The PDF, present when the batch was built with ``pdf=True``.
PDF_FILE = "report.pdf"
#: The index page, written in the output folder.
INDEX_FILE = "index.html"
#: What each :class:`BatchItem` status means.
STATUSES: tuple[str, ...] = ("built", "up_to_date", "failed", "skipped")
#: reportlib's own files, whose changes make every report out of date.
_PACKAGE = Path(__file__).resolve().parent


def default_jobs() -> int:
    """The number of CPU cores this process may use (at least 1): ``-j``'s default."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class BatchItem:
    """What happened to one path of a batch.

    Attributes
    ----------
    path:
        The run folder or log file.
    status:
        One of :data:`STATUSES`: ``built``, ``up_to_date`` (not rebuilt),
        ``failed`` (``message`` says why) or ``skipped`` (not a run).
    name:
        The run's name, when it could be read.
    report_dir:
        Its report folder, when it has one.
    message:
        The error line of a failure, the reason of a skip, or "" otherwise.
    seconds:
        Time spent building it (0 when not built).
    detail:
        A traceback, for a failure that is a bug in reportlib rather than a bad input.
    """

    path: Path
    status: str
    name: str | None = None
    report_dir: Path | None = None
    message: str = ""
    seconds: float = 0.0
    detail: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What :func:`build_batch` did: one item per path, the index page and the wall time."""

    items: tuple[BatchItem, ...]
    index: Path | None
    seconds: float
    jobs: int = 1
    counts: Mapping[str, int] = field(default_factory=dict)
    #: The largest peak resident memory of one worker (its process plus its
    #: notebook kernel), in bytes; 0 where it could not be read (not Linux).
    peak_worker_bytes: int = 0

    def of(self, status: str) -> list[BatchItem]:
        """The items with ``status`` (one of :data:`STATUSES`)."""
        return [item for item in self.items if item.status == status]

    @property
    def ok(self) -> bool:
        """Whether no run failed."""
        return not self.of("failed")


def collect_runs(paths: Sequence[str | os.PathLike[str]]
                 ) -> tuple[list[RunSource], list[BatchItem]]:
    """The runs named by ``paths``, as :func:`reportlib.ingest.select_runs` finds them.

    Every command follows that one rule: folders are searched for runs (a
    Trainer folder with ``checkpoint-*/`` is one run; ``runs/`` holding run
    folders is several), runs are named together (unique, told apart by
    their paths), a given path that holds no run is skipped with a reason when
    other paths hold runs, and is an error otherwise; a run named twice
    (``runs/ runs/a``) is built once.

    Returns
    -------
    (runs, others): the runs to build, in order, and ``failed`` items (paths
    that do not exist, or no run anywhere) then ``skipped`` ones.
    """
    selection = select_runs(paths)
    others = [BatchItem(path, "failed", message=error.one_line())
              for path, error in selection.errors]
    others += [BatchItem(path, "skipped", message=reason) for path, reason in selection.skipped]
    return list(selection.runs), others


@lru_cache(maxsize=1)
def toolchain_mtime_ns() -> int:
    """Newest modification time (ns) of reportlib's code, templates and notebooks.

    A report older than this was made by other code than what is installed now.
    Computed once per process.
    """
    files = [p for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += list(NOTEBOOK.parent.glob("*.ipynb"))
    return max((p.stat().st_mtime_ns for p in files if p.exists()), default=0)


def stale_reason(run: Run | RunSource | str | os.PathLike[str], report_dir: Path, *,
                 parameters: Mapping[str, Any], pdf: bool = False) -> str | None:
    """Why the report of ``run`` in ``report_dir`` must be rebuilt, or None if it is up to date.

    The run is not parsed: the report's provenance names its input files and
    their hash, and file times say what changed since. Up to date means: every
    report file is there (no failed build left), made by this reportlib with
    ``parameters`` (which name the run), each recorded input file still there
    with the recorded content and older than the report, no folder of the run
    changed after it (a file added, removed or renamed changes its folder's
    time, whatever the file's own time), and reportlib's code older.

    Parameters
    ----------
    run:
        The run: its folder or log file, the :class:`~reportlib.ingest.RunSource`
        discovery found, or a :class:`~reportlib.run.Run` (for its path).
    report_dir:
        Its report folder.
    parameters:
        The parameters it would be built with (:func:`reportlib.build.report_parameters`).
    pdf:
        Whether the build must also have a ``report.pdf``.

    Returns
    -------
    A short reason ("report.md is missing", "trainer_state.json is newer than
    the report"...), or None.
    """
    names = REPORT_FILES + ((PDF_FILE,) if pdf else ())
    outputs = [Path(report_dir) / name for name in names]
    for path in outputs:
        if not path.is_file():
            return f"{path.name} is missing"
    if (Path(report_dir) / "report.failed.ipynb").exists():
        return "its last build failed"
    try:
        provenance = json.loads(outputs[0].read_text(encoding="utf-8")).get("provenance") or {}
        recorded = [str(name) for name in provenance.get("input_files") or []]
    except (OSError, ValueError, AttributeError, TypeError):
        return "summary.json cannot be read"
    if provenance.get("reportlib_version") != __version__:
        return (f"it was made by reportlib {provenance.get('reportlib_version')}, "
                f"this is {__version__}")
    if not same_parameters(provenance.get("parameters") or {}, parameters):
        return "it was made with other parameters"
    oldest = min(path.stat().st_mtime_ns for path in outputs)
    path = Path(run.path if isinstance(run, (Run, RunSource)) else run).resolve()
    # The provenance names inputs relative to the run's folder (a log file's folder),
    # and one outside it by its name: it is then in the run's root (run.yaml, predictions).
    root = path if path.is_dir() else path.parent
    roots = [root] + ([Path(run.root).resolve()] if isinstance(run, RunSource) else [])
    files = [next((r / name for r in roots if (r / name).exists()), root / name)
             for name in recorded]
    for file in files:
        try:
            if file.stat().st_mtime_ns >= oldest:
                return f"{file.name} is newer than the report"
        except OSError:
            return f"the run's set of files changed ({file.name} is gone)"
    for folder in _run_folders(path, files):
        if folder.stat().st_mtime_ns >= oldest:
            name = "the run folder" if folder == root else f"{folder.relative_to(root)}/"
            return f"the run's set of files changed ({name} changed after the report)"
    if not files or input_digest(files, root=root) != provenance.get("input_sha256"):
        return "the content of the run's input files changed"
    if toolchain_mtime_ns() >= oldest:
        return "reportlib's code is newer than the report"
    return None


def _run_folders(path: Path, files: Sequence[Path]) -> list[Path]:
    """The folders whose times tell whether files were added to or removed from a run.

    A run folder: it and every folder below it. A log file: its folder and the
    folders of its other inputs (not the whole tree around a lone log file).
    """
    if path.is_dir():
        return [Path(top) for top, _, _ in os.walk(path)]
    return sorted({path.parent, *(file.parent for file in files)})


def _build_one(source: RunSource, out_dir: Path, smoothing: float, pdf: bool,
               whitespace: bool = False, engine: str | None = None) -> BatchItem:
    """Build one report and describe the outcome (in the batch's process or a worker)."""
    from reportlib.build import build_report

    path = source.path
    started = time.perf_counter()
    try:
        result = build_report(path, out_dir, smoothing=smoothing, pdf=pdf, whitespace=whitespace,
                              name=source.name, engine=engine)
    except ReportlibError as error:
        return BatchItem(path, "failed", message=error.one_line(),
                         seconds=time.perf_counter() - started)
    except Exception as exc:  # a bug, not a bad run: keep the batch going, keep the traceback
        return BatchItem(path, "failed",
                         message=f"unexpected {type(exc).__name__}: {exc} "
                         "(a bug in reportlib: please report it with the traceback)",
                         seconds=time.perf_counter() - started,
                         detail=traceback.format_exc())
    return BatchItem(path, "built", name=result.run_name, report_dir=result.report_dir,
                     seconds=result.seconds)


def build_batch(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    jobs: int | None = None,
    force: bool = False,
    pdf: bool = False,
    smoothing: float = DEFAULT_SMOOTHING,
    whitespace: bool = False,
    progress: bool | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
    cold: bool = False,
) -> BatchResult:
    """Build the reports of many runs in parallel and write ``out_dir/index.html``.

    Parameters
    ----------
    paths:
        Run folders, log files, or folders of runs (see :func:`collect_runs`).
    out_dir:
        Where report folders and the index go; created if missing.
    jobs:
        Worker processes (each runs its own notebook kernel); None: one per core.
    force:
        Rebuild reports that are up to date (see :func:`stale_reason`).
    pdf:
        Also print each report to PDF (checked once, before anything is built).
    smoothing:
        TensorBoard EMA weight in [0, 1).
    whitespace:
        Score chrF with whitespace counted (as :func:`reportlib.build.build_report`).
    progress:
        Show a progress bar on stderr: True, False, or None for "when stderr is a terminal".
    on_item:
        Called with each :class:`BatchItem` as soon as it is known (with the
        progress bar cleared), e.g. to print a line.
    cold:
        Run each report's notebook in a fresh kernel (papermill's own engine).
        By default each worker keeps one kernel warm and reuses it, reset
        between reports (:mod:`reportlib.engine`): the same reports, faster.

    Returns
    -------
    BatchResult: one item per run or skipped path, in the order given.

    Raises
    ------
    reportlib.errors.ParameterError
        ``jobs`` below 1, ``smoothing`` out of range, or no path at all.
    reportlib.errors.DependencyMissingError
        ``pdf`` is set and Chromium is not installed.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    if not paths:
        raise ParameterError("no run to build", hint="give one or more run folders")
    if jobs is None:
        jobs = default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    report_parameters(Path("."), smoothing=smoothing)  # validates smoothing early
    chromium = None
    if pdf:
        from reportlib.pdf import find_chromium

        chromium = find_chromium()
    out_dir = Path(out_dir)
    notify = on_item or (lambda item: None)

    runs, others = collect_runs(paths)
    outcome: dict[int, BatchItem] = {}
    todo: list[tuple[int, RunSource]] = []
    planned: dict[int, BatchItem] = {}  # name and report folder of each run to build
    owners: dict[str, Path] = {}
    for item in others:
        notify(item)
    for number, source in enumerate(runs):
        item = _plan(source, out_dir, owners, smoothing=smoothing, whitespace=whitespace, pdf=pdf,
                     force=force)
        if item.status == "built":
            todo.append((number, source))
            planned[number] = item
        else:
            outcome[number] = item
            notify(item)

    bars: list[Any] = []

    def start_progress() -> None:
        """Show the progress bar: once the workers exist (its thread would stop their forks)."""
        bars.append(tqdm(total=len(todo), unit="run", file=sys.stderr, desc="building",
                         disable=(None if progress is None else not progress), leave=False))

    def finished(number: int, item: BatchItem) -> None:
        item = replace(item, name=item.name or planned[number].name,
                       report_dir=item.report_dir or planned[number].report_dir)
        outcome[number] = item
        with tqdm.external_write_mode(file=sys.stderr):
            notify(item)
        for bar in bars:
            bar.update(1)

    workers = min(jobs, len(todo))
    engine = None
    if not cold and todo:
        from reportlib.engine import ENGINE_NAME  # imports papermill: not for an up-to-date batch

        engine = ENGINE_NAME
    job = (out_dir, smoothing, chromium is not None, whitespace, engine)
    peak = 0
    try:
        if len(todo) <= 1:
            start_progress()
            peak = _build_here(todo, job, finished)
        else:  # in workers even at -j 1: a build that dies (out of memory) fails only its run
            peak = _run_workers(todo, workers, job, finished, started=start_progress)
    finally:
        for bar in bars:
            bar.close()

    failed_paths = [item for item in others if item.status == "failed"]
    items = failed_paths + [outcome[n] for n in range(len(runs))] + [
        item for item in others if item.status != "failed"]
    failures = {(item.report_dir.name if item.report_dir else item.name or item.path.name):
                item.message for item in items if item.status == "failed"}
    index = write_index(out_dir, failures=failures) if out_dir.is_dir() else None
    counts = {status: sum(item.status == status for item in items) for status in STATUSES}
    return BatchResult(tuple(items), index, time.perf_counter() - started, jobs=jobs,
                       counts=counts, peak_worker_bytes=peak)


def _plan(source: RunSource, out_dir: Path, owners: dict[str, Path], *, smoothing: float,
          whitespace: bool, pdf: bool, force: bool) -> BatchItem:
    """The plan for a run: an item that is failed, up to date, or ``built`` (meaning: to build).

    The run is not read here (discovery named it): a run to build is read once,
    by its build, and an unchanged one not at all.
    """
    path = source.path
    try:
        folder = safe_name(source.name)
    except ReportlibError as error:
        return BatchItem(path, "failed", name=source.name, message=error.one_line())
    target = out_dir.resolve() / folder
    if folder in owners:
        return BatchItem(path, "failed", name=source.name,
                         message=f"{path}: its report folder {target} is also the one of "
                         f"{owners[folder]}, built in this batch. Rename one of the run folders "
                         "or build them into different output folders.")
    owners[folder] = path
    to_build = BatchItem(path, "built", name=source.name, report_dir=target)
    if force:
        return to_build
    parameters = report_parameters(path, smoothing=smoothing, whitespace=whitespace)
    reason = stale_reason(source, target, parameters=parameters, pdf=pdf)
    if reason is None:
        return BatchItem(path, "up_to_date", name=source.name, report_dir=target)
    return to_build


def _input_bytes(source: RunSource) -> int:
    """Total size of a run's folder (or log file): a cheap guess at how long it takes to build."""
    path = source.path
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0


def _build_here(todo: list[tuple[int, RunSource]], job: tuple[Any, ...],
                finished: Callable[[int, BatchItem], None]) -> int:
    """Build ``todo`` one after another in this process; returns its peak memory (bytes)."""
    from reportlib.workers import peak_memory

    engine = job[-1]
    if engine is None:
        for number, source in todo:
            finished(number, _build_one(source, *job))
        return peak_memory()
    from reportlib import engine as warm

    _start_warm_kernel()
    try:
        for number, source in todo:
            finished(number, _build_one(source, *job))
        return peak_memory()
    finally:  # a library call leaves no kernel running behind it
        warm.shutdown_kernels()


def _start_warm_kernel() -> None:
    """Start this process's warm kernel now: it boots while the first run is read and analysed."""
    from reportlib.build import KERNEL_ARGUMENTS, KERNEL_NAME
    from reportlib.engine import prestart

    try:
        prestart(KERNEL_NAME, KERNEL_ARGUMENTS)
    except Exception:  # no kernel to start: the first build tries again and says why
        return


def _run_workers(todo: list[tuple[int, RunSource]], workers: int, job: tuple[Any, ...],
                 finished: Callable[[int, BatchItem], None],
                 started: Callable[[], None] | None = None) -> int:
    """Build ``todo`` in ``workers`` worker processes; returns the largest worker's peak memory.

    ``started`` is called once the workers exist (see :func:`reportlib.workers.run_in_workers`).
    """
    from reportlib.workers import run_in_workers

    # Biggest runs first: the last build to start is then a short one, so no
    # worker sits idle at the end while another finishes a long build.
    ordered = sorted(todo, key=lambda item: -_input_bytes(item[1]))
    paths = {number: source.path for number, source in todo}

    def died(number: int, why: str) -> BatchItem:
        return BatchItem(paths[number], "failed",
                         message=f"{paths[number]}: the build process died ({why})")

    return run_in_workers(
        [(number, "reportlib.batch:_build_one", (source, *job)) for number, source in ordered],
        workers, on_result=finished, on_death=died, started=started,
        setup="" if job[-1] is None else "reportlib.batch:_start_warm_kernel")


def index_rows(out_dir: str | os.PathLike[str], *,
               failures: Mapping[str, str] | None = None) -> list[IndexRow]:
    """One :class:`~reportlib.present.index.IndexRow` per report folder in ``out_dir``.

    A report folder is a sub-folder holding ``summary.json``. ``failures`` maps
    a folder name to the error of its latest build, shown instead of its
    figures; a folder whose ``summary.json`` cannot be read, or that has no
    ``report.html``, gets a row saying so.
    """
    failures = dict(failures or {})
    rows: list[IndexRow] = []
    out_dir = Path(out_dir)
    folders = sorted(p for p in out_dir.iterdir() if p.is_dir() and (p / "summary.json").is_file())
    for folder in folders:
        href = f"{folder.name}/report.html"
        if folder.name in failures:
            rows.append(IndexRow(name=folder.name, error=failures.pop(folder.name)))
            continue
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
            row = index_row(summary, href=href if (folder / "report.html").is_file() else None,
                            updated=_modified(folder / "summary.json"))
        except (OSError, ValueError, ReportlibError) as error:
            rows.append(IndexRow(name=folder.name, error=f"summary.json cannot be read ({error})"))
            continue
        if row.href is None:
            row = replace(row, error="report.html is missing (the last build did not finish)")
        rows.append(row)
    rows += [IndexRow(name=name, error=message) for name, message in failures.items()]
    return rows


def _modified(path: Path) -> str:
    """When ``path`` was last written, as the index shows it (UTC, to the minute)."""
    when = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M")


def comparison_links(out_dir: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(name, href)`` of every comparison page under ``out_dir/compare/``, by name."""
    folder = Path(out_dir) / COMPARE_FOLDER
    if not folder.is_dir():
        return []
    return [(page.parent.name.replace("_vs_", " vs "),
             f"{COMPARE_FOLDER}/{page.parent.name}/{page.name}")
            for page in sorted(folder.glob("*/compare.html"))]


def write_index(out_dir: str | os.PathLike[str], *,
                failures: Mapping[str, str] | None = None) -> Path:
    """Write ``out_dir/index.html`` listing every report in ``out_dir`` (see :func:`index_rows`).

    Returns the path written (atomically).
    """
    rows = index_rows(out_dir, failures=failures)
    page = render_index(rows, footer=f"Made by reportlib {__version__}.",
                        comparisons=comparison_links(out_dir))
    return write_text_atomic(Path(out_dir) / INDEX_FILE, page)


def summary_line(result: BatchResult) -> str:
    """One line that sums up a batch: counts by status and the wall time."""
    counts = result.counts or {s: len(result.of(s)) for s in STATUSES}
    parts = [f"{counts.get('built', 0)} built", f"{counts.get('up_to_date', 0)} up to date"]
    if counts.get("skipped"):
        parts.append(f"{counts['skipped']} skipped")
    parts.append(f"{counts.get('failed', 0)} failed")
    return f"{', '.join(parts)} in {result.seconds:.1f} s (-j {result.jobs})"


__all__ = [
    "INDEX_FILE",
    "PDF_FILE",
    "REPORT_FILES",
    "STATUSES",
    "BatchItem",
    "BatchResult",
    "build_batch",
    "collect_runs",
    "default_jobs",
    "index_rows",
    "stale_reason",
    "summary_line",
    "toolchain_mtime_ns",
    "write_index",
]
