"""Rule family: the best checkpoint, and whether the evaluation metric agrees with the loss.

Claims about whether two checkpoints' chrF differ by more than the noise come
from the paired bootstrap on the run's own predictions when it has them
(:class:`PairTest`); without predictions the sentence says that the log alone
cannot tell, instead of guessing from the spread between checkpoints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportlib.analysis._common import finite_or_none, finite_rows
from reportlib.analysis.curves import near_ceiling
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.noise import noise_scale, resolution
from reportlib.analysis.templates import format_number, format_position, plural, say
from reportlib.errors import ParameterError
from reportlib.metrics import bounds_for
from reportlib.run import Run

MIN_EVALS_FOR_CORRELATION = 5
"""Fewer paired evaluations than this and the rank correlation of the metric with
validation loss is not judged: with four points a Spearman rho of 0.8 is
reached by chance about one time in ten."""

AGREEMENT_MIN_RHO = 0.5
"""The metric "moves with" validation loss when the Spearman rank correlation,
oriented so that +1 means both improve together, is at least 0.5 (a strong
monotone association by the usual reading); below it they move apart."""

DISAGREEMENT_NOISE_MULTIPLIER = 2.0
"""Without predictions, the best checkpoints by loss and by the metric disagree in
a way worth a warning when the metric at the lowest-loss checkpoint falls short
of the metric's best by more than this many of the metric's point-to-point
noise deviations (a size, not a significance test: the sentence says so)."""

DISAGREEMENT_MIN_RELATIVE = 0.01
"""...and by more than 1% of the metric's best (of its error below the ceiling, for a
bounded metric judged by its error): a learning rate decayed to nothing leaves a noise
estimate so small that 0.988357 against 0.988424 would pass the noise test alone."""

#: The ``best_model_checkpoint`` of HF's trainer_state names the step like this.
_CHECKPOINT_STEP = re.compile(r"checkpoint-(\d+)")


@dataclass(frozen=True)
class PairTest:
    """A paired significance test between two checkpoints on the run's predictions."""

    steps: frozenset[int]
    p_value: float
    significant: bool


@dataclass(frozen=True)
class CheckpointChoice:
    """The best evaluation by one criterion: where it is and its value."""

    step: int
    epoch: float | None
    value: float
    criterion: str


@dataclass(frozen=True)
class BestCheckpoint:
    """The best checkpoint of a run, by validation loss and by the evaluation metric.

    ``step``/``epoch``/``by`` is the one chosen: the criterion the run itself
    used when its ``best_model_checkpoint`` names one of the two, else
    validation loss (HF Trainer's default criterion), else the metric. ``by`` is
    ``"eval_loss"`` or the metric's normalised name (``"chrf"``). ``agree`` is
    whether both criteria pick the same step (None when only one exists).
    """

    step: int
    epoch: float | None
    by: str
    value: float
    by_loss: CheckpointChoice | None
    by_metric: CheckpointChoice | None
    agree: bool | None
    selected_by_run: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: step, epoch, by, value, by_loss, by_metric, agree, selected_by_run."""
        def choice(c: CheckpointChoice | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {"step": c.step, "epoch": c.epoch, "value": c.value, "criterion": c.criterion}

        return {
            "step": self.step, "epoch": self.epoch, "by": self.by, "value": self.value,
            "by_loss": choice(self.by_loss), "by_metric": choice(self.by_metric),
            "agree": self.agree, "selected_by_run": self.selected_by_run,
        }


def _best_choice(frame: pd.DataFrame | None, criterion: str, higher: bool
                 ) -> CheckpointChoice | None:
    rows = finite_rows(frame)
    if rows.empty:
        return None
    values = rows["value"].to_numpy(dtype=float)
    i = int(np.argmax(values) if higher else np.argmin(values))
    return CheckpointChoice(int(rows["step"].iloc[i]), finite_or_none(rows["epoch"].iloc[i]),
                            float(values[i]), criterion)


def checkpoint_step(best_model_checkpoint: Any) -> int | None:
    """The step in HF's ``best_model_checkpoint`` (``".../checkpoint-630"`` -> 630), or None."""
    if not isinstance(best_model_checkpoint, str):
        return None
    found = _CHECKPOINT_STEP.findall(best_model_checkpoint)
    return int(found[-1]) if found else None


