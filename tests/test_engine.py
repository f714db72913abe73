"""The warm papermill engine: reports share a kernel but never each other's state.

Each test executes a small GENERATED probe notebook (made by :func:`probe_notebook`)
through :func:`reportlib.build.execute_notebook` with the ``reportlib-warm``
engine. The probe runs one line of code given as a parameter, then prints what
a report could notice of the reports before it (the kernel's process id, a
variable, an rcParam, the inline backend's settings, the execution counter).
Every test first checks that two probes really shared one kernel, so that
isolation is never "proved" by two fresh kernels.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from reportlib import engine
from reportlib.build import KERNEL_ARGUMENTS, KERNEL_NAME, execute_notebook
from reportlib.errors import BuildError

pytestmark = pytest.mark.slow

#: What the probe prints (JSON on its last line).
PROBE = """\
import json, os, sys, matplotlib
from matplotlib_inline.config import InlineBackend
print(json.dumps({
    "pid": os.getpid(),
    "leaked": "leaked" in globals() or hasattr(__import__("builtins"), "leaked"),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "figure_kwargs": InlineBackend.instance().print_figure_kwargs,
    "count": get_ipython().execution_count,
    "cwd": os.getcwd(),
    "env": os.environ.get("REPORTLIB_TEST_LEAK"),
}))
"""


def probe_notebook(folder: Path) -> Path:
    """Write the GENERATED probe notebook into ``folder``: parameters, ``exec(action)``, probe."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    parameters = nbformat.v4.new_code_cell('action = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("exec(action)"),
                nbformat.v4.new_code_cell(PROBE)]
    path = folder / "probe.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """Run the probe with an action in this process's warm kernel; returns what it printed."""
    folder = tmp_path_factory.mktemp("probe")
    notebook = probe_notebook(folder)
    counter = iter(range(10_000))

    def run(action: str = "", *, cell_timeout: int = 120, cold: bool = False) -> dict:
        target = folder / f"out-{next(counter)}"
        target.mkdir()
        executed = execute_notebook(target, {"action": action}, notebook=notebook,
                                    cell_timeout=cell_timeout,
                                    engine=None if cold else engine.ENGINE_NAME)
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
        text = "".join(cells[-1]["outputs"][0]["text"])
        return json.loads(text.strip().splitlines()[-1])

    yield run
    engine.shutdown_kernels()
    assert engine.kernel_pid(KERNEL_NAME, KERNEL_ARGUMENTS) is None


@pytest.mark.parametrize(
    ("action", "seen"),
    [
        ("leaked = 1", {"leaked": False}),
        ("import matplotlib; matplotlib.rcParams['lines.linewidth'] = 7.25",
         {"linewidth": None}),
        ("get_ipython().run_line_magic('config', "
         "'InlineBackend.print_figure_kwargs = {\"dpi\": 11}')", {"figure_kwargs": None}),
        ("import os; os.environ['REPORTLIB_TEST_LEAK'] = 'yes'", {"env": None}),
        ("import os; os.chdir('/')", {"cwd": None}),
    ],
)
def test_a_report_does_not_see_what_the_one_before_it_set(probe, action, seen):
    fresh = probe()  # the state a report starts from
    probe(action)
    after = probe()
    assert after["pid"] == fresh["pid"], "the three notebooks did not share one kernel"
    expected = {key: fresh[key] if value is None else value for key, value in seen.items()}
    assert {key: after[key] for key in seen} == expected


def test_each_report_counts_its_cells_as_a_fresh_kernel_does(probe):
    first, second, cold = probe(), probe(), probe(cold=True)
    assert first["pid"] == second["pid"] != cold["pid"]
    assert first["count"] == second["count"] == cold["count"]


@pytest.mark.parametrize(
    "action",
    [
        "import matplotlib; matplotlib.use('agg')",      # a backend the reset does not switch back
        "import sys; sys.modules['_reportlib_warm']._BASELINE.clear()",  # its baseline lost
        "import builtins; builtins.leaked = 1",           # a name no namespace reset removes
    ],
)
def test_a_kernel_left_with_state_it_cannot_undo_is_replaced(probe, action):
    before = probe(action)
    after = probe()
    assert after["pid"] != before["pid"]
    assert after["leaked"] is False


def test_a_kernel_grown_past_the_memory_limit_is_replaced(probe, monkeypatch):
    before = probe()
    monkeypatch.setattr(engine, "MAX_KERNEL_RSS_BYTES", 1)  # every kernel is over it
    after = probe()
    assert after["pid"] != before["pid"]


def test_a_failed_report_does_not_fail_the_next(probe, tmp_path):
    probe()
    with pytest.raises(BuildError, match="failed in cell .*ZeroDivisionError") as failure:
        probe("1 / 0")
    kept = Path(failure.value.path)
    assert kept.name == "report.failed.ipynb" and kept.is_file()
    assert probe()["leaked"] is False


@pytest.mark.parametrize(
    ("harm", "cell_timeout"),
    [
        ("import os; os._exit(1)", 120),          # the kernel dies
        ("import time; time.sleep(120)", 3),     # the kernel hangs past the cell timeout
    ],
)
def test_a_dead_or_hung_kernel_is_replaced_and_the_report_retried(probe, tmp_path, harm,
                                                                  cell_timeout):
    before = probe()
    marker = tmp_path / "harmed-once"
    # Harms only the first attempt: the retry on a fresh kernel then succeeds.
    action = (f"import pathlib; m = pathlib.Path({str(marker)!r})\n"
              f"if not m.exists():\n    m.touch(); {harm}")
    after = probe(action, cell_timeout=cell_timeout)
    assert marker.exists()
    assert after["pid"] != before["pid"]


def test_a_report_that_kills_every_kernel_fails_after_one_retry(probe, tmp_path):
    counter = tmp_path / "attempts"
    action = (f"import os, pathlib; p = pathlib.Path({str(counter)!r})\n"
              "p.write_text(p.read_text() + 'x' if p.exists() else 'x'); os._exit(1)")
    with pytest.raises(BuildError, match="could not be executed .*DeadKernelError") as failure:
        probe(action)
    assert counter.read_text() == "xx"
    # the notebook as far as it got is kept, with the cell that killed the kernel
    kept = json.loads(Path(failure.value.path).read_text(encoding="utf-8"))
    assert any("os._exit(1)" in "".join(cell["source"]) for cell in kept["cells"])
    probe()  # and the next report still runs


def test_the_engine_is_registered_with_papermill():
    from papermill.engines import papermill_engines

    engine.register_engine()
    assert papermill_engines.get_engine(engine.ENGINE_NAME) is engine.WarmEngine
