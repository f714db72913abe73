"""Batch builds: which paths are runs, when a report is up to date, parallel builds, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.bench_batch import comparable  # the bench checks its batches the same way
from reportlib import __version__, batch
from reportlib.build import report_parameters, write_summary
from reportlib.cli import main
from reportlib.errors import DependencyMissingError, ParameterError
from reportlib.ingest import load_run
from reportlib.pipeline import analyze
from reportlib.provenance import signature
from tests.conftest import (
    EXAMPLE_DIR,
    EXAMPLE_NAME,
    OVERFIT_DIR,
    ROOT,
    build_in_this_process,
    snapshot,
)

#: A time well before the test (inputs) and the one outputs get, in ns.
PAST_NS = 1_600_000_000 * 10**9
NOW_NS = 1_700_000_000 * 10**9


@pytest.fixture
def runs_folder(example_run, overfit_run, tmp_path):
    """A folder with copies of both example runs, a README and an empty folder."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for source in (example_run, overfit_run):
        shutil.copytree(source, folder / source.name)
    (folder / "README.md").write_text("notes\n", encoding="utf-8")
    (folder / "empty").mkdir()
    return folder


# -- which paths are runs ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("given", "runs", "skipped", "failed"),
    [
        (["."], ["tiny-codegen", "tiny-codegen-overfit"], [], []),               # a folder of runs
        (["tiny-codegen"], ["tiny-codegen"], [], []),
        (["README.md", "tiny-codegen", "empty"], ["tiny-codegen"], ["README.md", "empty"], []),
        (["README.md"], [], [], ["README.md"]),    # alone, it is an error that says why
        (["missing", "tiny-codegen"], ["tiny-codegen"], [], ["missing"]),  # missing: an error
        (["empty"], [], [], ["empty"]),
        (["tiny-codegen", ".", "./tiny-codegen"], ["tiny-codegen", "tiny-codegen-overfit"], [],
         []),
    ],
)
def test_collect_runs(runs_folder, given, runs, skipped, failed):
    found, others = batch.collect_runs([runs_folder / g for g in given])
    assert [source.path.name for source in found] == runs
    skips = [item for item in others if item.status == "skipped"]
    assert [item.path.name for item in skips] == skipped
    assert [item.path.name for item in others if item.status == "failed"] == failed
    assert all("not a training run" in item.message for item in skips)


def test_a_trainer_folder_with_checkpoints_stays_one_run(example_run, tmp_path):
    folder = tmp_path / "output_dir"
    for step in (57, 114):
        (folder / f"checkpoint-{step}").mkdir(parents=True)
        shutil.copy(example_run / "trainer_state.json", folder / f"checkpoint-{step}")
    (folder / "config.json").write_text("{}", encoding="utf-8")
    found, skips = batch.collect_runs([folder])
    assert [source.path for source in found] == [folder] and skips == []


# -- when is a report up to date --------------------------------------------------------------

@pytest.fixture
def fake_report(example_run, tmp_path, monkeypatch):
    """A copied run and a report folder that is up to date (summary.json real, others stubs)."""
    monkeypatch.setattr(batch, "toolchain_mtime_ns", lambda: PAST_NS)
    run_dir = tmp_path / "run"
    shutil.copytree(example_run, run_dir)
    for path in [*run_dir.rglob("*"), run_dir]:
        os.utime(path, ns=(PAST_NS, PAST_NS))
    report = tmp_path / "reports" / EXAMPLE_DIR  # the run is named by its run.yaml title
    report.mkdir(parents=True)
    run = load_run(run_dir)
    params = report_parameters(run_dir, smoothing=0.6)
    write_summary(analyze(run), report / "summary.json", provenance=signature(run, params))
    for name in ("report.html", "report.ipynb", "report.md"):
        (report / name).write_text("stub", encoding="utf-8")
    for path in report.iterdir():
        os.utime(path, ns=(NOW_NS, NOW_NS))
    return run_dir, report, params