def earlier_best(val_loss: pd.DataFrame | None, best_so_far: Any) -> dict[str, Any] | None:
    """The log's own running best validation loss, when it is below every evaluation listed.

    A log may remember evaluations from before its first line: fairseq's
    ``best_loss`` (``Run.meta["best_so_far"]["loss"]``) in an excerpt or in a
    resumed run's new log. When it is lower than every finite validation loss of
    the log by more than half the log's rounding step, the run's best checkpoint
    came before the first evaluation here, and "the best checkpoint" or "no
    overfitting" of the evaluations listed would contradict the log itself.

    Returns
    -------
    ``{"value", "source_key", "lowest", "lowest_step", "lowest_epoch"}``, or None.
    """
    reported = best_so_far.get("loss") if isinstance(best_so_far, Mapping) else None
    value = finite_or_none(reported.get("value")) if isinstance(reported, Mapping) else None
    rows = finite_rows(val_loss)
    if value is None or rows.empty:
        return None
    values = rows["value"].to_numpy(dtype=float)
    i = int(np.argmin(values))
    rounding = resolution(values) or 0.0
    if value >= values[i] - rounding / 2 - 1e-9 * abs(values[i]):
        return None
    return {"value": value, "source_key": str(reported.get("source_key", "best_loss")),
            "lowest": float(values[i]), "lowest_step": int(rows["step"].iloc[i]),
            "lowest_epoch": finite_or_none(rows["epoch"].iloc[i])}


def selection_metric(run: Run, best_model_checkpoint: Any, best_metric: Any) -> str | None:
    """The logged evaluation value a Trainer's ``best_model_checkpoint`` was chosen by.

    The state keeps the value (``best_metric``) but not its name: it is the
    evaluation value logged at that checkpoint's step that equals it (to float
    precision), named as logged ("eval_macro_f1 0.246"). None when none or several do.
    """
    found = _selection_rows(run, best_model_checkpoint, best_metric)
    return None if found is None else f"{found[0]} {format_number(found[2])}"


def selection_curve(run: Run) -> str | None:
    """The evaluation metric (normalised) the run chose its best checkpoint by, or None."""
    found = _selection_rows(run, run.meta.get("best_model_checkpoint"),
                            run.meta.get("best_metric"))
    return None if found is None else found[1]


def _selection_rows(run: Run, best_model_checkpoint: Any,
                    best_metric: Any) -> tuple[str, str, float] | None:
    """(name as logged, normalised metric, value) of :func:`selection_metric`."""
    step, value = checkpoint_step(best_model_checkpoint), finite_or_none(best_metric)
    if step is None or value is None:
        return None
    rows = run.scalars[(run.scalars["split"] == "eval") & (run.scalars["step"] == step)]
    close = rows[np.isclose(rows["value"].to_numpy(dtype=float), value, rtol=1e-9, atol=0.0)]
    pairs = sorted(set(zip(close["source_key"].astype(str), close["metric"].astype(str),
                           strict=True)))
    return (pairs[0][0], pairs[0][1], value) if len(pairs) == 1 else None


def detect_test_results(run: Run) -> list[Finding]:
    """One ``test_results`` finding naming the last value of each test-split curve.

    The names are the log's own (``test_acc``), losses first; each value with the
    step (and epoch) it was logged at. Nothing when the log has no test split.
    """
    groups: dict[tuple[int, float | None, int], list[str]] = {}
    evidence = []
    keys = sorted((key for key in run.curves() if key[0] == "test"),
                  key=lambda key: (key[1] != "loss", key[1]))
    for key in keys:
        rows = finite_rows(run.series(*key))
        if rows.empty:
            continue
        mask = (run.scalars["split"] == key[0]) & (run.scalars["metric"] == key[1])
        name = str(run.scalars.loc[mask, "source_key"].iloc[-1])
        last = rows.iloc[-1]
        step, epoch = int(last["step"]), finite_or_none(last["epoch"])
        groups.setdefault((step, epoch, len(rows)), []).append(
            say("test_results.value", name=name, value=float(last["value"])))
        evidence.append({"metric": key[1], "source_key": name, "value": float(last["value"]),
                         "step": step, "epoch": epoch, "n_values": len(rows)})
    if not evidence:
        return []
    items = [say("test_results.item", values=_and(values), where=format_position(step, epoch),
                 count=say("test_results.count", n=n) if n > 1 else "")
             for (step, epoch, n), values in groups.items()]
    return [Finding(FindingKind.TEST_RESULTS, Severity.INFO,
                    say("test_results", items="; ".join(items)),
                    {"rule": "test_results", "split": "test", "results": evidence,
                     "steps": sorted({e["step"] for e in evidence})}, panel="overall")]


