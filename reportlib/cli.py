"""The ``reportlib`` command: a thin adapter over the public functions.

Each command parses its options and calls one library function. A
:class:`~reportlib.errors.ReportlibError` (a user's mistake or a bad input)
is printed as one line on stderr with a non-zero exit; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reportlib import __version__
from reportlib.errors import ReportlibError

#: Exit status when one or more inputs could not be handled.
EXIT_FAILED = 1

F = TypeVar("F", bound=Callable[..., Any])


def _fail(error: ReportlibError) -> None:
    click.echo(f"reportlib: error: {error.one_line()}", err=True)
    sys.exit(EXIT_FAILED)


def _smoothing_option(func: F) -> F:
    from reportlib.build import DEFAULT_SMOOTHING

    return click.option(
        "--smoothing",
        type=click.FloatRange(0.0, 1.0, max_open=True),
        default=DEFAULT_SMOOTHING,
        show_default=True,
        help="TensorBoard EMA weight for the drawn curves (0 = none).",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportlib")
def main() -> None:
    """Turn the logs of a training run into a report you can trust and share."""


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out-dir", type=click.Path(path_type=Path), default=Path("reports"),
              show_default=True, help="Folder that receives one report folder per run.")
@_smoothing_option
def build(runs: tuple[Path, ...], out_dir: Path, smoothing: float) -> None:
    """Build the report of each run (a run folder or a log file).

    Writes OUT_DIR/<run>/report.html, report.ipynb and summary.json. A run that
    fails is reported and the others are still built; the exit status is
    non-zero if any failed.
    """
    from reportlib.build import build_report

    failed = []
    for run_dir in runs:
        try:
            result = build_report(run_dir, out_dir, smoothing=smoothing)
        except ReportlibError as error:
            failed.append(run_dir)
            click.echo(f"reportlib: error: {error.one_line()}", err=True)
            continue
        click.echo(f"built {result.run_name}: {result.html} ({result.seconds:.1f} s)")
    if failed:
        click.echo(f"{len(failed)} of {len(runs)} run(s) failed: "
                   + ", ".join(str(p) for p in failed), err=True)
        sys.exit(EXIT_FAILED)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print summary.json's content instead of prose.")
@_smoothing_option
def summary(path: Path, as_json: bool, smoothing: float) -> None:
    """Analyse a run and print the findings, without building a notebook."""
    from reportlib.analysis import analyze_run
    from reportlib.ingest import load_run
    from reportlib.present.narrative import render_narrative
    from reportlib.summary import summary_json

    try:
        run = load_run(path)
        analysis = analyze_run(run, smoothing=smoothing)
    except ReportlibError as error:
        _fail(error)
    if as_json:
        click.echo(summary_json(run, analysis))
    else:
        click.echo(render_narrative(analysis))


if __name__ == "__main__":
    main()
