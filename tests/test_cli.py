"""The command line: thin adapter, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from click.testing import CliRunner

from reportlib import __version__
from reportlib.cli import main
from tests.conftest import EXAMPLE_DIR, EXAMPLE_NAME


@pytest.fixture
def cli():
    return CliRunner()


def test_summary_json_is_the_contract(cli, example_run):
    result = cli.invoke(main, ["summary", str(example_run), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reportlib_version"] == __version__
    assert summary["run"]["name"] == EXAMPLE_NAME
    assert summary["run"]["format"] == "hf_trainer"
    assert {"split", "metric", "points", "first", "last", "best", "best_step", "best_epoch",
            "trend"} <= set(summary["curves"][0])
    assert {"step", "epoch", "by"} <= set(summary["best_checkpoint"])
    assert all({"kind", "severity", "message"} <= set(f) for f in summary["findings"])


def test_summary_prose_is_the_narrative(cli, example_run):
    result = cli.invoke(main, ["summary", str(example_run)])
    assert result.exit_code == 0, result.output
    assert "Validation loss" in result.stdout and "Caveats" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary", "no/such/run"], "no such file or folder"),
        (["summary", "{tmp}", "--json"], "no supported training-log format"),
        (["summary", "{tmp}/trainer_state.json"], "line 1, column 18"),
    ],
)
def test_user_errors_are_one_line_without_traceback(cli, tmp_path, args, message):
    (tmp_path / "trainer_state.json").write_text('{"log_history": [')
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [a.replace("{tmp}/", f"{tmp_path}/").replace("{tmp}", str(empty)) for a in args]
    result = cli.invoke(main, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reportlib: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_option_value_names_the_option(cli, example_run):
    result = cli.invoke(main, ["compare", str(example_run), str(example_run),
                               "--smoothing", "2"])
    assert result.exit_code == 2
    assert "--smoothing" in result.stderr


@pytest.mark.slow
def test_build_continues_past_a_bad_run(cli, example_run, tmp_path):
    out = tmp_path / "reports"
    args = ["build", str(tmp_path / "missing"), str(example_run), "-o", str(out)]
    result = cli.invoke(main, args)
    assert result.exit_code == 1
    assert (out / EXAMPLE_DIR / "report.html").is_file()
    assert f"built {EXAMPLE_NAME}" in result.stdout
    assert "1 of 2 run(s) failed" in result.stderr


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "reportlib", "--version"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == f"reportlib, version {__version__}"


def test_values_near_the_float_limit_print_no_numpy_warnings(cli, tmp_path):
    # Generated log: losses near 1e308 overflow differences and sums in the analysis.
    history = [{"step": i, "loss": v} for i, v in
               enumerate([1e308, -1e308, 1.5e308, 5e307, 1e308, 2e307], start=1)]
    history += [{"step": i, "eval_loss": v} for i, v in
                enumerate([1e308, 1.2e308, 1.7e308, 5e307], start=1)]
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # pytest would otherwise swallow them unseen
        result = cli.invoke(main, ["summary", str(tmp_path)])
    assert result.exit_code == 0
    assert [str(w.message) for w in caught if w.category is RuntimeWarning] == []
