"""Benchmark: reportlib.scoring against sacrebleu's own ``CHRF.corpus_score``.

What it measures (issue 4, item 3), on a GENERATED run (see
:func:`generate_run`: code snippets cut from this Python's standard library
source, with seeded random edits standing in for model outputs):

* time of sacrebleu's ``corpus_score`` alone, summed over all checkpoints
  (reading the files is not counted for sacrebleu);
* time of ``reportlib.scoring.score_run`` from the run folder (reading and
  checking the files, per-sample statistics, corpus scores, per-sample scores,
  bootstrap intervals and paired tests), with an empty cache;
* time of the same call again with the cache filled (a rebuild);
* peak memory (``ru_maxrss``) of each, every side in its own subprocess; for
  reportlib the peak of the main process plus the peak of the largest worker
  times the number of workers: an upper bound of the sum, as forked workers
  also count the pages they share with the main process;
* the largest absolute difference between the two corpus scores of any checkpoint.

Usage::

    python bench/bench_scoring.py                   # 10,000 pairs x 10 checkpoints
    python bench/bench_scoring.py --pairs 1000 --checkpoints 3

The figures depend on the machine; print them with the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

#: Lines per generated snippet: the issue's "~30-line code snippets".
SNIPPET_LINES = 30
#: Share of lines edited at the first checkpoint; it falls linearly to
#: :data:`FINAL_EDIT_RATE` at the last one, so scores rise over training.
FIRST_EDIT_RATE = 0.95
FINAL_EDIT_RATE = 0.4
#: Seed of the generator (the data are reproducible for one Python version).
GENERATOR_SEED = 20240604


def _stdlib_lines() -> list[list[str]]:
    """Lines of the top-level ``.py`` files of this Python's standard library, sorted by name."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(stdlib.glob("*.py")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if len(lines) > SNIPPET_LINES:
            files.append(lines)
    return files


def _edit_line(line: str, rng: random.Random, vocabulary: list[str]) -> list[str]:
    """One random edit of a line of code; returns the replacement lines (0, 1 or 2)."""
    kind = rng.random()
    if kind < 0.15:
        return []  # line dropped
    if kind < 0.25:
        return [line, line]  # line repeated
    if kind < 0.45:  # indentation changed (invisible to chrF without whitespace)
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        return [" " * max(0, indent + rng.choice((-4, 4))) + stripped]
    if kind < 0.70 and vocabulary:  # an identifier replaced by another one of the snippet
        words = line.split(" ")
        spots = [i for i, w in enumerate(words) if w.isidentifier()]
        if spots:
            words[rng.choice(spots)] = rng.choice(vocabulary)
            return [" ".join(words)]
    chars = list(line)  # character typos
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(chars) + 1)
        op = rng.random()
        if op < 0.4 and pos < len(chars):
            del chars[pos]
        elif op < 0.7:
            chars.insert(pos, rng.choice("abcdefghijklmnopqrstuvwxyz_().:,= "))
        elif pos < len(chars):
            chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz_")
    return ["".join(chars)]


