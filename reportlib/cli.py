"""The ``reportlib`` command: a thin adapter over the public functions.

Each command parses its options and calls one library function. A
:class:`~reportlib.errors.ReportlibError` (a user's mistake or a bad input)
is printed as one line on stderr with a non-zero exit; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reportlib import __version__
from reportlib.errors import ReportlibError
from reportlib.scoring.bootstrap import DEFAULT_N_BOOTSTRAP, DEFAULT_SEED

#: Exit status when one or more inputs could not be handled.
EXIT_FAILED = 1

F = TypeVar("F", bound=Callable[..., Any])


def _fail(error: ReportlibError) -> None:
    click.echo(f"reportlib: error: {error.one_line()}", err=True)
    sys.exit(EXIT_FAILED)


def _smoothing_option(func: F) -> F:
    from reportlib.present.settings import DEFAULT_SMOOTHING

    return click.option(
        "--smoothing",
        type=click.FloatRange(0.0, 1.0, max_open=True),
        default=DEFAULT_SMOOTHING,
        show_default=True,
        help="TensorBoard EMA weight for the drawn curves (0 = none).",
    )(func)


def _whitespace_option(func: F) -> F:
    return click.option(
        "--whitespace", is_flag=True,
        help="Count whitespace in chrF (sacrebleu ignores it by default: indentation "
             "changes are then invisible).",
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
@click.option("--pdf", is_flag=True,
              help="Also print each report to report.pdf with headless Chromium.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Reports built at once.  [default: the number of cores]")
@click.option("--force", is_flag=True,
              help="Rebuild reports that are up to date too.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on stderr.  [default: when stderr is a terminal]")
@_whitespace_option
@click.option("--cold", is_flag=True,
              help="Start a fresh kernel for each report instead of reusing one per worker.")
def build(runs: tuple[Path, ...], out_dir: Path, smoothing: float, pdf: bool,
          jobs: int | None, force: bool, progress: bool | None, whitespace: bool,
          cold: bool) -> None:
    """Build the report of each run (a run folder, a log file, or a folder of runs).

    Writes OUT_DIR/<run>/report.html, report.md, report.ipynb and summary.json
    (and report.pdf with --pdf), then OUT_DIR/index.html listing every report.
    Runs are built in parallel; a report newer than its inputs and than
    reportlib is skipped unless --force. A run that fails is reported and the
    others are still built; the exit status is non-zero if any failed.
    """
    from reportlib.batch import build_batch, summary_line

    def show(item: Any) -> None:
        html = item.report_dir / "report.html" if item.report_dir else None
        if item.status == "built":
            click.echo(f"built {item.name}: {html} ({item.seconds:.1f} s)")
        elif item.status == "up_to_date":
            click.echo(f"up to date {item.name}: {html} (--force rebuilds it)")
        elif item.status == "skipped":
            click.echo(f"reportlib: skipped {item.path}: {item.message}", err=True)
        else:
            click.echo(f"reportlib: error: {item.message}", err=True)
            if item.detail:
                click.echo(item.detail, err=True)

    try:
        result = build_batch(runs, out_dir, jobs=jobs, force=force, pdf=pdf, smoothing=smoothing,
                             whitespace=whitespace, progress=progress, on_item=show,
                             cold=cold)
    except ReportlibError as error:
        _fail(error)
    if result.index is not None:
        click.echo(f"index: {result.index}")
    built = [item for item in result.items if item.status != "skipped"]
    if len(built) > 1:
        click.echo(summary_line(result))
    failed = result.of("failed")
    if failed:
        click.echo(f"{len(failed)} of {len(built)} run(s) failed: "
                   + ", ".join(str(item.path) for item in failed), err=True)
        sys.exit(EXIT_FAILED)


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out-dir", type=click.Path(path_type=Path), default=Path("reports"),
              show_default=True, help="Output folder; the comparison goes in its compare/ folder.")
@_smoothing_option
def compare(runs: tuple[Path, ...], out_dir: Path, smoothing: float) -> None:
    """Compare two or more runs: overlaid curves, best checkpoints, which is best and by how much.

    Writes OUT_DIR/compare/<runA>_vs_<runB>/compare.html, compare.ipynb and
    comparison.json, and prints the verdict.
    """
    from reportlib.compare import build_comparison

    try:
        result = build_comparison(list(runs), out_dir, smoothing=smoothing)
    except ReportlibError as error:
        _fail(error)
    from reportlib.analysis.comparison import Difference
    from reportlib.formatting import format_number
    from reportlib.present.comparison import difference_verdict

    data = json.loads(result.summary.read_text(encoding="utf-8"))["comparison"]
    for criterion, key, name in (("validation loss", "best_by_val_loss", "val_loss"),
                                 (data.get("metric_name") or "metric", "best_by_metric",
                                  "metric")):
        if data.get(key):
            click.echo(f"best by {criterion}: {data[key]}")
        for raw in data.get("differences") or []:
            if raw.get("criterion") == name:
                d = Difference(**raw)
                click.echo(f"  {d.best} ahead of {d.other} by {format_number(d.gap)}: "
                           f"{difference_verdict(d)}")
    for reason in data.get("not_comparable") or []:
        what = "" if data.get("different_tasks") else f" by {data.get('metric_name') or 'metric'}"
        click.echo(f"not ranked{what}: {reason}")
    for group in data.get("seed_groups") or []:
        loss = group.get("best_val_loss") or {}
        spread = "" if loss.get("mean") is None else (
            f": best validation loss {format_number(loss['mean'])}"
            + (f" ± {format_number(loss['sd'])} (sd)" if loss.get("sd") is not None else ""))
        click.echo(f"differ only by seed: {', '.join(group['runs'])}{spread}")
    click.echo(f"built comparison {result.name}: {result.html} ({result.seconds:.1f} s)")


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--fail-on", "fail_on", default=None, show_default="critical",
              help="Comma-separated finding kinds (overfitting, non_finite, spike, ...) or "
              "severities (warning, critical) that fail the check.")
def check(runs: tuple[Path, ...], fail_on: str) -> None:
    """A CI gate: exit non-zero when a run has a finding listed in --fail-on.

    Prints one line per triggered finding on stderr ("run: kind (severity):
    message") and "ok" lines on stdout for runs that pass. Exits 1 when any
    finding triggered or a run cannot be read.
    """
    from reportlib.check import DEFAULT_FAIL_ON, check_run, parse_fail_on
    from reportlib.ingest import load_source

    try:
        names = parse_fail_on(DEFAULT_FAIL_ON if fail_on is None else fail_on)
    except ReportlibError as error:
        _fail(error)
    selection = _select(runs)
    failed = bool(selection.errors)
    for source in selection.runs:
        try:
            result = check_run(load_source(source), names)
        except ReportlibError as error:
            click.echo(f"reportlib: error: {error.one_line()}", err=True)
            failed = True
            continue
        if result.passed:
            click.echo(f"ok {result.run_name}: no {', '.join(names)} finding "
                       f"({result.n_findings} findings checked)")
        else:
            failed = True
            for line in result.lines():
                click.echo(f"reportlib: check failed: {line}", err=True)
    if failed:
        sys.exit(EXIT_FAILED)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print summary.json's content instead of prose (one JSON object per "
              "line when there are several runs).")
@_whitespace_option
def summary(paths: tuple[Path, ...], as_json: bool, whitespace: bool) -> None:
    """Analyse each run found and print its findings, without building a notebook.

    The analysis is the report's own (predictions scored when present): --json
    prints what the report's summary.json holds, less the build's provenance.
    """
    from reportlib.ingest import load_source
    from reportlib.pipeline import analyze
    from reportlib.present.narrative import render_narrative
    from reportlib.summary import summary_json

    selection = _select(paths)
    failed = bool(selection.errors)
    several = len(selection.runs) > 1
    for source in selection.runs:
        try:
            result = analyze(load_source(source), whitespace=whitespace)
        except ReportlibError as error:
            click.echo(f"reportlib: error: {error.one_line()}", err=True)
            failed = True
            continue
        if as_json:  # several: JSON lines, one object per run
            click.echo(summary_json(result.run, result.analysis,
                                    indent=None if several else 2), nl=False)
        else:
            if several:
                click.echo(f"# {result.name}\n")
            click.echo(render_narrative(result.analysis) + ("\n" if several else ""))
    if failed:
        sys.exit(EXIT_FAILED)


def _select(paths: tuple[Path, ...]) -> Any:
    """The runs of ``paths`` as every command sees them; prints errors and skipped paths."""
    from reportlib.ingest import select_runs

    selection = select_runs(paths)
    for _, error in selection.errors:
        click.echo(f"reportlib: error: {error.one_line()}", err=True)
    for path, reason in selection.skipped:
        click.echo(f"reportlib: skipped {path}: {reason}", err=True)
    return selection


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "log_format", default=None, metavar="NAME",
              help="Read the path as this format instead of detecting it.")
def inspect(path: Path, log_format: str | None) -> None:
    """Show what reportlib reads: the runs a folder holds (how each is named, why other
    files are skipped), or for one run its format, curves, points and warnings."""
    from reportlib.ingest.inspection import inspect_run

    try:
        text = inspect_run(path, log_format=log_format)
    except ReportlibError as error:
        _fail(error)
    click.echo(text)

@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--chrf++", "chrf_plus_plus", is_flag=True,
              help="Also compute chrF++ (word_order=2).")
@click.option("--bleu", is_flag=True, help="Also compute BLEU (sacrebleu's defaults).")
@_whitespace_option
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(0), default=DEFAULT_N_BOOTSTRAP,
              show_default=True, help="Bootstrap resamples for intervals and paired tests.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the resampling (sacrebleu's default).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=None,
              help="Worker processes [default: one per core].")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Score cache [default: ~/.cache/reportlib/scores].")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the score cache.")
def score(run_dir: Path, chrf_plus_plus: bool, bleu: bool, whitespace: bool, n_bootstrap: int,
          seed: int, jobs: int | None, cache_dir: Path | None, no_cache: bool) -> None:
    """Score a run's predictions per checkpoint with sacrebleu, without building a report."""
    from reportlib.scoring import format_score_table, score_run

    try:
        result = score_run(run_dir, chrf_plus_plus=chrf_plus_plus, bleu=bleu,
                           whitespace=whitespace, n_bootstrap=n_bootstrap, seed=seed,
                           jobs=jobs, cache_dir=cache_dir, use_cache=not no_cache)
    except ReportlibError as error:
        _fail(error)
    click.echo(format_score_table(result))


if __name__ == "__main__":
    main()