def rho_text(rho: float) -> str:
    """A rank correlation with its sign, to 2 decimals unless that would round it to a
    perfect +-1 it is not (-0.998 is "-0.998", not "-1.00")."""
    text = f"{rho:+.2f}"
    if abs(round(rho, 2)) == 1.0 and abs(rho) < 1.0 - 1e-9:  # not float error on a perfect 1
        text = f"{rho:+.3f}" if abs(round(rho, 3)) < 1.0 else f"{rho:+.4f}"
    return text


def _and(words: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def paired_evaluations(val_loss: pd.DataFrame | None, metric: pd.DataFrame | None) -> pd.DataFrame:
    """Validation loss and the metric side by side, one row per evaluation where both are finite.

    Rows are matched on step; when no step matches but both have epochs, on the
    epoch rounded to 2 decimals. Columns: step, epoch, loss, metric.
    """
    loss_rows, metric_rows = finite_rows(val_loss), finite_rows(metric)
    merged = loss_rows.merge(metric_rows, on="step", suffixes=("_loss", "_metric"))
    if merged.empty and not loss_rows.empty and not metric_rows.empty:
        left = loss_rows.assign(key=loss_rows["epoch"].round(2)).dropna(subset=["key"])
        right = metric_rows.assign(key=metric_rows["epoch"].round(2)).dropna(subset=["key"])
        merged = left.merge(right.drop(columns=["step"]), on="key", suffixes=("_loss", "_metric"))
    if merged.empty:
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "epoch": pd.Series(dtype=float),
                             "loss": pd.Series(dtype=float), "metric": pd.Series(dtype=float)})
    merged = merged.drop_duplicates("step", keep="last")
    return pd.DataFrame({
        "step": merged["step"].astype("int64").to_numpy(),
        "epoch": merged["epoch_loss"].to_numpy(dtype=float),
        "loss": merged["value_loss"].to_numpy(dtype=float),
        "metric": merged["value_metric"].to_numpy(dtype=float),
    })


def spearman_rho(x: Any, y: Any) -> float | None:
    """Spearman's rank correlation of two equal-length sequences (average ranks for ties).

    Returns
    -------
    float in [-1, 1], or None with fewer than 2 points or when either side is constant.
    """
    a, b = pd.Series(np.asarray(x, dtype=float)), pd.Series(np.asarray(y, dtype=float))
    if len(a) != len(b):
        raise ParameterError(f"x and y must have the same length, got {len(a)} and {len(b)}")
    if len(a) < 2:
        return None
    ra, rb = a.rank(method="average"), b.rank(method="average")
    if ra.std(ddof=0) == 0 or rb.std(ddof=0) == 0:
        return None
    return float(np.corrcoef(ra.to_numpy(), rb.to_numpy())[0, 1])


