"""No report contradicts itself (issue 11, pattern 7): the analysis of every run in
runs/, tests/data/ and bench/verdicts/ (when present), through the one pipeline
(predictions scored where a run has them), is checked for findings that cannot
both be true."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from reportlib import analyze, load_run
from reportlib.analysis import Finding, FindingKind, Severity
from reportlib.errors import ReportlibError

ROOT = Path(__file__).resolve().parent.parent

#: End-of-training verdicts of one curve: at most one may hold.
_END_KINDS = {FindingKind.PLATEAU, FindingKind.STILL_IMPROVING, FindingKind.GETTING_WORSE}
#: Findings next to which advice to train longer is wrong.
_NO_ADVICE_WITH = {FindingKind.OVERFITTING, FindingKind.VAL_LOSS_RISING,
                   FindingKind.DIVERGENCE, FindingKind.NON_FINITE}


def contradictions(findings: Iterable[Finding]) -> list[str]:
    """Every pair of findings of one report that cannot both be true, as sentences."""
    findings = list(findings)
    problems: list[str] = []
    by_curve: dict[tuple[str, str], set[FindingKind]] = {}
    for f in findings:
        if f.kind in _END_KINDS:
            key = (f.panel, f.evidence.get("split"))
            by_curve.setdefault(key, set()).add(f.kind)
    for key, found in by_curve.items():
        if len(found) > 1:
            problems.append(f"{key}: {sorted(k.value for k in found)} about one curve")
    kinds = {f.kind for f in findings}
    if {FindingKind.METRIC_AGREES_WITH_LOSS, FindingKind.METRIC_DISAGREES_WITH_LOSS} <= kinds:
        problems.append("the metric both agrees and disagrees with the loss")
    claims: dict[tuple[int, ...], set[bool]] = {}
    for f in findings:
        for claim in f.evidence.get("noise_claims") or ():
            claims.setdefault(tuple(claim["steps"]), set()).add(bool(claim["significant"]))
    problems += [f"steps {steps}: called both noise and significant"
                 for steps, verdicts in claims.items() if len(verdicts) > 1]
    advised = [f for f in findings if f.evidence.get("advice") == "train_longer"
               or "more training may help" in f.message]
    blockers = sorted(k.value for k in kinds & _NO_ADVICE_WITH)
    if advised and blockers:
        problems.append(f"advice to train longer next to {blockers}")
    if advised and FindingKind.EARLY_STOPPING in kinds:
        problems.append("advice to train longer next to advice to stop early")
    return problems


def _candidates() -> list[Path]:
    paths = [p for p in sorted((ROOT / "runs").iterdir()) if p.is_dir()]
    data = ROOT / "tests" / "data"
    paths += [p for p in sorted(data.rglob("*")) if p.name != "PROVENANCE.tsv"]
    bench = ROOT / "bench" / "verdicts"
    if bench.is_dir():
        paths += [p for p in sorted(bench.rglob("*")) if p.is_dir() or p.suffix != ".py"]
    return paths


def _loadable() -> list[Path]:
    """Every path the ingest reads as a run (folders and files alike)."""
    found = []
    for path in _candidates():
        try:
            load_run(path)
        except (ReportlibError, OSError):
            continue
        found.append(path)
    return found


RUNS = _loadable()


def test_the_runs_are_found() -> None:
    # the two example runs and at least the dozen readable test logs
    assert len(RUNS) >= 14


@pytest.mark.parametrize("path", RUNS, ids=[str(p.relative_to(ROOT)) for p in RUNS])
def test_no_report_contradicts_itself(path: Path) -> None:
    analysis = analyze(path).analysis
    assert contradictions(analysis.findings) == []


def _f(kind: FindingKind, panel: str = "overall", **evidence) -> Finding:
    return Finding(kind, Severity.INFO, "A sentence.", evidence, panel=panel)


@pytest.mark.parametrize(("findings", "expected"), [
    ([_f(FindingKind.PLATEAU, "val_loss", split="eval"),
      _f(FindingKind.STILL_IMPROVING, "val_loss", split="eval")], "about one curve"),
    ([_f(FindingKind.METRIC_AGREES_WITH_LOSS), _f(FindingKind.METRIC_DISAGREES_WITH_LOSS)],
     "both agrees and disagrees"),
    ([_f(FindingKind.BEST_CHECKPOINT, noise_claims=[{"steps": [1, 2], "significant": False}]),
      _f(FindingKind.CHRF_DROP_AFTER_BEST, "eval_metric",
         noise_claims=[{"steps": [1, 2], "significant": True}])], "both noise and significant"),
    ([_f(FindingKind.STILL_IMPROVING, "val_loss", split="eval", advice="train_longer"),
      _f(FindingKind.OVERFITTING)], "advice to train longer"),
    ([_f(FindingKind.STILL_IMPROVING, "eval_metric", split="eval", advice="train_longer"),
      _f(FindingKind.DIVERGENCE, "train_loss")], "advice to train longer"),
    ([_f(FindingKind.STILL_IMPROVING, "val_loss", split="eval", advice="train_longer"),
      _f(FindingKind.EARLY_STOPPING)], "stop early"),
])
def test_the_checker_catches_each_contradiction(findings, expected) -> None:
    (problem,) = contradictions(findings)
    assert expected in problem


def test_the_checker_accepts_one_verdict_per_curve() -> None:
    findings = [_f(FindingKind.PLATEAU, "train_loss", split="train"),
                _f(FindingKind.STILL_IMPROVING, "val_loss", split="eval", advice="train_longer"),
                _f(FindingKind.NO_OVERFITTING)]
    assert contradictions(findings) == []


@pytest.mark.parametrize("path", RUNS, ids=[str(p.relative_to(ROOT)) for p in RUNS])
def test_every_finding_names_its_rule_and_is_a_sentence(path: Path) -> None:
    for finding in analyze(path).analysis.findings:
        assert finding.evidence.get("rule"), finding
        # self-contained sentences: the "At a glance" summary shows them out of their panel
        # (a sentence may open with a name written in lower case, such as chrF)
        assert finding.message[:1].isupper() or finding.message.startswith("chrF"), finding
        assert finding.message.rstrip().endswith((".", "?", "!")), finding
        json.dumps(finding.to_dict())  # JSON-safe evidence: no numpy scalars


@pytest.mark.parametrize(("shown", "phrase"), [
    (False, "too short for a plateau or overfitting to show"),
    # a plateau was found: the caveat must not say it could not show
    (True, "rests on few passes over the data"),
])
def test_few_epochs_does_not_deny_what_was_found(shown: bool, phrase: str) -> None:
    from reportlib.analysis.caveats import detect_few_epochs

    (finding,) = detect_few_epochs(2.0, source="num_train_epochs", shown=shown)
    assert phrase in finding.message