def generate_run(folder: Path, *, pairs: int, checkpoints: int, seed: int = GENERATOR_SEED) -> Path:
    """Write a GENERATED run folder: ``references.jsonl`` and ``predictions/step-*.jsonl``.

    References are ``SNIPPET_LINES``-line windows of the standard library
    source; the predictions of checkpoint ``c`` are the references with a
    share of lines edited that falls from ``FIRST_EDIT_RATE`` to
    ``FINAL_EDIT_RATE``. Every prediction file lists the ids in its own
    shuffled order, so matching by id (not by line) is exercised.
    """
    rng = random.Random(seed)
    sources = _stdlib_lines()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "predictions").mkdir(exist_ok=True)
    references: list[tuple[str, str]] = []
    with open(folder / "references.jsonl", "w", encoding="utf-8") as out:
        while len(references) < pairs:
            lines = rng.choice(sources)
            start = rng.randrange(len(lines) - SNIPPET_LINES)
            snippet = "\n".join(lines[start : start + SNIPPET_LINES])
            if not snippet.strip():
                continue
            sample_id = f"s{len(references):06d}"
            references.append((sample_id, snippet))
            record = {
                "id": sample_id,
                "prompt": "# generated: stdlib snippet",
                "reference": snippet,
            }
            out.write(json.dumps(record) + "\n")
    for c in range(checkpoints):
        share = c / max(1, checkpoints - 1)
        rate = FIRST_EDIT_RATE + (FINAL_EDIT_RATE - FIRST_EDIT_RATE) * share
        crng = random.Random(f"{seed}-{c}")
        rows = []
        for sample_id, snippet in references:
            vocabulary = [w for w in snippet.split() if w.isidentifier()]
            out_lines: list[str] = []
            for line in snippet.split("\n"):
                if crng.random() < rate:
                    out_lines.extend(_edit_line(line, crng, vocabulary))
                else:
                    out_lines.append(line)
            rows.append({"id": sample_id, "prediction": "\n".join(out_lines)})
        crng.shuffle(rows)
        step = (c + 1) * 100
        with open(folder / "predictions" / f"step-{step:06d}.jsonl", "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
    return folder


def _peak_rss_mib(who: int) -> float:
    """``ru_maxrss`` in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _child_sacrebleu(run: Path) -> dict:
    """Subprocess side: sacrebleu ``CHRF().corpus_score`` per checkpoint, timed alone."""
    from sacrebleu.metrics import CHRF

    refs = {}
    with open(run / "references.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            refs[row["id"]] = row["reference"]
    ids = list(refs)
    ref_list = [refs[i] for i in ids]
    del refs
    scores, seconds = {}, 0.0
    for path in sorted((run / "predictions").glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            hyp = {}
            for line in handle:
                row = json.loads(line)
                hyp[row["id"]] = row["prediction"]
        hyps = [hyp[i] for i in ids]
        del hyp
        start = time.perf_counter()
        scores[path.stem] = CHRF().corpus_score(hyps, [ref_list]).score
        seconds += time.perf_counter() - start
        del hyps
    return {"seconds": seconds, "scores": scores, "peak_mib": _peak_rss_mib(resource.RUSAGE_SELF)}


def _child_reportlib(run: Path, cache_dir: Path, jobs: int) -> dict:
    """Subprocess side: ``score_run`` on the folder, timed whole."""
    from reportlib.scoring import score_run

    start = time.perf_counter()
    result = score_run(run, jobs=jobs, cache_dir=cache_dir)
    seconds = time.perf_counter() - start
    main_peak = _peak_rss_mib(resource.RUSAGE_SELF)
    worker_peak = _peak_rss_mib(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "scores": {c.path.stem: c.chrf.score for c in result.checkpoints},
        "n_cached": sum(c.from_cache for c in result.checkpoints),
        "per_sample_len": [len(c.chrf.per_sample) for c in result.checkpoints],
        "peak_main_mib": main_peak,
        "peak_worker_mib": worker_peak,
        "jobs": result.jobs,
    }


def _run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Generate the data (once), run both sides in subprocesses and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--checkpoints", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the generated run and the cache go (default: a temp dir)",
    )
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_scoring_"))
    run = workdir / f"generated-run-{args.pairs}x{args.checkpoints}"
    if not (run / "references.jsonl").exists():
        start = time.perf_counter()
        generate_run(run, pairs=args.pairs, checkpoints=args.checkpoints)
        print(f"generated {run} in {time.perf_counter() - start:.1f} s")
    cache = Path(tempfile.mkdtemp(prefix="cache_", dir=workdir))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"data: {args.pairs} pairs x {args.checkpoints} checkpoints (generated), jobs={args.jobs}"
    )
    base = _run_child("_sacrebleu", str(run))
    first = _run_child("_reportlib", str(run), str(cache), str(args.jobs))
    again = _run_child("_reportlib", str(run), str(cache), str(args.jobs))

    diff = max(abs(base["scores"][k] - first["scores"][k]) for k in base["scores"])
    diff_cached = max(abs(base["scores"][k] - again["scores"][k]) for k in base["scores"])
    ours_peak = first["peak_main_mib"] + first["jobs"] * first["peak_worker_mib"]
    print(
        f"sacrebleu corpus_score alone:       {base['seconds']:8.2f} s   "
        f"peak {base['peak_mib']:7.0f} MiB"
    )
    print(
        f"reportlib score_run (cold cache):   {first['seconds']:8.2f} s   "
        f"peak main {first['peak_main_mib']:.0f} MiB + {first['jobs']} x worker "
        f"{first['peak_worker_mib']:.0f} MiB = {ours_peak:.0f} MiB"
    )
    print(
        f"  incl. per-sample scores, 95% bootstrap CI (1000), paired tests; "
        f"{first['n_cached']} checkpoints from cache"
    )
    print(
        f"reportlib score_run (cached):       {again['seconds']:8.2f} s   "
        f"({again['n_cached']} checkpoints from cache)"
    )
    print(f"speed-up vs sacrebleu:              {base['seconds'] / first['seconds']:8.2f} x")
    print(f"memory ratio (ours / sacrebleu):    {ours_peak / base['peak_mib']:8.3f}")
    print(f"cached rebuild speed-up:            {first['seconds'] / again['seconds']:8.1f} x")
    print(f"max |corpus chrF difference|:       {diff:.3g} (cached: {diff_cached:.3g})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_sacrebleu":
        print(json.dumps(_child_sacrebleu(Path(sys.argv[2]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_reportlib":
        print(json.dumps(_child_reportlib(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
