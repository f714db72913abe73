"""How long `reportlib build` takes for a batch of runs: -j 1 against -j 2, and up to date.

Makes N run folders (20 by default) in a temporary folder by copying the
example runs under other names (they are copies: every other report shows the
same numbers), then times, each in a fresh process and a fresh output folder:

1. ``reportlib build RUNS -j 1``;
2. ``reportlib build RUNS -j 2``;
3. ``reportlib build RUNS -j 2`` again into the output of (2): nothing
   changed, so every report is up to date and nothing is rebuilt.

Targets (issue 6): (1) / (2) >= 1.7 on a 2-core machine; (3) < 2 s for 20 runs.

The builds run a snapshot of reportlib's source (the package and its
notebooks, copied at the start): a report is out of date when reportlib's code
is newer than it, so an edit to the working tree during the benchmark would
otherwise turn (3) into a full rebuild. The scoring cache is a fresh folder,
warmed by one build of the two examples first, so (1) and (2) both find every
chrF in it whatever the machine's own cache holds. The load average is printed
before and after, and the CPU time each build used: other work on the machine
slows (2) most, since it needs both cores.

Usage: .venv/bin/python bench/bench_batch.py [--runs N] [--jobs J]
Prints each timing, the machine's core count and the ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("tiny-codegen", "tiny-codegen-overfit")


def make_runs(folder: Path, count: int) -> list[Path]:
    """``count`` run folders in ``folder``: copies of the example runs, named copy-NN-<example>."""
    runs = []
    for i in range(count):
        example = EXAMPLES[i % len(EXAMPLES)]
        target = folder / f"copy-{i:02d}-{example}"
        shutil.copytree(ROOT / "runs" / example, target)
        runs.append(target)
    return runs


def snapshot_source(folder: Path) -> dict[str, str]:
    """Copy reportlib's package and notebooks into ``folder``; the environment that runs them."""
    for name in ("reportlib", "notebooks"):
        shutil.copytree(ROOT / name, folder / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    env = dict(os.environ)
    env["PYTHONPATH"] = str(folder) + os.pathsep + env.get("PYTHONPATH", "")
    env["REPORTLIB_CACHE_DIR"] = str(folder / "score-cache")
    return env


def load() -> str:
    """The 1, 5 and 15 minute load averages, as text."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(command_prefix: list[str], runs: list[Path], out: Path, jobs: int, expect: str,
                env: dict[str, str]) -> tuple[float, float]:
    """Wall time of one ``reportlib build`` in a fresh process.

    Returns (wall seconds, CPU seconds of the build and its children). Exits
    with the build's stderr if it fails, or if its summary line does not start
    with ``expect`` (e.g. "20 built"), so a timing never hides a wrong result.
    """
    command = [*command_prefix, "build", *map(str, runs), "-o", str(out), "-j", str(jobs),
               "--no-progress"]
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=out.parent)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        sys.exit(f"build failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = next((line for line in proc.stdout.splitlines() if " up to date, " in line), "")
    if not summary.startswith(expect):
        sys.exit(f"expected {expect!r}, the build said {summary!r}")
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="number of run folders")
    parser.add_argument("--jobs", type=int, default=2, help="-j of the parallel build")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "reportlib"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {platform.processor() or platform.machine()}, {cores} cores usable, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="reportlib-bench-") as tmp:
        tmp_path = Path(tmp)
        env = snapshot_source(tmp_path / "source")
        runs = make_runs(tmp_path / "runs", args.runs)
        print(f"load average before: {load()}")
        print(f"{len(runs)} runs (copies of {', '.join(EXAMPLES)}) in {tmp_path / 'runs'}")
        n = len(runs)
        timed_build(cli, runs[:2], tmp_path / "warm-up", 2, "2 built, 0 up to date", env)
        serial, cpu1 = timed_build(cli, runs, tmp_path / "out-j1", 1, f"{n} built, 0 up to date",
                                   env)
        print(f"-j 1: {serial:.1f} s ({serial / n:.2f} s per run; CPU {cpu1:.1f} s)")
        parallel, cpu2 = timed_build(cli, runs, tmp_path / "out-jN", args.jobs,
                                     f"{n} built, 0 up to", env)
        print(f"-j {args.jobs}: {parallel:.1f} s ({parallel / n:.2f} s per run; CPU {cpu2:.1f} s)")
        again, _ = timed_build(cli, runs, tmp_path / "out-jN", args.jobs,
                               f"0 built, {n} up to date", env)
        print(f"up to date, -j {args.jobs}: {again:.2f} s (target < 2 s for 20 runs)")
        print(f"speed-up -j 1 / -j {args.jobs}: {serial / parallel:.2f}x "
              "(target >= 1.7x with -j 2 on 2 cores)")
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
