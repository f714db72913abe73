"""The CI gate: `reportlib check RUN --fail-on kinds` and check_run."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from reportlib.analysis import Finding, FindingKind, Severity
from reportlib.check import check_run, parse_fail_on, triggers
from reportlib.cli import main
from reportlib.errors import InputError, ParameterError
from tests.conftest import EXAMPLE_NAME, OVERFIT_NAME, run_yaml_title


@pytest.fixture(scope="module")
def nan_run(example_run, tmp_path_factory):
    """The example run with one training loss replaced by NaN, as a diverging run logs it."""
    folder = tmp_path_factory.mktemp("nan") / "nan-run"
    shutil.copytree(example_run, folder)
    path = folder / "trainer_state.json"
    state = json.loads(path.read_text(encoding="utf-8"))
    losses = [entry for entry in state["log_history"] if "loss" in entry]
    losses[-1]["loss"] = float("nan")
    path.write_text(json.dumps(state), encoding="utf-8")  # json writes NaN as HF does
    return folder


def test_overfit_run_really_overfits(overfit_run):
    """Precondition, from the log itself: validation loss bottoms out early and ends far above."""
    state = json.loads((overfit_run / "trainer_state.json").read_text(encoding="utf-8"))
    val = [e["eval_loss"] for e in state["log_history"] if "eval_loss" in e]
    assert val.index(min(val)) < len(val) // 2 and val[-1] > 1.2 * min(val)


@pytest.mark.parametrize(
    ("which", "fail_on", "kinds"),
    [
        ("overfit_run", "overfitting", ["overfitting"]),
        ("overfit_run", "overfitting,non_finite", ["overfitting"]),
        ("example_run", "overfitting,non_finite", []),
        ("example_run", "critical", []),
        ("nan_run", "non_finite", ["non_finite"]),
        ("nan_run", "critical", ["non_finite"]),
        ("overfit_run", " Overfitting , spike ", ["overfitting"]),  # spaces and case forgiven
        ("overfit_run", ["getting_worse", "overfitting"], ["getting_worse", "overfitting"]),
    ],
)
def test_check_run(request, which, fail_on, kinds):
    result = check_run(request.getfixturevalue(which), fail_on)
    assert [f.kind.value for f in result.triggered] == kinds
    assert result.passed is (not kinds)
    assert len(result.lines()) == len(kinds)


def test_severity_means_that_or_worse(overfit_run):
    warning = check_run(overfit_run, "warning")
    info = check_run(overfit_run, "info")
    assert warning.triggered and all(f.severity is not Severity.INFO for f in warning.triggered)
    assert len(info.triggered) == info.n_findings  # every finding is at least info


@pytest.mark.parametrize(
    ("severity", "fail_on", "expected"),
    [
        (Severity.CRITICAL, ["warning"], True),
        (Severity.WARNING, ["critical"], False),
        (Severity.INFO, ["plateau"], True),     # matched by kind, whatever the severity
        (Severity.INFO, ["spike"], False),
    ],
)
def test_triggers(severity, fail_on, expected):
    finding = Finding(FindingKind.PLATEAU, severity, "It plateaued.")
    assert triggers(finding, fail_on) is expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("overfiting", r"unknown finding kind or severity 'overfiting'.*overfitting"),
        ("non_finite,nope,bad", r"'nope', 'bad'"),
        ("", "names no finding kind or severity"),
        (" , ", "names no finding kind or severity"),
    ],
)
def test_bad_fail_on_is_refused(spec, message):
    with pytest.raises(ParameterError, match=message):
        parse_fail_on(spec)


def test_unreadable_run_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        check_run(tmp_path / "missing", "overfitting")


def test_lines_are_one_per_finding_and_single_line(overfit_run):
    result = check_run(overfit_run, "warning")
    for line, finding in zip(result.lines(), result.triggered, strict=True):
        assert "\n" not in line
        assert line.startswith(f"{OVERFIT_NAME}: {finding.kind.value} "
                               f"({finding.severity.value}): ")


@pytest.mark.parametrize(
    ("which", "args", "exit_code", "stderr_lines"),
    [
        ("overfit_run", ["--fail-on", "overfitting,non_finite"], 1, 1),
        ("example_run", ["--fail-on", "overfitting,non_finite"], 0, 0),
        ("nan_run", [], 1, 1),                      # default: critical findings
        ("example_run", ["--fail-on", "bogus"], 1, 1),
    ],
)
def test_cli(request, which, args, exit_code, stderr_lines):
    path = request.getfixturevalue(which)
    result = CliRunner().invoke(main, ["check", str(path), *args])
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == stderr_lines
    if exit_code == 0:
        assert result.stdout.startswith(f"ok {run_yaml_title(path)}: no overfitting, "
                                        "non_finite finding")
    elif "bogus" in args:
        assert lines[0].startswith("reportlib: error: fail_on: unknown")
    else:
        assert lines[0].startswith(f"reportlib: check failed: {run_yaml_title(path)}: ")


def test_cli_checks_every_run_and_fails_if_any_does(example_run, overfit_run, tmp_path):
    result = CliRunner().invoke(main, ["check", str(example_run), str(tmp_path / "missing"),
                                       str(overfit_run), "--fail-on", "overfitting"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"ok {EXAMPLE_NAME}:")
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "no such file or folder" in errors[0]
    assert errors[1].startswith(f"reportlib: check failed: {OVERFIT_NAME}: overfitting")
