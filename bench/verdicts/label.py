"""Label the verdict benchmark's runs from their logged values: writes labels.json.

Usage: python bench/verdicts/label.py  (run from the repository root)

A label says, for one run and one finding kind, whether a careful reviewer of
the raw log would expect the report to say it (``true``), expect it not to
(``false``), or could not tell from simple criteria (``null``: not scored).

- Generated runs (``syn-*``): the labels the generator wrote in ``shape.json``,
  from the shape it drew. The criteria below are computed too, and any
  disagreement with a decided generator label is printed (a check on both).
- Real runs (``real-*``, ``corpus-*`` and the repository's ``runs/``): the
  criteria below, over the raw logged values.

The values are read with ``reportlib.load_run`` (the parser, tested on its
own); nothing of reportlib's analysis is used: every criterion is written
here, with its own constants, and each decides only clear cases (the zone
between "clearly yes" and "clearly no" is ``null``). chrF of prediction files
is computed with sacrebleu directly.

Criteria (v: a curve's finite values in step order; n: their number):

non_finite
    any logged value of any curve is NaN or infinite.
too_few_points
    true: the training or validation loss has 1 or 2 finite points;
    false: each of them, and every other evaluation curve, has 0 or >= 5.
divergence (training and validation loss, n >= 8)
    m: the rolling median of 5 points (3 for curves of < 20 points);
    true: m stays above 2x its running minimum for 3 or more consecutive
    points (and 5% of the curve), by more than 10 log resolutions and by more
    than a quarter of what the curve had gained until then (a loss near 0 that
    doubles from 0.001 to 0.002 undid nothing);
    false: m never exceeds 1.3x its running minimum, or never undoes more
    than 5% of the gain.
overfitting (validation loss, n >= 5)
    true: its minimum is followed by 2 or more evaluations, the mean of the
    last two is 5% or more above the minimum and above it by 3 noise
    standard deviations (noise: median absolute successive difference /
    0.954), while the training loss at the end is below its value at the
    minimum's step; false: the minimum is among the last two evaluations,
    or the end is within 1% of it, or the training loss rose by 10% or more
    since (that is divergence, not overfitting).
plateau / still_improving (per panel curve: training loss, validation loss)
    tail: the last quarter, at least 6 points (so n >= 24, else null;
    n <= 2: both false). a, b: its first and second halves; d = mean(b) -
    mean(a); se: the standard error of d; level: the tail's mean. A real
    change: |d| > 3 se, and either > 3% of level or consistent (80% of the
    tail's successive steps the same way: a slow but sure fall is a change).
    plateau true: |d| + 2 se < 1% of level (the interval lies inside a 1%
    band) and |d| < 2 se (no detectable change); false: a real change.
    still_improving true: a real fall; false: a plateau, or a real rise. A
    curve ending on NaN:
    both false. After a divergence or with overfitting the validation curve's
    still_improving is false for overfitting, null for divergence.
spike (training and validation loss, n >= 8)
    a point (not the first nor the last) at least 2x the median of its
    neighbours on either side (up to 5 each, the higher of the two medians) and
    above it by 10 median absolute deviations and 10 log resolutions, with the
    curve back below half that excess two points later. true: any such point;
    false: no point is even 30% above its neighbourhood median (and the eval
    metric, if any, never 20% below its neighbours'). Null on a diverging
    run: its jumps are the divergence, which a list of spikes would misname.
metric_disagrees_with_loss (validation loss and an evaluation metric -- not
    perplexity -- at 5 or more common evaluations)
    shortfall: how much worse the metric is at the lowest-loss evaluation than
    at its own best. true: shortfall > 3 noise sd and > 10% of the metric's
    range; false: the same evaluation is best for both (or ties). A small
    shortfall is null, not false: whether it is noise takes a paired test on
    the predictions (issue 11, pattern 7), not the spread between checkpoints.
no_improvement (per panel curve: training loss, validation loss; n >= 8, and
    the log starts at the start of training: its first point within 1.5
    median step gaps of step 0 and, when the epoch is logged, at epoch 1 or
    earlier; else null)
    a: the first 3 points; b: the last quarter (at least 2 points), se its
    mean's standard error. true: mean(b) >= max(a) (the end is on average no
    lower than even the highest of the first points); false: mean(b) is
    below min(a) by more than 3 se and more than 10% of mean(a) (a clear
    fall). A curve ending on NaN, or a diverging run: null.
early_stopping (validation loss, n >= 8): a patience rule (Keras/Lightning
    EarlyStopping, min_delta 0) replayed over the evaluations, with patience 3
    (Lightning's default) and 5. true: it stops before the last evaluation and
    the checkpoint it keeps is the run's best (within 1%); false: it does not
    stop before the last evaluation; null: it stops on a worse checkpoint, or
    the two patiences disagree.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
RUNS = HERE / "runs"
REPO = HERE.parent.parent
EXTRA_RUNS = (REPO / "runs" / "tiny-codegen", REPO / "runs" / "tiny-codegen-overfit")
KINDS = ("overfitting", "divergence", "plateau", "still_improving", "non_finite", "spike",
         "metric_disagrees_with_loss", "too_few_points", "early_stopping", "no_improvement")
PANEL_KINDS = ("plateau", "still_improving", "no_improvement")
PANELS = ("train_loss", "val_loss")
#: Evaluation metrics that are the loss in another form, never evidence about quality.
LOSS_DERIVED = ("perplexity", "ppl", "bits_per", "bpc", "bpb", "xent", "nll")
LOWER_IS_BETTER = ("wer", "cer", "ter", "error", "mae", "mse", "rmse")

MIN_TAIL = 6
TAIL_FRACTION = 0.25
PLATEAU_BAND = 0.01
MOVE_BAND = 0.03
CONSISTENT = 0.8
DIVERGE_FACTOR = 2.0
CALM_FACTOR = 1.3
UNDONE = 0.25
OVERFIT_RISE = 0.05
PATIENCES = (3, 5)
START_GAPS = 1.5
CLEAR_FALL = 0.10


def finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def resolution(values: np.ndarray) -> float:
    """The smallest gap between distinct values: the log's rounding step (or float noise)."""
    distinct = np.unique(values)
    gaps = np.diff(distinct)
    return float(gaps.min()) if gaps.size else 0.0


