"""How long `reportlib build` of one run takes, against the floor, in the same run.

The floor is the least any notebook report can cost: one Python process that
imports papermill and nbconvert, executes a notebook whose single cell imports
pandas, matplotlib and seaborn, and exports it to HTML with the Python APIs.
Target (issue 2): reportlib's build takes at most 1.5x the floor.

Usage: .venv/bin/python bench/bench_build.py [RUN_DIR] [--repeat N]
Prints each timing, the medians and their ratio. Each measurement is a fresh
process, alternated between the two so load on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR_SCRIPT = r"""
import sys, nbformat, papermill
from nbconvert import HTMLExporter
out = sys.argv[1]
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("import pandas, matplotlib, seaborn")]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, out + "/in.ipynb")
papermill.execute_notebook(out + "/in.ipynb", out + "/out.ipynb", progress_bar=False,
                           kernel_name="python3")
body, _ = HTMLExporter().from_notebook_node(nbformat.read(out + "/out.ipynb", as_version=4))
open(out + "/out.html", "w").write(body)
"""


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", default=str(ROOT / "runs" / "tiny-codegen"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reportlib_cli = str(Path(sys.executable).parent / "reportlib")
    floor, ours = [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            floor.append(_timed([sys.executable, "-c", FLOOR_SCRIPT, tmp]))
        with tempfile.TemporaryDirectory() as tmp:
            ours.append(_timed([reportlib_cli, "build", args.run_dir, "-o", tmp]))
        print(f"round {i + 1}: floor {floor[-1]:.2f} s, reportlib build {ours[-1]:.2f} s")
    f, o = statistics.median(floor), statistics.median(ours)
    print(f"median floor: {f:.2f} s")
    print(f"median reportlib build: {o:.2f} s")
    print(f"ratio: {o / f:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