def compare_best_checkpoints(
    val_loss: pd.DataFrame | None,
    metric_frame: pd.DataFrame | None,
    *,
    metric: str | None,
    metric_label: str | None,
    higher_is_better: bool | None,
    best_model_checkpoint: Any = None,
    tests: Sequence[PairTest] = (),
    scored: bool = False,
    best_so_far: Any = None,
    selected_by: str | None = None,
) -> tuple[BestCheckpoint | None, list[Finding]]:
    """The best checkpoint by validation loss and by the metric; do they agree and move together?

    Parameters
    ----------
    val_loss, metric_frame:
        The validation-loss curve and the main evaluation metric's curve (None if absent).
    metric, metric_label:
        Its normalised name (``"chrf"``) and display name (``"chrF"``).
    higher_is_better:
        The metric's direction (None if unknown: no best by metric is picked).
    best_model_checkpoint:
        The run's own choice (HF ``best_model_checkpoint``), if known.
    tests:
        Paired bootstrap tests on the run's predictions; the one between the two
        best checkpoints, when there is one, decides whether they differ beyond noise.
    scored:
        Whether the run's predictions were scored (then a pair they did not test
        is said to be untested, not untestable from the log).
    best_so_far:
        The log's own running bests (``Run.meta["best_so_far"]``): a best
        validation loss below every evaluation listed is said (:func:`earlier_best`).
    selected_by:
        What the run's own choice was made by, as a phrase ("eval_macro_f1 0.246"),
        when known (:func:`selection_metric`).

    Returns
    -------
    (BestCheckpoint or None, findings): a ``best_checkpoint`` finding (info),
    then at most one of ``metric_disagrees_with_loss`` (warning) and
    ``metric_agrees_with_loss`` (info), or an ``inconclusive`` one.
    """
    by_loss = _best_choice(val_loss, "eval_loss", higher=False)
    by_metric = None
    if metric is not None and higher_is_better is not None:
        by_metric = _best_choice(metric_frame, metric, higher=higher_is_better)
    if by_loss is None and by_metric is None:
        return None, []
    name = metric_label or metric or "the metric"
    selected = checkpoint_step(best_model_checkpoint)
    chosen: CheckpointChoice = by_loss if by_loss is not None else by_metric  # type: ignore[assignment]
    if by_loss is not None and by_metric is not None and selected is not None:
        if selected == by_metric.step and selected != by_loss.step:
            chosen = by_metric
    pairs = paired_evaluations(val_loss, metric_frame)
    tied_from: CheckpointChoice | None = None
    if by_loss is not None and by_metric is not None and by_loss.step != by_metric.step:
        # A tie: the metric is at its best at the lowest-loss checkpoint too (accuracy 1.0
        # at every evaluation from some step on): that checkpoint is a best by both.
        there = pairs.loc[pairs["step"] == by_loss.step, "metric"]
        if not there.empty and float(there.iloc[-1]) == by_metric.value:
            tied_from = by_metric
            by_metric = CheckpointChoice(by_loss.step, by_loss.epoch, by_metric.value,
                                         by_metric.criterion)
    agree = None if by_loss is None or by_metric is None else by_loss.step == by_metric.step
    best = BestCheckpoint(step=chosen.step, epoch=chosen.epoch, by=chosen.criterion,
                          value=chosen.value, by_loss=by_loss, by_metric=by_metric, agree=agree,
                          selected_by_run=selected)
    base: dict[str, Any] = {"split": "eval", "metric": metric, "n_evaluations": len(pairs),
                            "rule": "metric_vs_loss",
                            "parameters": {"min_rho": AGREEMENT_MIN_RHO,
                                           "min_evaluations": MIN_EVALS_FOR_CORRELATION,
                                           "noise_multiplier": DISAGREEMENT_NOISE_MULTIPLIER,
                                           "min_relative": DISAGREEMENT_MIN_RELATIVE}}
    shortfall: float | None = None
    value_there: float | None = None
    noise = threshold = 0.0
    test: PairTest | None = None
    if agree is False and by_loss is not None and by_metric is not None:
        at_loss_best = pairs.loc[pairs["step"] == by_loss.step, "metric"]
        metric_values = finite_rows(metric_frame)["value"].to_numpy(dtype=float)
        noise = noise_scale(metric_values) or 0.0
        bounds = bounds_for(metric or "", metric_values)
        scale = (bounds[1] - by_metric.value
                 if near_ceiling(metric_values, bounds, higher_is_better) and bounds is not None
                 else by_metric.value)
        threshold = max(DISAGREEMENT_NOISE_MULTIPLIER * noise,
                        DISAGREEMENT_MIN_RELATIVE * abs(scale))
        if not at_loss_best.empty:
            value_there = float(at_loss_best.iloc[-1])
            shortfall = by_metric.value - value_there
            if not higher_is_better:
                shortfall = -shortfall
        wanted = frozenset({by_loss.step, by_metric.step})
        test = next((t for t in tests if t.steps == wanted), None)

    parts = []
    if by_loss is not None:
        parts.append(say("best.by_loss", where=format_position(by_loss.step, by_loss.epoch),
                         value=by_loss.value))
    if by_metric is not None:
        parts.append(say("best.by_metric", name=name,
                         where=format_position(by_metric.step, by_metric.epoch),
                         value=by_metric.value)
                     + (say("best.tied", where=format_position(tied_from.step, tied_from.epoch))
                        if tied_from is not None else ""))
    earlier = earlier_best(val_loss, best_so_far) if by_loss is not None else None
    sentence = ("Best checkpoint among this log's evaluations " if earlier is not None
                else "Best checkpoint ") + "; ".join(parts)
    claims: list[dict[str, Any]] = []
    if agree is True:
        sentence += say("best.agree")
    elif agree is False and test is not None:
        verdict = ("the difference is larger than the noise" if test.significant
                   else "the difference is within the noise of this validation set")
        sentence += say("best.differ_tested", p=f"{test.p_value:.3g}", name=name, verdict=verdict)
        claims.append({"steps": sorted(test.steps), "significant": test.significant,
                       "p_value": test.p_value})
    elif agree is False and shortfall is not None and shortfall <= threshold:
        sentence += say("best.differ_untested", name=name, value_there=value_there,
                        shortfall=shortfall,
                        why_unknown=say("best.unknown_scored" if scored else "best.unknown_log"))
    elif agree is False:
        sentence += say("best.differ")
    if selected is not None:
        sentence += say("best.selected", selected=selected,
                        by=say("best.selected_by", what=selected_by) if selected_by else "")
    if earlier is not None:
        sentence += say("best.earlier", source=earlier["source_key"], value=earlier["value"])
    evidence = {"rule": "best_checkpoint", "best_checkpoint": best.to_dict(), "metric": metric,
                "earlier_best": earlier,
                "metric_at_loss_best": value_there, "shortfall": shortfall, "noise": noise,
                "threshold": threshold, "noise_claims": claims,
                "steps": sorted({c.step for c in (by_loss, by_metric) if c is not None})}
    findings = [Finding(FindingKind.BEST_CHECKPOINT, Severity.INFO, sentence + ".", evidence,
                        panel="overall")]
    if by_loss is None or by_metric is None:
        return best, findings

    n = len(pairs)
    rho = spearman_rho(pairs["loss"], pairs["metric"]) if n >= MIN_EVALS_FOR_CORRELATION else None
    oriented = None if rho is None else (-rho if higher_is_better else rho)
    expected = "-1" if higher_is_better else "+1"
    rank_evidence = {"spearman_rho": rho, "oriented_rho": oriented}
    if test is not None:
        differs = test.significant and (shortfall or 0.0) > 0
        why = say("metric.why_test", p=f"{test.p_value:.3g}")
    else:
        differs = shortfall is not None and shortfall > threshold
        why = say("metric.why_noise", multiplier=f"{DISAGREEMENT_NOISE_MULTIPLIER:g}", noise=noise,
                  untested=say("metric.untested") if scored else "")
    if differs:
        rank = ""
        if rho is not None and oriented is not None:
            rank = say("metric.rank_also" if oriented >= AGREEMENT_MIN_RHO else "metric.rank_apart",
                       n_text=plural(n, "evaluation"), rho=rho_text(rho), expected=expected)
        findings.append(Finding(
            FindingKind.METRIC_DISAGREES_WITH_LOSS, Severity.WARNING,
            say("metric.disagrees_best", name=name,
                where_loss=format_position(by_loss.step, by_loss.epoch), value_there=value_there,
                shortfall=shortfall, best=by_metric.value,
                where_metric=format_position(by_metric.step, by_metric.epoch), why=why,
                rank=rank),
            {**base, **rank_evidence, "reason": "best_checkpoints_differ",
             "metric_at_loss_best": value_there, "metric_best": by_metric.value,
             "shortfall": shortfall, "noise": noise, "threshold": threshold,
             "best_step_by_loss": by_loss.step, "best_step_by_metric": by_metric.step,
             "steps": [by_loss.step, by_metric.step], "noise_claims": claims},
            panel="overall",
        ))
        return best, findings
    if n < MIN_EVALS_FOR_CORRELATION:
        findings.append(Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("metric.too_few", name=name, n_text=plural(n, "evaluation"),
                needed=MIN_EVALS_FOR_CORRELATION),
            {**base, "about": "metric_vs_loss", "needed": MIN_EVALS_FOR_CORRELATION},
            panel="overall",
        ))
        return best, findings
    if rho is None or oriented is None:
        findings.append(Finding(
            FindingKind.INCONCLUSIVE, Severity.INFO,
            say("metric.constant", name=name, n_text=plural(n, "evaluation")),
            {**base, "about": "metric_vs_loss"}, panel="overall",
        ))
        return best, findings
    evidence = {**base, **rank_evidence, "reason": "rank_correlation",
                "steps": [int(s) for s in pairs["step"]]}
    words = dict(name=name, rho=rho_text(rho), n_text=plural(n, "evaluation"), expected=expected)
    if oriented >= AGREEMENT_MIN_RHO:
        key = "metric.agrees_rank"
        if agree:
            key = "metric.agrees"
            words["where"] = format_position(by_loss.step, by_loss.epoch)
        findings.append(Finding(FindingKind.METRIC_AGREES_WITH_LOSS, Severity.INFO,
                                say(key, **words), evidence, panel="overall"))
    else:
        findings.append(Finding(FindingKind.METRIC_DISAGREES_WITH_LOSS, Severity.WARNING,
                                say("metric.disagrees_rank", **words), evidence, panel="overall"))
    return best, findings


__all__ = [
    "AGREEMENT_MIN_RHO",
    "DISAGREEMENT_MIN_RELATIVE",
    "DISAGREEMENT_NOISE_MULTIPLIER",
    "MIN_EVALS_FOR_CORRELATION",
    "BestCheckpoint",
    "CheckpointChoice",
    "PairTest",
    "checkpoint_step",
    "compare_best_checkpoints",
    "detect_test_results",
    "earlier_best",
    "paired_evaluations",
    "selection_curve",
    "selection_metric",
    "spearman_rho",
]
