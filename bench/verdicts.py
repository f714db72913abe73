"""How often reportlib's findings are right: precision and recall per kind, on labelled runs.

Usage: python bench/verdicts.py [--only RUN,RUN...] [--details]

Runs reportlib's analysis (``reportlib.analyze``: the pipeline of every
command, which reads the run, scores its prediction files when it has them
and calls ``reportlib.analysis.analyze_run``) on every run of
``bench/verdicts/runs`` and the repository's ``runs/``, and compares its
findings with ``bench/verdicts/labels.json`` (made by
``bench/verdicts/label.py`` from the logged values; see its docstring for the
criteria, and ``bench/verdicts/README.md`` for the runs).

Scored, per finding kind: a run (or, for ``plateau`` and ``still_improving``,
a run's training-loss or validation-loss panel) labelled ``true`` or
``false``; ``null`` labels are not scored. A finding on a ``false`` label is a
false positive; each of its sentences counts as a false verdict sentence. A
kind the analysis does not have (yet) finds nothing: recall 0.

Prints one row per kind (labelled positives and negatives, true and false
positives, misses, precision, recall), then the number of false verdict
sentences; ``--details`` lists each false verdict and each miss.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench" / "verdicts"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from label import KINDS, PANEL_KINDS, PANELS, label_of, name_of, run_folders  # noqa: E402


def findings_of(folder: Path) -> list[Any]:
    """The findings of a run folder, through the pipeline every command uses."""
    import reportlib

    return list(reportlib.analyze(folder).analysis.findings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated run names (labels.json keys)")
    parser.add_argument("--details", action="store_true", help="list false verdicts and misses")
    args = parser.parse_args(argv)
    from reportlib.errors import ReportlibError

    all_labels = json.loads((HERE / "labels.json").read_text())
    only = {n for n in args.only.split(",") if n}
    counts = {kind: Counter() for kind in KINDS}
    false_sentences: list[str] = []
    misses: list[str] = []
    errors: list[str] = []
    n_runs = 0
    started = time.perf_counter()
    for folder in run_folders():
        name = name_of(folder)
        if only and name not in only:
            continue
        labels = all_labels.get(name)
        if labels is None:
            errors.append(f"{name}: no labels (run label.py)")
            continue
        n_runs += 1
        try:
            findings = findings_of(folder)
        except ReportlibError as exc:
            errors.append(f"{name}: {str(exc).splitlines()[0][:120]}")
            findings = []
        for kind in KINDS:
            for panel in PANELS if kind in PANEL_KINDS else (None,):
                label = label_of(labels, kind, panel)
                said = [f for f in findings if f.kind.value == kind
                        and (panel is None or f.panel == panel)]
                where = f"{name}{'@' + panel if panel else ''}"
                if label is None:
                    counts[kind]["unscored"] += bool(said)
                    continue
                counts[kind]["pos" if label else "neg"] += 1
                if said and label:
                    counts[kind]["tp"] += 1
                elif said:
                    counts[kind]["fp"] += 1
                    false_sentences += [f"{where}: {kind}: {f.message}" for f in said]
                elif label:
                    counts[kind]["fn"] += 1
                    misses.append(f"{where}: {kind} not said")
    seconds = time.perf_counter() - started

    print(f"verdict benchmark: {n_runs} runs ({len(errors)} not analysed), {seconds:.0f} s")
    print(f"{'kind':<28}{'pos':>5}{'neg':>5}{'TP':>5}{'FP':>5}{'FN':>5}"
          f"{'precision':>11}{'recall':>8}")
    for kind in KINDS:
        c = counts[kind]
        said = c["tp"] + c["fp"]
        precision = f"{c['tp'] / said:.0%}" if said else "-"
        recall = f"{c['tp'] / c['pos']:.0%}" if c["pos"] else "-"
        print(f"{kind:<28}{c['pos']:>5}{c['neg']:>5}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}"
              f"{precision:>11}{recall:>8}")
    print(f"false verdict sentences: {len(false_sentences)}")
    if args.details:
        for line in false_sentences:
            print(f"  FALSE  {line}")
        for line in misses:
            print(f"  MISSED {line}")
        for line in errors:
            print(f"  NOT ANALYSED {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