def noise_sd(values: np.ndarray) -> float:
    """Robust noise: the median absolute successive difference / 0.954 (Gaussian)."""
    if values.size < 3:
        return 0.0
    return float(np.median(np.abs(np.diff(values))) / 0.954)


def tail_labels(values: np.ndarray, ends_non_finite: bool) -> dict[str, bool | None]:
    """plateau / still_improving for a loss curve (lower is better)."""
    v = finite(values)
    if ends_non_finite or 0 < v.size <= 2:
        return {"plateau": False, "still_improving": False}
    if v.size < MIN_TAIL / TAIL_FRACTION:
        return {"plateau": None, "still_improving": None}
    k = math.ceil(TAIL_FRACTION * v.size)
    tail = v[-k:]
    a, b = tail[: k // 2], tail[k // 2:]
    d = float(b.mean() - a.mean())
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    level = abs(float(tail.mean())) or 1e-12
    steps = np.diff(tail)
    consistent = max((steps < 0).mean(), (steps > 0).mean()) >= CONSISTENT
    real = abs(d) > 3 * se and (abs(d) > MOVE_BAND * level or consistent)
    plateau = abs(d) + 2 * se < PLATEAU_BAND * level and abs(d) < 2 * se
    falling = real and d < 0
    rising = real and d > 0
    return {"plateau": True if plateau else False if real else None,
            "still_improving": True if falling else False if (plateau or rising) else None}


def no_improvement_label(curve: Any) -> bool | None:
    """no_improvement for a loss curve (lower is better), from its first and last quarters."""
    values = curve["value"].to_numpy(dtype=float)
    if values.size and not np.isfinite(values[-1]):
        return None
    rows = curve[np.isfinite(values)]
    v, steps = rows["value"].to_numpy(dtype=float), rows["step"].to_numpy(dtype=float)
    if v.size < 8:
        return None
    gaps = np.diff(steps)
    gaps = gaps[gaps > 0]
    first_epoch = float(rows["epoch"].iloc[0])
    if not gaps.size or steps[0] > START_GAPS * float(np.median(gaps)) \
            or (math.isfinite(first_epoch) and first_epoch > 1):
        return None
    a, b = v[:3], v[-max(2, v.size // 4):]
    end = float(b.mean())
    se = float(b.std(ddof=1)) / math.sqrt(b.size)
    if end >= float(a.max()):
        return True
    fall = float(a.min()) - end
    if fall > 3 * se and fall > CLEAR_FALL * abs(float(a.mean())):
        return False
    return None


def rolling_median(v: np.ndarray, window: int) -> np.ndarray:
    half = window // 2
    return np.array([np.median(v[max(0, i - half): i + half + 1]) for i in range(v.size)])


def divergence_label(values: np.ndarray) -> bool | None:
    v = finite(values)
    if v.size < 8:
        return None
    m = rolling_median(v, 5 if v.size >= 20 else 3)
    running = np.minimum.accumulate(m)
    excess = m - running
    progress = m[0] - running  # what training had gained before: a rise undoes it
    floor = 10 * resolution(v)
    high = ((m > DIVERGE_FACTOR * running) & (excess > floor)
            & (excess > UNDONE * progress))
    longest, current = 0, 0
    for flag in high:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    if longest >= max(3, math.ceil(0.05 * v.size)):
        return True
    calm = (excess <= (CALM_FACTOR - 1) * running + floor) | (excess <= 0.05 * progress + floor)
    if calm.all():
        return False
    return None


def spike_label(values: np.ndarray) -> bool | None:
    v = finite(values)
    if v.size < 8:
        return None
    floor = 10 * resolution(v)
    biggest = 0.0
    for i in range(1, v.size - 1):  # a spike has neighbours on both sides
        left, right = v[max(0, i - 5): i], v[i + 1: i + 6]
        neigh = np.concatenate([left, right])
        # the higher side's median: a point of a falling curve is not above its past
        med = max(float(np.median(left)), float(np.median(right)))
        mad = float(np.median(np.abs(neigh - np.median(neigh))))
        excess = v[i] - med
        if med > 0:
            biggest = max(biggest, excess / med)
        returns = i + 2 >= v.size or v[i + 2] < med + 0.5 * excess
        if med > 0 and excess >= med and excess > 10 * max(mad, 1e-12) and excess > floor \
                and returns:
            return True
    return False if biggest < 0.3 else None


def metric_dips(values: np.ndarray, higher_is_better: bool) -> bool:
    """Whether a metric ever moves 20% the wrong way from its neighbours' median."""
    v = finite(values)
    for i in range(v.size):
        neigh = np.concatenate([v[max(0, i - 5): i], v[i + 1: i + 6]])
        if neigh.size < 2:
            continue
        med = float(np.median(neigh))
        bad = (med - v[i]) if higher_is_better else (v[i] - med)
        if med != 0 and bad / abs(med) > 0.2:
            return True
    return False


def overfitting_label(val: Any, train: Any) -> bool | None:
    v = val[np.isfinite(val["value"])]
    if len(v) < 5:
        return None
    values = v["value"].to_numpy()
    i = int(np.argmin(values))
    low = values[i]
    after = len(values) - 1 - i
    end = float(values[-2:].mean())
    rise = (end - low) / abs(low) if low else math.inf
    t = train[np.isfinite(train["value"])]
    at_min = t[t["step"] <= int(v["step"].iloc[i])]["value"].to_numpy()
    train_then = float(at_min[-3:].mean()) if at_min.size else math.nan
    train_end = float(t["value"].to_numpy()[-3:].mean()) if len(t) else math.nan
    if after <= 1 or rise < 0.01 or (math.isfinite(train_then) and train_end > 1.1 * train_then):
        return False
    if (after >= 2 and rise >= OVERFIT_RISE and end - low > 3 * noise_sd(values)
            and math.isfinite(train_then) and train_end < train_then):
        return True
    return None


def _patience_stop(v: np.ndarray, patience: int) -> bool | None:
    """Replay EarlyStopping(patience, min_delta=0): True if it stops before the end keeping
    the run's best (within 1%), False if it never stops early, None if it stops on a worse one."""
    best_i, wait = 0, 0
    for i in range(1, v.size):
        if v[i] < v[best_i]:
            best_i, wait = i, 0
            continue
        wait += 1
        if wait >= patience:
            if i == v.size - 1:
                return False  # stops at the last evaluation: saves nothing
            return True if v[best_i] <= v.min() + 0.01 * abs(v.min()) else None
    return False


def early_stopping_label(val: np.ndarray) -> bool | None:
    v = finite(val)
    if v.size < 8:
        return None
    votes = {_patience_stop(v, p) for p in PATIENCES}
    return votes.pop() if len(votes) == 1 else None


def metric_label(loss: Any, metric: Any, higher_is_better: bool) -> bool | None:
    both = loss.merge(metric, on="step", suffixes=("_loss", "_metric"))
    both = both[np.isfinite(both["value_loss"]) & np.isfinite(both["value_metric"])]
    if len(both) < 5:
        return None
    m = both["value_metric"].to_numpy()
    m = m if higher_is_better else -m
    i_loss = int(np.argmin(both["value_loss"].to_numpy()))
    i_metric = int(np.argmax(m))
    shortfall = float(m[i_metric] - m[i_loss])
    noise = noise_sd(m)
    span = float(m.max() - m.min())
    if i_loss == i_metric or shortfall <= 0:
        return False
    if shortfall > 3 * noise and shortfall > 0.1 * span:
        return True
    return None


def computed_chrf(folder: Path) -> Any | None:
    """chrF of each prediction file, with sacrebleu itself, as a (step, value) frame."""
    import pandas as pd
    import sacrebleu

    refs_path, pred_dir = folder / "references.jsonl", folder / "predictions"
    if not refs_path.is_file() or not pred_dir.is_dir():
        return None
    refs = {r["id"]: r["reference"] for r in map(json.loads, refs_path.read_text().splitlines())}
    rows = []
    for path in sorted(pred_dir.glob("*.jsonl")):
        preds = [json.loads(line) for line in path.read_text().splitlines()]
        hyps = [p["prediction"] for p in preds]
        score = sacrebleu.corpus_chrf(hyps, [[refs[p["id"]] for p in preds]]).score
        kind, number = path.stem.split("-")
        rows.append({"key": kind, "number": int(number), "value": score})
    return pd.DataFrame(rows)


def criteria(folder: Path) -> dict[str, Any]:
    """The labels the criteria give for one run folder (see the module docstring)."""
    import reportlib
    from reportlib.errors import ReportlibError

    try:
        run = reportlib.load_run(folder)
    except ReportlibError as exc:
        return {"error": str(exc).splitlines()[0]}
    s = run.scalars
    labels: dict[str, Any] = {"plateau": {}, "still_improving": {}, "no_improvement": {}}
    labels["non_finite"] = bool((~np.isfinite(s["value"].to_numpy())).any())
    train, val = run.series("train", "loss"), run.series("eval", "loss")
    n_train, n_val = int(np.isfinite(train["value"]).sum()), int(np.isfinite(val["value"]).sum())
    eval_curves = [m for sp, m in run.curves() if sp == "eval"]
    counts = [int(np.isfinite(run.series("eval", m)["value"]).sum()) for m in eval_curves]
    if 1 <= n_train <= 2 or 1 <= n_val <= 2:
        labels["too_few_points"] = True
    elif all(c == 0 or c >= 5 for c in [n_train, n_val, *counts]):
        labels["too_few_points"] = False
    else:
        labels["too_few_points"] = None
    divergence = [divergence_label(c["value"].to_numpy()) for c in (train, val) if len(c)]
    labels["divergence"] = (True if True in divergence else False
                            if divergence and all(d is False for d in divergence) else None)
    labels["overfitting"] = overfitting_label(val, train) if len(val) else False
    for panel, curve in (("train_loss", train), ("val_loss", val)):
        if not len(curve):
            labels["plateau"][panel] = labels["still_improving"][panel] = False
            labels["no_improvement"][panel] = False
            continue
        labels["no_improvement"][panel] = no_improvement_label(curve)
        values = curve["value"].to_numpy()
        tail = tail_labels(values, ends_non_finite=not np.isfinite(values[-1]))
        labels["plateau"][panel] = tail["plateau"]
        labels["still_improving"][panel] = tail["still_improving"]
    if labels["overfitting"] is True:
        labels["still_improving"]["val_loss"] = False
    if labels["divergence"] is True:
        labels["still_improving"] = {p: None for p in PANELS}
        labels["no_improvement"] = {p: None for p in PANELS}
    spikes = [spike_label(c["value"].to_numpy()) for c in (train, val) if len(c)]
    metrics = [m for m in eval_curves if m != "loss" and not any(d in m for d in LOSS_DERIVED)
               and m not in ("runtime", "samples_per_second", "steps_per_second")]
    dips = any(metric_dips(run.series("eval", m)["value"].to_numpy(),
                           not any(x in m for x in LOWER_IS_BETTER)) for m in metrics)
    if labels["divergence"] is True:
        labels["spike"] = None  # jumps inside a divergence are the divergence (pattern 1)
    elif True in spikes:
        labels["spike"] = True
    elif spikes and all(x is False for x in spikes) and not dips:
        labels["spike"] = False
    else:
        labels["spike"] = None if spikes or dips else False
    verdicts = [metric_label(val, run.series("eval", m), not any(x in m for x in LOWER_IS_BETTER))
                for m in metrics] if len(val) else []
    chrf = computed_chrf(folder)
    if chrf is not None and len(val):
        evals = val.drop_duplicates("step")
        if (chrf["key"] == "epoch").all():  # epoch k (from 1): the k-th evaluation
            steps = evals["step"].to_numpy()
            chrf = chrf[chrf["number"] <= len(steps)]
            chrf = chrf.assign(step=[int(steps[k - 1]) for k in chrf["number"]])
        else:
            chrf = chrf.assign(step=chrf["number"])
        verdicts.append(metric_label(val, chrf[["step", "value"]], True))
    if not verdicts:
        labels["metric_disagrees_with_loss"] = False
    elif all(x is True for x in verdicts):
        labels["metric_disagrees_with_loss"] = True
    elif all(x is False for x in verdicts):
        labels["metric_disagrees_with_loss"] = False
    else:
        labels["metric_disagrees_with_loss"] = None
    labels["early_stopping"] = early_stopping_label(val["value"].to_numpy()) if len(val) else False
    return labels


def label_of(labels: dict[str, Any], kind: str, panel: str | None) -> bool | None:
    """A run's label for a kind (and panel, for the per-panel kinds); None when not decided."""
    value = labels.get(kind)
    if panel is not None:
        return value.get(panel) if isinstance(value, dict) else None
    return value if isinstance(value, bool) else None


def run_folders() -> list[Path]:
    return sorted(p for p in RUNS.iterdir() if p.is_dir()) + [p for p in EXTRA_RUNS if p.is_dir()]


def name_of(folder: Path) -> str:
    return folder.name if folder.parent == RUNS else f"runs/{folder.name}"


def main() -> int:
    sys.path.insert(0, str(REPO))
    out: dict[str, Any] = {}
    disagreements = 0
    for folder in run_folders():
        found = criteria(folder)
        shape = folder / "shape.json"
        given = json.loads(shape.read_text()) if shape.is_file() else {}
        if given.get("how", "").startswith("GENERATED"):
            labels = given["labels"]
            for kind in KINDS:
                mine, theirs = found.get(kind), labels.get(kind)
                for panel in PANELS if kind in PANEL_KINDS else (None,):
                    a = mine.get(panel) if panel and isinstance(mine, dict) else mine
                    b = theirs.get(panel) if panel and isinstance(theirs, dict) else theirs
                    if a is not None and b is not None and a != b:
                        disagreements += 1
                        print(f"note: {folder.name}: {kind}{'@' + panel if panel else ''}: "
                              f"generator says {b}, criteria say {a}")
            source = "generator"
        else:
            labels, source = found, "criteria"
        out[name_of(folder)] = {"source": source, **labels}
    (HERE / "labels.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{len(out)} runs labelled ({disagreements} generator/criteria disagreements noted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
