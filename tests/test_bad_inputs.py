"""The corpus of bad inputs (tests/bad_inputs/make_bad_inputs.py) through the real CLI.

For every case: either a report whose warnings or findings name the problem,
or exit status 1 with exactly one stderr line ``reportlib: error: <file>: ...``
that names the file at fault; never a Python traceback. Most cases go through
click's CliRunner (in process, fast); a sample per kind, the file-system cases
(a named pipe must not block) and ``reportlib build`` go through the installed
command in a subprocess.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportlib.cli import EXIT_FAILED, main
from reportlib.errors import PredictionsError
from reportlib.ingest import load_run, supported_formats
from tests.bad_inputs.make_bad_inputs import NOT_RECOGNISED, BadInput, make_corpus

ERROR_PREFIX = "reportlib: error: "
REPORTLIB = [sys.executable, "-m", "reportlib"]

#: The corpus is written once, at collection (the case names parametrize the tests).
CORPUS = Path(tempfile.mkdtemp(prefix="reportlib-bad-inputs-"))
atexit.register(shutil.rmtree, CORPUS, ignore_errors=True)
CASES: dict[str, BadInput] = {case.name: case for case in make_corpus(CORPUS)}

#: Kinds that could block or hang if a fix regressed: run in a subprocess with a timeout.
HANG_KINDS = {"filesystem", "regex_dos"}
CLI_CASES = [c.name for c in CASES.values() if not c.scoring and c.kind not in HANG_KINDS]
FILESYSTEM_CASES = [c.name for c in CASES.values() if c.kind in HANG_KINDS]
SCORING_CASES = [c.name for c in CASES.values() if c.scoring]
#: The first case of each kind also runs through the installed command.
SUBPROCESS_SAMPLE = list({c.kind: c.name for c in reversed(CASES.values())
                          if not c.scoring}.values())


def expectation(case: BadInput) -> tuple[str, str, Path]:
    """(outcome, pattern, culprit path) for the formats registered now."""
    if case.needs_format and case.needs_format not in supported_formats():
        return "error", NOT_RECOGNISED + "|no such|neither", CORPUS / case.target
    return case.outcome, case.pattern, CORPUS / case.culprit


def check_outcome(case: BadInput, exit_code: int, stdout: str, stderr: str) -> None:
    """Assert the CLI's answer to ``summary --json`` is what the case expects."""
    outcome, pattern, culprit = expectation(case)
    assert "Traceback" not in stderr + stdout, f"{case.name}: a traceback\n{stderr[-3000:]}"
    if exit_code == 0:
        assert outcome in {"report", "either"}, (
            f"{case.name}: expected an error matching {pattern!r}, got a report")
        summary = json.loads(stdout)
        said = summary["warnings"] + [f["message"] for f in summary["findings"]]
        # Numbers in sentences stay readable, however large the value (1e+308, not 309 digits).
        assert not re.search(r"\d{20,}", " ".join(said)), f"{case.name}: {said}"
        if pattern:
            assert any(re.search(pattern, text, re.IGNORECASE) for text in said), (
                f"{case.name}: no warning or finding matches {pattern!r}: {said}")
        return
    assert exit_code == EXIT_FAILED, f"{case.name}: exit {exit_code}\n{stderr[-2000:]}"
    assert outcome in {"error", "either"}, f"{case.name}: expected a report, got {stderr!r}"
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), f"{case.name}: {lines[:5]}"
    assert len(lines[0]) < 2000, f"{case.name}: an error line of {len(lines[0])} characters"
    # The file is named by its path, or by its folder's path and its own name.
    named = str(culprit) in lines[0] or (str(culprit.parent) in lines[0]
                                         and culprit.name in lines[0])
    assert named, f"{case.name}: {culprit} not named in {lines[0]!r}"
    if pattern:
        assert re.search(pattern, lines[0], re.IGNORECASE), f"{case.name}: {lines[0]!r}"


def test_corpus_covers_every_kind_of_the_issue():
    kinds = Counter(case.kind for case in CASES.values())
    assert set(kinds) >= {"empty", "binary", "lfs_pointer", "truncated", "non_finite",
                          "wrong_type", "steps", "partial_run", "predictions", "encoding",
                          "long_lines", "nesting", "filesystem", "regex_dos"}
    # "cut at every kind of boundary": one case per JSON boundary, plus CSV, JSONL, events.
    truncated = [name for name in CASES if name.startswith("truncated_")]
    assert len([n for n in truncated if n.startswith("truncated_json_")]) >= 15
    assert any("events" in n for n in truncated) and any("csv" in n for n in truncated)
    assert any("jsonl" in n for n in truncated)


