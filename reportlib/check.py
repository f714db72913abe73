"""A CI gate: fail a training pipeline when a run shows chosen findings.

``reportlib check runs/<run> --fail-on overfitting,non_finite`` analyses the
run exactly as the report does and fails when any finding of a listed kind
(or, for a severity name, of that severity or worse) is present, printing
one line per finding that triggered. The kinds are the values of
:class:`~reportlib.analysis.FindingKind`, the ones ``summary.json`` lists.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from reportlib.analysis import Finding, FindingKind, Severity
from reportlib.errors import ParameterError
from reportlib.pipeline import RunResult, analyze
from reportlib.run import Run

#: Severity names, mildest first: a severity in ``fail_on`` means "this one or worse".
SEVERITY_ORDER: tuple[str, ...] = tuple(s.value for s in Severity)
#: What the gate fails on when not told: findings that invalidate a run's numbers.
DEFAULT_FAIL_ON: tuple[str, ...] = (Severity.CRITICAL.value,)


def parse_fail_on(spec: str | Iterable[str]) -> tuple[str, ...]:
    """The finding kinds and severities to fail on, from ``"overfitting,non_finite"`` or a list.

    Parameters
    ----------
    spec:
        Comma-separated names (spaces ignored), or an iterable of names; each a
        finding kind (``overfitting``, ``non_finite``, ``spike``...) or a
        severity (``warning``, ``critical``).

    Returns
    -------
    tuple of distinct names, in the order given.

    Raises
    ------
    reportlib.errors.ParameterError
        A name is neither a kind nor a severity, or none is given.
    """
    parts = spec.split(",") if isinstance(spec, str) else [str(p) for p in spec]
    names = tuple(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
    if not names:
        raise ParameterError("fail_on names no finding kind or severity",
                             hint="e.g. --fail-on overfitting,non_finite or --fail-on warning")
    kinds = {k.value for k in FindingKind}
    unknown = [n for n in names if n not in kinds and n not in SEVERITY_ORDER]
    if unknown:
        raise ParameterError(
            f"fail_on: unknown finding kind or severity {', '.join(map(repr, unknown))}",
            hint=f"Use kinds from {', '.join(sorted(kinds))}, or a severity "
            f"({', '.join(SEVERITY_ORDER)})",
        )
    return names


def triggers(finding: Finding, fail_on: Iterable[str]) -> bool:
    """Whether ``finding`` is of a kind in ``fail_on`` or at least as severe as a severity there."""
    names = set(fail_on)
    if finding.kind.value in names:
        return True
    rank = SEVERITY_ORDER.index(finding.severity.value)
    return any(SEVERITY_ORDER.index(n) <= rank for n in names if n in SEVERITY_ORDER)


@dataclass(frozen=True)
class CheckResult:
    """The gate's verdict on one run.

    Attributes
    ----------
    run_name:
        The run checked.
    fail_on:
        The kinds and severities it was checked against.
    triggered:
        The findings that matched, in report order (empty: the run passes).
    n_findings:
        How many findings the analysis made in all.
    """

    run_name: str
    fail_on: tuple[str, ...]
    triggered: tuple[Finding, ...]
    n_findings: int

    @property
    def passed(self) -> bool:
        """Whether no finding triggered."""
        return not self.triggered

    def lines(self) -> list[str]:
        """One line per triggered finding: ``run: kind (severity): message``."""
        return [
            " ".join(f"{self.run_name}: {f.kind.value} ({f.severity.value}): {f.message}".split())
            for f in self.triggered
        ]


def check_run(
    run: RunResult | Run | str | os.PathLike[str],
    fail_on: str | Iterable[str] = DEFAULT_FAIL_ON,
) -> CheckResult:
    """Analyse a run (:func:`reportlib.analyze`, as its report does) and say which
    of its findings match ``fail_on``.

    Parameters
    ----------
    run:
        A :class:`~reportlib.pipeline.RunResult`, a :class:`~reportlib.run.Run`, or a
        path :func:`reportlib.load_run` reads.
    fail_on:
        Kinds and severities (see :func:`parse_fail_on`); default: critical findings.

    Returns
    -------
    CheckResult

    Raises
    ------
    reportlib.errors.ParameterError
        ``fail_on`` names an unknown kind or severity.
    reportlib.errors.InputError
        The run cannot be read.
    """
    names = parse_fail_on(fail_on)
    result = run if isinstance(run, RunResult) else analyze(run)
    hits = tuple(f for f in result.analysis.findings if triggers(f, names))
    return CheckResult(result.name, names, hits, len(result.analysis.findings))


__all__ = [
    "DEFAULT_FAIL_ON",
    "SEVERITY_ORDER",
    "CheckResult",
    "check_run",
    "parse_fail_on",
    "triggers",
]
