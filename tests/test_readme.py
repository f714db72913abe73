"""The README says what the code does: lists in it are checked against the code."""

from __future__ import annotations

import re
from pathlib import Path

from reportlib.analysis import FindingKind

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_list_of_finding_kinds_is_complete_and_exact():
    text = README.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("Finding kinds ("))
    listed = re.findall(r"`([a-z_]+)`", line.split(":", 1)[1])
    assert sorted(listed) == sorted(k.value for k in FindingKind)
    assert len(listed) == len(set(listed))


def test_the_quick_start_has_exactly_two_commands():
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln for ln in block.splitlines() if ln.strip()]
    assert len(commands) == 2
    assert all(c.startswith("bash .ci/setup && ") for c in commands)


def test_ci_runs_the_readmes_test_command():
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    test_command = block.strip().splitlines()[1].split("#")[0].strip()
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