def _edit_summary(report: Path, **provenance) -> None:
    path = report / "summary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["provenance"].update(provenance)
    path.write_text(json.dumps(data), encoding="utf-8")
    os.utime(path, ns=(NOW_NS, NOW_NS))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("nothing", None),
        ("remove report.md", "report.md is missing"),
        ("failed notebook", "its last build failed"),
        ("touch input", "trainer_state.json is newer than the report"),
        ("older version", f"made by reportlib 0.0.1, this is {__version__}"),
        ("other smoothing", "made with other parameters"),
        ("new prediction file", "set of files changed (predictions/ changed after the report)"),
        ("new file", "set of files changed (the run folder changed after the report)"),
        ("input removed", "set of files changed (step-000570.jsonl is gone)"),
        ("content changed, time kept", "content of the run's input files changed"),
        ("toolchain newer", "reportlib's code is newer than the report"),
        ("garbled summary", "summary.json cannot be read"),
        ("pdf wanted", "report.pdf is missing"),
    ],
)
def test_stale_reason(fake_report, monkeypatch, change, reason):
    run_dir, report, params = fake_report
    pdf = False
    if change == "remove report.md":
        (report / "report.md").unlink()
    elif change == "failed notebook":
        (report / "report.failed.ipynb").write_text("{}", encoding="utf-8")
    elif change == "touch input":
        os.utime(run_dir / "trainer_state.json", ns=(NOW_NS + 1, NOW_NS + 1))
    elif change == "older version":
        _edit_summary(report, reportlib_version="0.0.1")
    elif change == "other smoothing":
        params = report_parameters(run_dir, smoothing=0.3)
    elif change == "new prediction file":
        extra = run_dir / "predictions" / "step-000999.jsonl"
        shutil.copy(run_dir / "predictions" / "step-000570.jsonl", extra)
        os.utime(extra, ns=(PAST_NS, PAST_NS))
    elif change == "new file":
        (run_dir / "notes.txt").write_text("added\n", encoding="utf-8")
        os.utime(run_dir / "notes.txt", ns=(PAST_NS, PAST_NS))
    elif change == "input removed":
        (run_dir / "predictions" / "step-000570.jsonl").unlink()
        os.utime(run_dir / "predictions", ns=(PAST_NS, PAST_NS))
    elif change == "content changed, time kept":
        state = run_dir / "trainer_state.json"
        state.write_text(state.read_text(encoding="utf-8") + " ", encoding="utf-8")
        os.utime(state, ns=(PAST_NS, PAST_NS))
    elif change == "toolchain newer":
        monkeypatch.setattr(batch, "toolchain_mtime_ns", lambda: NOW_NS + 1)
    elif change == "garbled summary":
        (report / "summary.json").write_text("{", encoding="utf-8")
    elif change == "pdf wanted":
        pdf = True
    found = batch.stale_reason(run_dir, report, parameters=params, pdf=pdf)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_a_moved_project_stays_up_to_date(fake_report, tmp_path):
    """Issue 12: the up-to-date check does not depend on where the run folder lies."""
    run_dir, report, _ = fake_report
    moved = tmp_path / "elsewhere" / "project" / "run"
    moved.parent.mkdir(parents=True)
    shutil.move(run_dir, moved)  # a rename keeps every file's time
    parameters = report_parameters(moved, smoothing=0.6)
    assert batch.stale_reason(load_run(moved), report, parameters=parameters) is None


def test_stale_reason_reads_no_log(fake_report, monkeypatch):
    run_dir, report, params = fake_report

    def no_parsing(*args, **kwargs):
        raise AssertionError("the log was parsed")

    import reportlib.ingest

    monkeypatch.setattr(reportlib.ingest, "load_run", no_parsing)
    assert batch.stale_reason(run_dir, report, parameters=params) is None
    result = batch.build_batch([run_dir], report.parent, jobs=1, progress=False)
    assert [item.status for item in result.items] == ["up_to_date"]


def test_toolchain_time_covers_reportlibs_own_files():
    newest = batch.toolchain_mtime_ns()
    assert newest >= os.stat(batch.__file__).st_mtime_ns
    notebook = Path(batch.__file__).resolve().parent.parent / "notebooks" / "training_report.ipynb"
    assert newest >= os.stat(notebook).st_mtime_ns


# -- build_batch without notebooks: planning, skipping, failures --------------------------------

