"""Nothing lost: run folders are only read; a killed build leaves the previous report.

- Every command runs on read-only copies of the example runs (``chmod a-w``),
  and the content and mtime of every file in them is compared before and
  after. (As root the permission bits do not stop a write, so the snapshot is
  what proves the folders were only read.)
- A build killed with SIGKILL while its notebook executes (from outside, once
  the kernel runs), or while it writes any of its files (from inside, half the
  bytes written), leaves the previous report byte-identical and no
  half-written file under a final name.
- A batch keeps going past a failing run, and a run that fails to rebuild keeps
  its previous report.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import RUNS, snapshot

REPORTLIB = [sys.executable, "-m", "reportlib"]
#: The files of a report that a build replaces (report.pdf only with --pdf).
REPORT_FILES = ("report.html", "report.ipynb", "summary.json", "report.md")


def read_only_copy(source: Path, dest: Path) -> Path:
    """Copy a run folder and remove every write permission in the copy."""
    shutil.copytree(source, dest)
    for path in sorted(dest.rglob("*"), reverse=True) + [dest]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return dest


def state(folder: Path) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """Every file's hash and mtime, and every path (empty folders too) under ``folder``."""
    return snapshot(folder), sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def environment(home: Path) -> dict[str, str]:
    """The environment of a reportlib subprocess: caches go to ``home``, not the user's."""
    return {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}


@pytest.fixture
def read_only_runs(tmp_path):
    runs = [read_only_copy(RUNS / name, tmp_path / "runs" / name)
            for name in ("tiny-codegen", "tiny-codegen-overfit")]
    yield runs
    for run in runs:
        make_writable(run)


@pytest.mark.parametrize("command", [
    ["summary", "{0}", "--json"],
    ["inspect", "{0}"],
    ["check", "{0}", "--fail-on", "non_finite"],
])
def test_quick_commands_only_read_the_run_folder(read_only_runs, tmp_path, command):
    before = [state(run) for run in read_only_runs]
    args = [part.format(*read_only_runs) for part in command]
    result = subprocess.run([*REPORTLIB, *args], capture_output=True, text=True, timeout=120,
                            env=environment(tmp_path / "home"), cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert [state(run) for run in read_only_runs] == before


@pytest.mark.slow
def test_build_and_compare_only_read_the_run_folders(read_only_runs, tmp_path):
    before = [state(run) for run in read_only_runs]
    env = environment(tmp_path / "home")
    # One build (the batch test below builds more), one comparison of both (it scores them).
    for command in (["build", str(read_only_runs[0]), "-o", str(tmp_path / "out")],
                    ["compare", *map(str, read_only_runs), "-o", str(tmp_path / "cmp")]):
        result = subprocess.run([*REPORTLIB, *command], capture_output=True, text=True,
                                timeout=600, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
    assert [state(run) for run in read_only_runs] == before


# --------------------------------------------------------------------------- killed builds


@pytest.fixture(scope="module")
def previous_report(tmp_path_factory):
    """A run copy and its report, built once: what a killed rebuild must leave as it was."""
    root = tmp_path_factory.mktemp("killed")
    run = root / "runs" / "tiny-codegen"
    shutil.copytree(RUNS / "tiny-codegen", run, ignore=shutil.ignore_patterns("tb"))
    out = root / "out"
    result = subprocess.run([*REPORTLIB, "build", str(run), "-o", str(out)],
                            capture_output=True, text=True, timeout=600,
                            env=environment(root / "home"))
    assert result.returncode == 0, result.stderr[-3000:]
    return run, out, root


def report_state(folder: Path) -> dict[str, bytes]:
    """The report's files under their final names (hidden temporaries left out)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".")}


def snapshot_out(out: Path) -> tuple[Path, dict[str, bytes]]:
    folder = next(p for p in out.iterdir() if p.is_dir())
    state = report_state(folder)
    assert set(REPORT_FILES) <= set(state)
    return folder, state


def check_previous_report_intact(folder: Path, before: dict[str, bytes]) -> None:
    after = report_state(folder)
    assert sorted(after) == sorted(before), "files appeared or vanished under final names"
    changed = [name for name in before if after[name] != before[name]]
    assert changed == [], f"the killed build changed {changed}"
    for name, data in after.items():
        if name.endswith((".json", ".ipynb")):
            json.loads(data)  # whole, not half-written


#: Runs the CLI with one output write sabotaged: the process writes half of the
#: bytes of ``argv[1]`` to its temporary file, then SIGKILLs itself.
KILL_WHILE_WRITING = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import reportlib.outputs as outputs
    victim, real = sys.argv[1], outputs.write_bytes_atomic

    def dying(path, data):
        if Path(path).name == victim:
            tmp = outputs.temp_sibling(Path(path))
            with open(tmp, "wb") as handle:
                handle.write(data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, data)

    outputs.write_bytes_atomic = dying
    from reportlib.cli import main
    main(sys.argv[2:])
""")


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["summary.json", "report.html"])  # first file, while exporting
def test_build_killed_while_writing_leaves_the_previous_report(previous_report, victim):
    run, out, root = previous_report
    folder, before = snapshot_out(out)
    # Another smoothing: every file of the new report would differ from the previous one.
    result = subprocess.run([sys.executable, "-c", KILL_WHILE_WRITING, victim, "build", str(run),
                             "-o", str(out), "--smoothing", "0.3", "--force"], capture_output=True,
                            text=True, timeout=600, env=environment(root / "home"))
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    check_previous_report_intact(folder, before)


