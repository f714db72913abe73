"""Benchmark: peak memory of reportlib on the large inputs of issue 7 (resource bounds).

Each figure comes from a fresh subprocess (``ru_maxrss`` of that process alone):

* a GENERATED trainer_state.json with 1,000,000 log entries (one training
  loss per step, as a long run with ``logging_steps=1`` writes it):
  - ``json.load`` + a pandas DataFrame of the entries (the floor any reader pays),
  - ``reportlib.load_run`` alone,
  - ``load_run`` + ``analyze_run`` + ``summary_json`` (what ``reportlib summary`` does);
* a GENERATED prediction set of 10,000 samples (one checkpoint; the generator
  of bench/bench_scoring.py: 30-line standard-library snippets with seeded edits):
  - sacrebleu's ``CHRF().corpus_score`` alone,
  - ``reportlib.scoring.score_run`` (one worker, 1,000 bootstrap resamples).

Usage::

    python bench/bench_robustness.py               # the full sizes
    python bench/bench_robustness.py --steps 100000 --samples 1000

The figures depend on the machine; print them with the machine they came from.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def write_trainer_state(path: Path, steps: int) -> Path:
    """A GENERATED trainer_state.json: ``steps`` entries ``{epoch, loss, step}``, a summary."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'{{"global_step": {steps}, "max_steps": {steps}, "logging_steps": 1, '
                     '"log_history": [\n')
        for step in range(1, steps + 1):
            loss = 2.0 / (1 + step / 1e4) + 0.01 * ((step * 7919) % 13) / 13
            handle.write(f'{{"epoch": {step / steps:.6f}, "loss": {loss:.5f}, "step": {step}}},\n')
        handle.write(f'{{"epoch": 1.0, "step": {steps}, "total_flos": 1.0, "train_loss": 1.0, '
                     '"train_runtime": 1.0}\n]}\n')
    return path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str) -> dict:
    """Run one measurement in this (fresh) process."""
    started = time.perf_counter()
    if mode == "json_dataframe":
        import pandas as pd

        with open(path, encoding="utf-8") as handle:
            frame = pd.DataFrame(json.load(handle)["log_history"])
        size = len(frame)
    elif mode in ("load", "summary"):
        from reportlib.ingest import load_run

        run = load_run(path)
        size = len(run.scalars)
        if mode == "summary":
            from reportlib.analysis import analyze_run
            from reportlib.summary import summary_json

            summary_json(run, analyze_run(run))
    elif mode == "sacrebleu":
        from sacrebleu.metrics import CHRF

        refs = [json.loads(line)["reference"] for line in open(Path(path) / "references.jsonl")]
        by_id = {json.loads(line)["id"]: json.loads(line)["prediction"]
                 for line in open(next((Path(path) / "predictions").glob("*.jsonl")))}
        ids = [json.loads(line)["id"] for line in open(Path(path) / "references.jsonl")]
        CHRF().corpus_score([by_id[i] for i in ids], [refs])
        size = len(refs)
    elif mode == "score_run":
        from reportlib.scoring import score_run

        result = score_run(path, jobs=1, use_cache=False)
        size = len(result.checkpoints)
    else:
        raise SystemExit(f"unknown mode {mode}")
    return {"mode": mode, "seconds": time.perf_counter() - started, "peak_mib": _peak_mib(),
            "size": size}


def measure(mode: str, path: Path) -> dict:
    """Run :func:`child` in a fresh interpreter and return its figures."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _generate_predictions(folder: Path, samples: int) -> Path:
    spec = importlib.util.spec_from_file_location("bench_scoring", BENCH / "bench_scoring.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_run(folder, pairs=samples, checkpoints=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.platform()}")
    with tempfile.TemporaryDirectory() as tmp:
        state = write_trainer_state(Path(tmp) / "trainer_state.json", args.steps)
        size_mb = state.stat().st_size / 1e6
        print(f"\nGENERATED trainer_state.json: {args.steps:,} steps, {size_mb:.0f} MB")
        for mode in ("json_dataframe", "load", "summary"):
            result = measure(mode, state)
            print(f"  {mode:15s} peak {result['peak_mib']:7.0f} MiB  {result['seconds']:6.1f} s"
                  f"  ({result['size']:,} rows)")
        run = _generate_predictions(Path(tmp) / "run", args.samples)
        print(f"\nGENERATED predictions: {args.samples:,} samples, 1 checkpoint")
        figures = {}
        for mode in ("sacrebleu", "score_run"):
            figures[mode] = measure(mode, run)
            print(f"  {mode:15s} peak {figures[mode]['peak_mib']:7.0f} MiB  "
                  f"{figures[mode]['seconds']:6.1f} s")
        ratio = figures["score_run"]["peak_mib"] / figures["sacrebleu"]["peak_mib"]
        print(f"  memory ratio (reportlib / sacrebleu): {ratio:.2f}")


if __name__ == "__main__":
    main()