@pytest.fixture
def fake_builds(monkeypatch):
    """Replace the build itself with a stub that records which runs it was asked to build."""
    calls = _Calls()

    def fake(source, out_dir, smoothing, pdf, whitespace=False, engine=None):
        calls.append(source.path.name)
        calls.engines.append(engine)
        return batch.BatchItem(source.path, "built", seconds=0.0)

    monkeypatch.setattr(batch, "_build_one", fake)
    monkeypatch.setattr(batch, "_start_warm_kernel", lambda: None)  # no build, no kernel
    build_in_this_process(monkeypatch)  # where ``calls`` is
    return calls


class _Calls(list):
    """The names of the runs a stub build was asked for; ``engines``: the engine of each."""

    def __init__(self) -> None:
        super().__init__()
        self.engines: list[str | None] = []


def test_force_rebuilds_and_up_to_date_is_skipped(fake_report, fake_builds, monkeypatch):
    run_dir, report, _ = fake_report
    out = report.parent
    result = batch.build_batch([run_dir], out, jobs=1, progress=False)
    assert [i.status for i in result.items] == ["up_to_date"] and fake_builds == []
    result = batch.build_batch([run_dir], out, jobs=1, force=True, progress=False)
    assert [i.status for i in result.items] == ["built"] and fake_builds == ["run"]
    assert result.items[0].report_dir == report.resolve()
    assert (out / "index.html").is_file()


def test_runs_with_the_same_name_do_not_overwrite_each_other(example_run, tmp_path, fake_builds):
    """Two copies of one run (same title, same folder name) are told apart by their paths."""
    for parent in ("a", "b"):
        shutil.copytree(example_run, tmp_path / parent / "same")
    result = batch.build_batch([tmp_path / "a" / "same", tmp_path / "b" / "same"],
                               tmp_path / "out", jobs=1, progress=False)
    assert [(i.status, i.name) for i in result.items] == [("built", "a/same"),
                                                          ("built", "b/same")]
    assert fake_builds == ["same", "same"]
    assert [i.report_dir.name for i in result.items] == ["a_same", "b_same"]
    assert result.ok


def test_items_are_reported_as_they_come(runs_folder, fake_builds, tmp_path):
    seen = []
    result = batch.build_batch([runs_folder / "README.md", runs_folder / "missing",
                                runs_folder / "tiny-codegen"], tmp_path / "out", jobs=1,
                               progress=False, on_item=seen.append)
    assert sorted(i.status for i in seen) == ["built", "failed", "skipped"]
    assert [i.path.name for i in result.items] == ["missing", "tiny-codegen", "README.md"]
    assert result.counts == {"built": 1, "up_to_date": 0, "failed": 1, "skipped": 1}
    assert "no such file or folder" in result.of("failed")[0].message
    assert batch.summary_line(result).startswith("1 built, 0 up to date, 1 skipped, 1 failed in ")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"jobs": 0}, ParameterError, "jobs must be a whole number of at least 1, got 0"),
        ({"jobs": 1.5}, ParameterError, "jobs must be a whole number"),
        ({"smoothing": 1.0}, ParameterError, r"smoothing must be a number in \[0, 1\)"),
        ({"paths": []}, ParameterError, "no run to build"),
        ({"pdf": True}, DependencyMissingError, "apt-get install -y chromium"),
    ],
)
def test_bad_parameters_fail_before_building(example_run, tmp_path, monkeypatch, fake_builds,
                                             kwargs, error, message):
    monkeypatch.setenv("PATH", str(tmp_path))  # no Chromium on this PATH
    monkeypatch.delenv("REPORTLIB_CHROMIUM", raising=False)
    paths = kwargs.pop("paths", [example_run])
    with pytest.raises(error, match=message):
        batch.build_batch(paths, tmp_path / "out", progress=False, **kwargs)
    assert fake_builds == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("options", "engine"), [([], "reportlib-warm"), (["--cold"], None)])
def test_cli_build_is_warm_unless_cold(example_run, tmp_path, fake_builds, options, engine):
    result = CliRunner().invoke(main, ["build", str(example_run), "-o", str(tmp_path / "out"),
                                       "-j", "1", *options])
    assert result.exit_code == 0, result.output
    assert fake_builds == ["tiny-codegen"] and fake_builds.engines == [engine]


def test_default_jobs_is_the_usable_cores():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert batch.default_jobs() == expected


# -- the real batch (session fixture): parallel builds, failures, index --------------------------

