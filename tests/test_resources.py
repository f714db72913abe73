"""Resource bounds: a hung cell fails the build; large inputs stay within their memory.

The figures of the targets (1,000,000 steps, 10,000 samples) come from
bench/bench_robustness.py; here the cell timeout is checked for real, and the
memory of a large run is checked against the floor any reader pays
(``json.load`` plus a DataFrame of the entries), measured in the same test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from reportlib.build import DEFAULT_CELL_TIMEOUT, build_report, execute_notebook
from reportlib.errors import BuildError

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_robustness.py"

#: How many times the floor (json.load + DataFrame) loading and analysing a large
#: trainer_state.json may take in memory: the tidy frame holds a row per value
#: with text columns, and the analysis works on copies of the curves.
MEMORY_FACTOR = 3.0


def hanging_notebook(path: Path, seconds: int = 120) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("run_dir = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"),
    ]
    nbformat.write(notebook, str(path))
    return path


@pytest.mark.slow
def test_a_hung_cell_fails_the_build_with_a_clear_message(tmp_path):
    source = hanging_notebook(tmp_path / "hang.ipynb")
    started = time.monotonic()
    with pytest.raises(BuildError, match=r"(?i)ran longer than 2 s and was stopped.*raise "
                                         r"cell_timeout") as caught:
        execute_notebook(tmp_path, {"run_dir": "x"}, cell_timeout=2, notebook=source,
                         name="hang")
    assert time.monotonic() - started < 60, "the timeout did not stop the cell"
    assert caught.value.path == str(tmp_path / "hang.failed.ipynb")
    assert (tmp_path / "hang.failed.ipynb").is_file() and not (tmp_path / "hang.ipynb.x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left"


def test_every_build_has_a_cell_timeout():
    import inspect

    assert 0 < DEFAULT_CELL_TIMEOUT <= 3600
    assert inspect.signature(build_report).parameters["cell_timeout"].default == \
        DEFAULT_CELL_TIMEOUT


def _measure(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, str(BENCH), "--child", mode, str(path)],
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_million_step_run_is_analysed_within_a_bounded_multiple_of_the_floor(tmp_path):
    """The issue's 1,000,000-step log: read, analysed and summarised (about 20 s)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_robustness", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    state = bench.write_trainer_state(tmp_path / "trainer_state.json", 1_000_000)
    floor = _measure("json_dataframe", state)
    ours = _measure("summary", state)
    assert ours["size"] == 1_000_000
    assert ours["peak_mib"] <= MEMORY_FACTOR * floor["peak_mib"], (ours, floor)
