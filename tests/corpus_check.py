"""Try ``load_run`` on every file of a corpus of real logs; a traceback is a bug.

Usage::

    .venv/bin/python tests/corpus_check.py FOLDER_OF_REAL_LOGS

Prints one line per file: ``OK <format> rows=<n> curves=<n> warnings=<n>`` or
``ERROR <ExceptionClass>: <the one-line message>``. A ReportlibError (a file
reportlib cannot read, said clearly) is an acceptable outcome; any other
exception is printed with its traceback and makes the exit status 1.

The corpus flattens each file's name (``pl_metrics_csv__<owner>__<repo>__
lightning_logs_version_0_metrics.csv``). When the folder has a PROVENANCE.tsv
(columns local_name, repo, path), a second pass puts the files back at their
original paths in a temporary folder (so metrics.csv sits beside its
hparams.yaml, an MLflow run has its meta.yaml and metrics/) and loads every
reassembled file and folder the same way.

Not collected by pytest (the name does not start with ``test_``): the corpus
lives outside the repository.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from reportlib.errors import ReportlibError
from reportlib.ingest import load_run

#: Files of the corpus that describe it rather than hold a log.
SKIPPED = frozenset({"PROVENANCE.tsv", "README.md"})


def check_corpus(folder: Path) -> int:
    """Load every file of ``folder`` (then the reassembled runs), one line each; return crashes."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name not in SKIPPED)
    print(f"== {len(files)} corpus files, as named in the corpus")
    crashed = sum(_check(path, path.name) for path in files)
    provenance = folder / "PROVENANCE.tsv"
    if provenance.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            targets = _reassemble(folder, provenance, Path(tmp))
            print(f"== {len(targets)} files and folders at their original paths")
            crashed += sum(_check(path, path.relative_to(tmp).as_posix()) for path in targets)
    print(f"{crashed} crashed")
    return crashed


def _check(path: Path, label: str) -> int:
    """Load one path and print its line; 1 if it crashed, else 0."""
    try:
        run = load_run(path)
    except ReportlibError as exc:
        print(f"{label}\tERROR {type(exc).__name__}: {exc}")
    except Exception:  # noqa: BLE001 - the point is to catch what should not happen
        print(f"{label}\tCRASH")
        traceback.print_exc(file=sys.stdout)
        return 1
    else:
        print(
            f"{label}\tOK {run.format} rows={len(run.scalars)} "
            f"curves={len(run.curves())} warnings={len(run.warnings)}"
        )
        for warning in run.warnings:
            print(f"\twarning: {warning}")
    return 0


def _reassemble(folder: Path, provenance: Path, into: Path) -> list[Path]:
    """Copy the corpus files to ``into/<owner>__<repo>/<original path>``; list files and folders."""
    with open(provenance, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    targets: set[Path] = set()
    for row in rows:
        source = folder / row["local_name"]
        if not source.is_file():
            continue
        target = into / row["repo"].replace("/", "__") / row["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        targets.add(target)
        targets.add(target.parent)
    return sorted(targets)


def main(argv: list[str]) -> int:
    """Command-line entry: ``corpus_check.py FOLDER``."""
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: corpus_check.py CORPUS_FOLDER", file=sys.stderr)
        return 2
    return 1 if check_corpus(Path(argv[1])) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