@pytest.mark.slow
def test_batch_builds_in_parallel_and_continues_past_a_bad_run(built_batch):
    result, runs, reports, _ = built_batch
    by_name = {item.path.name: item for item in result.items}
    assert by_name["tiny-codegen"].status == "built"
    assert by_name["tiny-codegen-overfit"].status == "built"
    assert by_name["broken-run"].status == "failed"
    assert "trainer_state.json" in by_name["broken-run"].message
    assert "\n" not in by_name["broken-run"].message
    assert by_name["README.md"].status == "skipped"
    assert result.jobs == 2 and not result.ok
    for name in (EXAMPLE_DIR, OVERFIT_DIR):
        for file in batch.REPORT_FILES:
            assert (reports / name / file).is_file(), (name, file)
        assert not list((reports / name).glob(".*"))  # no temporary files left


@pytest.mark.slow
def test_batch_only_reads_the_run_folders(built_batch):
    _, runs, _, before = built_batch
    assert snapshot(runs) == before


@pytest.mark.slow
def test_index_lists_built_and_failed_runs(built_batch):
    result, _, reports, _ = built_batch
    assert result.index == reports / "index.html"
    page = result.index.read_text(encoding="utf-8")
    assert f'href="{EXAMPLE_DIR}/report.html"' in page
    assert f'href="{OVERFIT_DIR}/report.html"' in page
    assert "broken-run" in page and "build failed" in page
    assert "README" not in page


@pytest.mark.slow
def test_second_batch_is_up_to_date_and_fast(built_batch):
    result, runs, reports, _ = built_batch
    html = reports / EXAMPLE_DIR / "report.html"
    before = html.stat().st_mtime_ns
    started = time.perf_counter()
    again = batch.build_batch(sorted(runs.iterdir()), reports, jobs=2, progress=False)
    seconds = time.perf_counter() - started
    statuses = {item.path.name: item.status for item in again.items}
    assert statuses == {"tiny-codegen": "up_to_date", "tiny-codegen-overfit": "up_to_date",
                        "broken-run": "failed", "README.md": "skipped"}
    assert html.stat().st_mtime_ns == before
    assert seconds < 5, f"an up-to-date batch took {seconds:.1f} s"


@pytest.mark.slow
def test_cli_batch_summarises_and_exits_non_zero(built_batch):
    _, runs, reports, _ = built_batch
    result = CliRunner().invoke(main, ["build", str(runs), "-o", str(reports), "-j", "2"])
    assert result.exit_code == 1
    assert f"up to date {EXAMPLE_NAME}:" in result.stdout
    assert f"index: {reports / 'index.html'}" in result.stdout
    assert "0 built, 2 up to date, 1 failed" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith("reportlib: error: ") and "broken-run" in errors[0]
    assert errors[-1].startswith("1 of 3 run(s) failed: ")


def test_cli_rejects_zero_jobs(example_run, tmp_path):
    result = CliRunner().invoke(main, ["build", str(example_run), "-o", str(tmp_path), "-j", "0"])
    assert result.exit_code == 2 and "-j" in result.stderr


# -- worker processes: one dead worker fails one run, every worker is reaped --------------------