@pytest.mark.slow
def test_build_killed_while_the_notebook_executes_leaves_the_previous_report(previous_report):
    run, out, root = previous_report
    folder, before = snapshot_out(out)
    existing = {p.name for p in folder.rglob("*")}
    process = subprocess.Popen([*REPORTLIB, "build", str(run), "-o", str(out), "--force",
                                "--smoothing", "0.3"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=environment(root / "home"), start_new_session=True)
    try:
        # The executed notebook's temporary file appears once papermill has started the kernel.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            fresh = [p for p in folder.rglob("*.ipynb") if p.name not in existing]
            if fresh and any(p.stat().st_size for p in fresh):
                break
            time.sleep(0.05)
        assert process.poll() is None, "the build ended before it could be killed"
        time.sleep(0.5)  # let some cells run
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    check_previous_report_intact(folder, before)
    # What the killed build made lies in a hidden staging folder; once stale, the next
    # build removes it.
    from reportlib.build import STAGING_PREFIX, STALE_STAGING_SECONDS

    leftovers = list(folder.glob(STAGING_PREFIX + "*"))
    assert leftovers, "the killed build left no staging folder: where did it write?"
    old = time.time() - 2 * STALE_STAGING_SECONDS
    for leftover in leftovers:
        os.utime(leftover, (old, old))
    # The next build succeeds and replaces every file.
    result = subprocess.run([*REPORTLIB, "build", str(run), "-o", str(out), "--smoothing", "0.3"],
                            capture_output=True, text=True, timeout=600,
                            env=environment(root / "home"))
    assert result.returncode == 0, result.stderr[-3000:]
    after = report_state(folder)
    assert all(after[name] != before[name] for name in ("summary.json", "report.html"))
    assert not [p for p in leftovers if p.exists()], "stale staging folders were kept"
    assert not list(folder.glob(STAGING_PREFIX + "*")), "the build left its staging folder"


@pytest.mark.slow
def test_batch_keeps_going_and_a_failed_rebuild_keeps_its_report(previous_report, tmp_path):
    runs = tmp_path / "runs"
    good = runs / "good"
    shutil.copytree(RUNS / "tiny-codegen", good, ignore=shutil.ignore_patterns("tb"))
    broken = runs / "broken"
    shutil.copytree(good, broken)
    out = tmp_path / "out"
    env = environment(tmp_path / "home")
    # The broken run's previous report: a copy of one built from the same files.
    shutil.copytree(snapshot_out(previous_report[1])[0], out / "broken")
    before = report_state(out / "broken")
    # The run's log is now cut short (copied while training wrote it): its rebuild must fail.
    state = broken / "trainer_state.json"
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])
    second = subprocess.run([*REPORTLIB, "build", str(broken), str(good), "-o", str(out),
                             "--force"], capture_output=True, text=True, timeout=600, env=env)
    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if line.startswith("reportlib: error:")]
    assert len(errors) == 1 and str(state) in errors[0], second.stderr
    assert "Traceback" not in second.stderr
    assert (out / "good" / "report.html").is_file(), "the batch stopped at the failing run"
    assert report_state(out / "broken") == before
