"""Shared fixtures: the committed example runs and one report built from them."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Flags that keep headless Chromium off the network on a closed machine.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def run_yaml_title(folder: Path) -> str:
    """The title in a run folder's run.yaml: the name reportlib gives the run (issue 12)."""
    import yaml

    return yaml.safe_load((folder / "run.yaml").read_text(encoding="utf-8"))["title"]


def report_folder(folder: Path) -> str:
    """The report folder's name of the run in ``folder`` (its run.yaml title, made safe)."""
    from reportlib.outputs import safe_name

    return safe_name(run_yaml_title(folder))


#: The example runs' names and report folders: their run.yaml titles name them.
EXAMPLE_NAME = run_yaml_title(RUNS / "tiny-codegen")
OVERFIT_NAME = run_yaml_title(RUNS / "tiny-codegen-overfit")
EXAMPLE_DIR = report_folder(RUNS / "tiny-codegen")
OVERFIT_DIR = report_folder(RUNS / "tiny-codegen-overfit")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every file under ``folder`` (to prove it was only read)."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(folder))] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                os.stat(path).st_mtime_ns,
            )
    return state


def build_in_this_process(monkeypatch) -> None:
    """Make build_batch run its builds here, one after another, not in worker processes.

    For tests that replace the build itself with a stub recording its calls:
    the stub (and what it records) lives in this process.
    """
    from reportlib import batch

    def here(todo, workers, job, finished, started=None):
        if started is not None:
            started()
        return batch._build_here(todo, job, finished)

    monkeypatch.setattr(batch, "_run_workers", here)


@pytest.fixture(scope="session")
def example_run() -> Path:
    path = RUNS / "tiny-codegen"
    assert (path / "trainer_state.json").is_file(), "the example run is missing"
    return path


@pytest.fixture(scope="session")
def overfit_run() -> Path:
    path = RUNS / "tiny-codegen-overfit"
    assert (path / "trainer_state.json").is_file(), "the overfit example run is missing"
    return path


@pytest.fixture(scope="session")
def built_report(example_run, tmp_path_factory):
    """The report of the example run, built once for the session with the real toolchain."""
    from reportlib.build import build_report

    before = snapshot(example_run)
    result = build_report(example_run, tmp_path_factory.mktemp("reports"))
    return result, before


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def built_batch(example_run, overfit_run, tmp_path_factory):
    """A batch built once with -j 2: copies of both example runs, a broken run, a stray file.

    Returns (BatchResult, runs folder, reports folder, snapshot of the runs folder before).
    """
    from reportlib.batch import build_batch

    root = tmp_path_factory.mktemp("batch")
    runs = root / "runs"
    runs.mkdir()
    for source in (example_run, overfit_run):
        shutil.copytree(source, runs / source.name)
    broken = runs / "broken-run"
    broken.mkdir()
    (broken / "trainer_state.json").write_text('{"log_history": [', encoding="utf-8")
    (runs / "README.md").write_text("Not a run: a note next to the runs.\n", encoding="utf-8")
    before = snapshot(runs)
    result = build_batch(sorted(runs.iterdir()), root / "reports", jobs=2, progress=False)
    return result, runs, root / "reports", before