def test_corpus_is_deterministic(tmp_path):
    again = make_corpus(tmp_path)
    assert [c.name for c in again] == list(CASES)
    for case in again:
        first, second = CORPUS / case.name, tmp_path / case.name
        for path in sorted(p for p in first.rglob("*") if p.is_file() and not p.is_symlink()):
            other = second / path.relative_to(first)
            assert other.read_bytes() == path.read_bytes(), f"{path} differs between runs"


@pytest.mark.parametrize("name", CLI_CASES)
def test_summary_handles_bad_input(name):
    case = CASES[name]
    result = CliRunner().invoke(main, ["summary", str(CORPUS / case.target), "--json"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{name}: {type(result.exception).__name__}: {result.exception}")
    check_outcome(case, result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("name", list(dict.fromkeys(FILESYSTEM_CASES + SUBPROCESS_SAMPLE)))
def test_installed_command_handles_bad_input(name):
    case = CASES[name]
    result = subprocess.run([*REPORTLIB, "summary", str(CORPUS / case.target), "--json"],
                            capture_output=True, text=True, timeout=120)
    check_outcome(case, result.returncode, result.stdout, result.stderr)


@pytest.mark.parametrize("name", SCORING_CASES)
def test_scoring_names_the_bad_prediction_file(name, tmp_path):
    from reportlib.scoring import score_run

    case = CASES[name]
    outcome, pattern, culprit = expectation(case)
    assert outcome == "error"
    run = load_run(CORPUS / case.target)
    with pytest.raises(PredictionsError, match=re.compile(pattern, re.IGNORECASE)) as caught:
        score_run(run, n_bootstrap=0, jobs=1, cache_dir=tmp_path / "cache")
    assert caught.value.path == str(culprit)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 2000


def test_one_line_error_keeps_the_hint_of_a_huge_message():
    from reportlib.errors import MAX_MESSAGE_CHARS, InputError

    error = InputError("x" * 1_000_000, path="f.json", where="line 1", hint="Fix it")
    line = error.one_line()
    assert line.startswith("f.json: line 1: xxx") and line.endswith("Fix it.")
    assert len(line) < MAX_MESSAGE_CHARS + 100 and "999,600" not in line
    assert f"[... {1_000_000 - MAX_MESSAGE_CHARS} characters ...]" in line


@pytest.mark.slow
@pytest.mark.parametrize("name", ["deeply_nested_top_key", "huge_text_value",
                                  "lfs_checkpoint_state", "missing_path"])
def test_build_fails_before_writing_with_one_error_line(name, tmp_path):
    case = CASES[name]
    out = tmp_path / "reports"
    result = subprocess.run([*REPORTLIB, "build", str(CORPUS / case.target), "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == EXIT_FAILED and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1 and str(CORPUS / case.culprit) in errors[0], result.stderr
    assert re.search(case.pattern, errors[0], re.IGNORECASE)
    reports = [p for p in out.rglob("*") if p.is_file() and p.name != "index.html"] \
        if out.exists() else []
    assert reports == [], "a failed build left report files"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nan_loss", "lone_surrogate_escape"])
def test_build_reports_bad_values_with_warnings(name, tmp_path):
    case = CASES[name]
    result = subprocess.run([*REPORTLIB, "build", str(CORPUS / case.target), "-o",
                             str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    html = next(tmp_path.glob("*/report.html")).read_text(encoding="utf-8")
    summary = json.loads(next(tmp_path.glob("*/summary.json")).read_text(encoding="utf-8"))
    for warning in summary["warnings"]:
        assert warning.split(" (")[0] in html.replace("&#x27;", "'")
    if case.pattern:
        assert any(re.search(case.pattern, w) for w in summary["warnings"])


def test_exponential_line_pattern_is_refused_before_it_runs():
    """Read as a text log on purpose, the run.yaml pattern is refused, naming its place."""
    from reportlib.errors import InputError

    if "text_log" not in supported_formats():
        pytest.skip("no text_log format registered")
    case = CASES["text_log_exponential_pattern"]
    with pytest.raises(InputError, match=r"text_log\.patterns\[0\].*repeats a part"):
        load_run(CORPUS / case.target, log_format="text_log")
