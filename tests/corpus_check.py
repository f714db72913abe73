"""Try ``load_run`` on every file of a corpus of real logs; a traceback is a bug.

Usage::

    .venv/bin/python tests/corpus_check.py /work/shared/corpus

Prints one line per file: ``OK <format> rows=<n> curves=<n> warnings=<n>`` or
``ERROR <ExceptionClass>: <the one-line message>``. A ReportlibError (a file
reportlib cannot read, said clearly) is an acceptable outcome; any other
exception is printed with its traceback and makes the exit status 1.

Not collected by pytest (the name does not start with ``test_``): the corpus
lives outside the repository.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from reportlib.errors import ReportlibError
from reportlib.ingest import load_run

#: Files of the corpus that describe it rather than hold a log.
SKIPPED = frozenset({"PROVENANCE.tsv", "README.md"})


def check_corpus(folder: Path) -> int:
    """Load every file of ``folder``, print one line each; return how many crashed."""
    crashed = 0
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name not in SKIPPED)
    for path in files:
        try:
            run = load_run(path)
        except ReportlibError as exc:
            print(f"{path.name}\tERROR {type(exc).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the point is to catch what should not happen
            crashed += 1
            print(f"{path.name}\tCRASH")
            traceback.print_exc(file=sys.stdout)
        else:
            print(
                f"{path.name}\tOK {run.format} rows={len(run.scalars)} "
                f"curves={len(run.curves())} warnings={len(run.warnings)}"
            )
            for warning in run.warnings:
                print(f"\twarning: {warning}")
    print(f"{len(files)} files, {crashed} crashed")
    return crashed


def main(argv: list[str]) -> int:
    """Command-line entry: ``corpus_check.py FOLDER``."""
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: corpus_check.py CORPUS_FOLDER", file=sys.stderr)
        return 2
    return 1 if check_corpus(Path(argv[1])) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