def _children() -> list[tuple[int, str, str]]:
    """(pid, state, command) of every child process of this one (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, _, rest = text.rpartition(")")
        fields = rest.split()
        if int(fields[1]) == os.getpid():
            found.append((int(stat.parent.name), fields[0], command.partition("(")[2]))
    return found


def _child_pids() -> set[int]:
    """The children already running (e.g. a browser test's driver), left out of the checks."""
    return {pid for pid, _, _ in _children()}


def _new_children(before: set[int]) -> list[tuple[int, str, str]]:
    """Children of this process that were not running at ``before``."""
    return [child for child in _children() if child[0] not in before]


def _processes_with_env(marker: str) -> list[int]:
    """Processes (not this one) whose environment holds ``marker``: what a batch left running."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes() and int(environ.parent.name) != os.getpid():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@linux_only
@pytest.mark.parametrize(
    ("jobs", "workers", "outcomes"),
    [
        # (key, function, arguments): os.getpid tells which worker ran a job
        ([("a", "os:getpid", ()), ("b", "os:_exit", (3,)), ("c", "os:getpid", ())], 1,
         {"a": "pid", "b": "died: exit status 3", "c": "pid"}),
        ([("a", "os:getpid", ()), ("b", "os:getpid", ()), ("c", "os:_exit", (9,)),
          ("d", "os:getpid", ())], 2,
         {"a": "pid", "b": "pid", "c": "died: exit status 9", "d": "pid"}),
    ],
)
def test_a_dead_worker_fails_only_its_job_and_every_worker_is_reaped(jobs, workers, outcomes):
    from reportlib.workers import run_in_workers

    results = {}
    before = _child_pids()
    peak = run_in_workers(jobs, workers, on_result=results.__setitem__,
                          on_death=lambda key, why: f"died: {why}")
    seen = {key: "pid" if isinstance(value, int) else value for key, value in results.items()}
    assert seen == outcomes
    pids = [value for value in results.values() if isinstance(value, int)]
    assert os.getpid() not in pids  # they ran in other processes
    assert peak > 0
    assert _new_children(before) == []


def _run_parent(tmp_path: Path, code: str, *args: str, timeout: int = 120) -> list[str]:
    """Run ``code`` as a fresh Python process (one thread: it may fork); its stdout lines."""
    script = tmp_path / "parent.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


FORKING_PARENT = """
import json, os, sys
from reportlib.workers import may_fork, run_in_workers

print("said once")  # buffered (stdout is a pipe) when the workers are forked
assert may_fork(), "a fresh process with one thread may fork"
jobs = [(n, "builtins:eval", ("__import__('sys').argv[0]",)) for n in range(4)]
jobs += [("dead", "os:_exit", (5,)), ("after", "builtins:eval", ("__import__('sys').argv[0]",))]
results = {}
peak = run_in_workers(jobs, 2, on_result=results.__setitem__,
                      on_death=lambda key, why: "died: " + why, started=lambda: print("started"))
try:
    left = os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    left = None
print(json.dumps({"results": {str(k): v for k, v in results.items()}, "left": left,
                  "peak": peak, "argv0": sys.argv[0]}))
"""


@linux_only
def test_first_workers_are_forked_and_a_replacement_is_started_afresh(tmp_path):
    lines = _run_parent(tmp_path, FORKING_PARENT)
    assert lines[:2] == ["said once", "started"]  # nothing a child wrote out again
    report = json.loads(lines[-1])
    assert len(lines) == 3
    results = report["results"]
    # The first workers are forks of the parent (its argv); the one that replaces the
    # dead worker starts afresh (python -c), since the parent runs threads by then.
    assert {results[str(n)] for n in range(4)} == {report["argv0"]}
    assert results["dead"] == "died: exit status 5"
    assert results["after"] in (report["argv0"], "-c")
    assert report["left"] is None  # every worker reaped
    assert report["peak"] > 0


STOPPED_FROM_MANY_THREADS = """
import json, os, threading
from reportlib.workers import _Worker

errors = []
for _ in range(10):
    worker = _Worker("", fork=True)
    ready = threading.Barrier(8)

    def stop():
        ready.wait()
        try:
            worker.terminate()
        except Exception as exc:
            errors.append(type(exc).__name__ + ": " + str(exc))

    threads = [threading.Thread(target=stop) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
try:
    left = os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    left = None
print(json.dumps({"errors": errors, "left": left}))
"""


@linux_only
def test_a_forked_worker_stopped_from_many_threads_at_once_is_reaped_once(tmp_path):
    # On Ctrl-C the main thread stops every worker while each worker's own thread,
    # seeing its reply cut short, stops it too: one reaps it, none may fail or signal
    # a pid already reaped.
    report = json.loads(_run_parent(tmp_path, STOPPED_FROM_MANY_THREADS)[-1])
    assert report == {"errors": [], "left": None}


@pytest.mark.slow
@linux_only
def test_ctrl_c_stops_a_batch_at_once_and_leaves_nothing_behind(example_run, tmp_path):
    runs = []
    for n in range(16):  # copies of a real run, under other names
        runs.append(tmp_path / "runs" / f"copy-{n:02d}")
        shutil.copytree(example_run, runs[-1])
    out = tmp_path / "out"
    marker = f"REPORTLIB_INTERRUPT_TEST_{os.getpid()}_{time.monotonic_ns()}"
    # A terminal's Ctrl-C: SIGINT to the whole process group (the workers and kernels too).
    proc = subprocess.Popen(
        [sys.executable, "-m", "reportlib", "build", *map(str, runs), "-o", str(out), "-j", "2"],
        env={**os.environ, marker: "1", "PYTHONPATH": str(ROOT)}, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = proc.stdout.readline()  # the first report is built: the workers and kernels run
    assert first.startswith("built "), first
    os.killpg(proc.pid, signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Traceback" not in rest, rest
    deadline = time.monotonic() + 10
    while _processes_with_env(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with_env(marker) == []
    # Every report is whole or absent: no staging folder, no half-written file.
    assert list(out.glob("*/.building-*")) == []
    for folder in (f for f in out.iterdir() if f.is_dir()):
        assert sorted(p.name for p in folder.iterdir()) == sorted(batch.REPORT_FILES), folder


ONE_WORKER_DIES = """
import json, os, sys
from reportlib import batch

real = batch._build_one


def build_one(source, *job):
    if source.path.name == "dies":
        os._exit(9)  # as the out-of-memory killer would end the process
    return real(source, *job)


batch._build_one = build_one  # the forked worker has it too
result = batch.build_batch(sys.argv[2:], sys.argv[1], jobs=1, progress=False)
print(json.dumps({"counts": dict(result.counts),
                  "failed": [item.message for item in result.of("failed")]}))
"""


@linux_only
def test_at_j1_a_build_that_kills_its_process_fails_only_its_run(example_run, tmp_path):
    runs = [tmp_path / "runs" / name for name in ("first", "dies", "last")]
    for run in runs:
        shutil.copytree(example_run, run)
    lines = _run_parent(tmp_path, ONE_WORKER_DIES, str(tmp_path / "out"), *map(str, runs),
                        timeout=300)
    report = json.loads(lines[-1])
    assert report["counts"]["built"] == 2 and report["counts"]["failed"] == 1
    assert report["failed"] == [f"{runs[1]}: the build process died (exit status 9)"]


def test_workers_are_started_afresh_when_told_not_to_fork():
    from reportlib.workers import run_in_workers

    results = {}
    run_in_workers([(n, "builtins:eval", ("__import__('sys').argv[0]",)) for n in range(3)], 2,
                   on_result=results.__setitem__, on_death=lambda key, why: why, fork=False)
    assert set(results.values()) == {"-c"}


@pytest.mark.slow
@linux_only
def test_warm_batch_reports_equal_cold_ones_and_nothing_is_left_running(
        example_run, overfit_run, tmp_path, monkeypatch):
    runs = [example_run, overfit_run]
    marker = f"REPORTLIB_BATCH_TEST_{os.getpid()}_{time.monotonic_ns()}"
    monkeypatch.setenv(marker, "1")  # inherited by the workers and their kernels
    before = _child_pids()
    warm = batch.build_batch(runs, tmp_path / "warm", jobs=2, progress=False)
    assert warm.counts["built"] == 2, warm.items
    assert _new_children(before) == []
    assert _processes_with_env(marker) == []
    assert 0 < warm.peak_worker_bytes
    cold = batch.build_batch(runs, tmp_path / "cold", jobs=1, progress=False, cold=True)
    assert cold.counts["built"] == 2, cold.items
    cold_dirs = {item.path: item.report_dir for item in cold.items}
    for item in warm.items:
        assert cold_dirs[item.path].name == item.report_dir.name
        for name in batch.REPORT_FILES:
            a = comparable(item.report_dir / name)
            b = comparable(cold_dirs[item.path] / name)
            assert a == b, (item.path.name, name)


@linux_only
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_kernel_that_cannot_start_fails_each_run_with_the_reason(example_run, overfit_run,
                                                                  tmp_path, monkeypatch, jobs):
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "no-python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "a kernel whose interpreter is missing", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    before = _child_pids()
    result = batch.build_batch([example_run, overfit_run], tmp_path / "out", jobs=jobs,
                               progress=False)
    assert [item.status for item in result.items] == ["failed", "failed"]
    for item in result.items:
        assert "could not be executed" in item.message and "no-python" in item.message
        assert "check that Jupyter's python3 kernel (ipykernel) is installed" in item.message
        assert (item.report_dir / "report.failed.ipynb").is_file()
    assert _new_children(before) == []
