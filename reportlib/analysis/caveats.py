"""Rule family: caveats. Too few points, few evaluations, a small dataset, few epochs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reportlib.analysis.curves import MIN_POINTS_FOR_TREND, CurveSummary
from reportlib.analysis.findings import Finding, FindingKind, Severity
from reportlib.analysis.templates import cap, format_epoch, plural, say
from reportlib.ingest.run_facts import positive_number

FEW_EVALUATIONS = 5
"""A run evaluated fewer times than this gives trends and a best checkpoint that
rest on a handful of points (below :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`
the ``too_few_points`` finding already says so)."""

SMALL_DATASET_EXAMPLES = 1000
"""A training set under 1,000 examples is small for fine-tuning a language model:
curves are noisy and the model mostly adapts its format, not its skills."""

FEW_EPOCHS = 3
"""Fewer than three epochs gives a curve that shows little beyond the first
pass over the data (no plateau or overfitting can show yet)."""


def detect_too_few_points(
    summary: CurveSummary,
    *,
    label: str,
    total_steps: int | None = None,
    logging_steps: int | None = None,
    eval_steps: int | None = None,
) -> list[Finding]:
    """A curve with fewer finite points than
    :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`.

    Parameters
    ----------
    summary:
        The curve's summary.
    label:
        How the curve is named in a sentence.
    total_steps, logging_steps, eval_steps:
        From the log's metadata when known, to explain why (HF's default
        ``logging_steps=500`` leaves a 600-step run with one training-loss point).

    Returns
    -------
    ``[too_few_points finding]`` (warning, caveat) or ``[]``.
    """
    if summary.n_finite >= MIN_POINTS_FOR_TREND or summary.points == 0:
        return []
    n = summary.n_finite
    train = summary.split == "train"
    unit = "finite logged point" if train else "finite evaluation"
    setting = logging_steps if train else eval_steps
    setting_name = "logging_steps" if train else "eval_steps"
    if setting and not any(step is not None and step % int(setting) == 0
                           for step in (summary.first_step, summary.last_step)):
        # The curve's steps are not on that setting's multiples: the Trainer did not log
        # or evaluate by it (eval_strategy "epoch" keeps the default eval_steps=500).
        setting = None
    text = say("too_few_points", label=cap(label), n_text=plural(n, unit),
               over=f" over {plural(int(total_steps), 'step')}" if total_steps else "",
               setting=f" ({setting_name}={int(setting)})" if setting else "",
               needed=MIN_POINTS_FOR_TREND,
               remedy=say("too_few_points.train" if train else "too_few_points.eval"))
    return [Finding(
        FindingKind.TOO_FEW_POINTS, Severity.WARNING, text,
        {"split": summary.split, "metric": summary.metric, "rule": "too_few_points",
         "points": summary.points, "n_finite": n, "needed": MIN_POINTS_FOR_TREND,
         "total_steps": total_steps, setting_name: setting},
        panel="caveat",
    )]


def detect_few_evaluations(n_evaluations: int) -> list[Finding]:
    """A run evaluated at least :data:`~reportlib.analysis.curves.MIN_POINTS_FOR_TREND`
    but fewer than :data:`FEW_EVALUATIONS` times.

    Returns
    -------
    ``[few_evaluations finding]`` (warning, caveat) or ``[]``.
    """
    if not MIN_POINTS_FOR_TREND <= n_evaluations < FEW_EVALUATIONS:
        return []
    return [Finding(
        FindingKind.FEW_EVALUATIONS, Severity.WARNING,
        say("few_evaluations", n_text=plural(n_evaluations, "time"), threshold=FEW_EVALUATIONS),
        {"rule": "few_evaluations", "n_evaluations": n_evaluations,
         "threshold": FEW_EVALUATIONS},
        panel="caveat",
    )]


def dataset_sizes(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Training and evaluation set sizes from run metadata, and where they came from.

    Looks at ``dataset.train_size``, ``dataset.size`` (run.yaml), then at
    top-level ``train_size``, ``dataset_size``, ``num_train_examples``, and at
    ``dataset.eval_size`` / ``eval_size`` for the evaluation set.

    Returns
    -------
    dict with ``train_size``, ``eval_size`` (int or None), ``source`` (the key used) and ``name``.
    """
    dataset = meta.get("dataset")
    dataset = dataset if isinstance(dataset, Mapping) else {}
    found: dict[str, Any] = {"train_size": None, "eval_size": None, "source": None,
                             "name": dataset.get("name") if dataset else meta.get("dataset")}
    if found["name"] is not None and not isinstance(found["name"], str):
        found["name"] = str(found["name"])
    for where, mapping, key in (("dataset.train_size", dataset, "train_size"),
                                ("dataset.size", dataset, "size"),
                                ("train_size", meta, "train_size"),
                                ("dataset_size", meta, "dataset_size"),
                                ("num_train_examples", meta, "num_train_examples")):
        size = positive_number(mapping.get(key))
        if size is not None:
            found["train_size"], found["source"] = int(size), where
            break
    for mapping, key in ((dataset, "eval_size"), (meta, "eval_size")):
        size = positive_number(mapping.get(key))
        if size is not None:
            found["eval_size"] = int(size)
            break
    return found


def detect_small_dataset(meta: Mapping[str, Any], *, epochs: float | None = None) -> list[Finding]:
    """A training set smaller than :data:`SMALL_DATASET_EXAMPLES`, from run metadata.

    Returns
    -------
    ``[small_dataset finding]`` (info, caveat); an ``inconclusive`` one when the
    size is not known (saying ingest's labelled estimate, ``meta["train_size_estimate"]``,
    when there is one: an estimate is never reported as the size); ``[]`` for a
    large enough set.
    """
    sizes = dataset_sizes(meta)
    size = sizes["train_size"]
    if size is None:
        estimate = _size_estimate(meta)
        if estimate is not None:
            return [estimate]
        return [Finding(FindingKind.INCONCLUSIVE, Severity.INFO, say("dataset_size_unknown"),
                        {"about": "dataset_size", "rule": "small_dataset"}, panel="caveat")]
    if size >= SMALL_DATASET_EXAMPLES:
        return []
    text = say("small_dataset", size_text=plural(size, "example"), source=sizes["source"],
               epochs=say("small_dataset.epochs", epochs=format_epoch(epochs)) if epochs else "",
               eval_size=(say("small_dataset.eval", eval_text=plural(sizes["eval_size"], "example"))
                          if sizes["eval_size"] else ""))
    return [Finding(
        FindingKind.SMALL_DATASET, Severity.INFO, text,
        {"rule": "small_dataset", "train_size": size, "eval_size": sizes["eval_size"],
         "source": sizes["source"], "epochs": epochs, "threshold": SMALL_DATASET_EXAMPLES},
        panel="caveat",
    )]


def _size_estimate(meta: Mapping[str, Any]) -> Finding | None:
    """The ``inconclusive`` dataset-size finding that states ingest's estimate, or None."""
    estimate = meta.get("train_size_estimate")
    if not isinstance(estimate, Mapping):
        return None
    value = positive_number(estimate.get("value"))
    if value is None:
        return None
    bound = "at most" if estimate.get("bound") == "at most" else "about"
    sources = meta.get("sources")
    where = sources.get("train_size_estimate") if isinstance(sources, Mapping) else None
    how = str(estimate.get("how") or "worked out from other facts of the log")
    if bound != "about":
        # batch size x steps per epoch: gradient accumulation and devices multiply
        # it and are not in the log, so it bounds nothing and judges nothing.
        verdict = say("dataset_size_estimate.unjudged")
    elif value < SMALL_DATASET_EXAMPLES:
        verdict = say("dataset_size_estimate.small", threshold=f"{SMALL_DATASET_EXAMPLES:,}")
    else:
        verdict = say("dataset_size_estimate.large", threshold=f"{SMALL_DATASET_EXAMPLES:,}")
    text = say("dataset_size_estimate", bound=bound, size_text=plural(int(value), "example"),
               how=how, source=f", from {where}" if where else "", verdict=verdict)
    return Finding(FindingKind.INCONCLUSIVE, Severity.INFO, text,
                   {"about": "dataset_size", "rule": "small_dataset",
                    "estimate": int(value), "bound": bound, "how": how, "source": where,
                    "threshold": SMALL_DATASET_EXAMPLES}, panel="caveat")


def detect_few_epochs(
    epochs: float | None, *, source: str | None = None, shown: bool = False,
    planned: float | None = None,
) -> list[Finding]:
    """A run that trained fewer than :data:`FEW_EPOCHS` epochs.

    ``epochs`` is what ran; ``planned`` (when known and different) is said beside
    it ("1.23 of 2 planned epochs"). ``shown``: a plateau or overfitting was found
    anyway, so the sentence does not say that they cannot show.

    Returns
    -------
    ``[few_epochs finding]`` (info, caveat) or ``[]`` (also when unknown).
    """
    if epochs is None or not math.isfinite(epochs) or epochs <= 0:
        return []
    if round(epochs, 2) >= FEW_EPOCHS:
        return []
    return [Finding(
        FindingKind.FEW_EPOCHS, Severity.INFO,
        say("few_epochs.shown" if shown else "few_epochs", length=epochs_text(epochs, planned),
            origin=f" (from {source})" if source else ""),
        {"rule": "few_epochs", "epochs": epochs, "epochs_planned": planned,
         "threshold": FEW_EPOCHS, "source": source},
        panel="caveat",
    )]


def epochs_text(epochs: float, planned: Any = None) -> str:
    """``"2 epochs"``, or ``"1.23 of 2 planned epochs"`` when a different plan is known."""
    plan = positive_number(planned)
    if plan is not None and format_epoch(plan) != format_epoch(epochs):
        return say("epochs_length.planned", epochs=format_epoch(epochs), planned=format_epoch(plan),
                   s="s" if round(plan, 2) != 1 else "")
    return say("epochs_length", epochs=format_epoch(epochs), s="s" if round(epochs, 2) != 1 else "")


__all__ = [
    "FEW_EPOCHS",
    "FEW_EVALUATIONS",
    "SMALL_DATASET_EXAMPLES",
    "dataset_sizes",
    "detect_few_epochs",
    "detect_few_evaluations",
    "detect_small_dataset",
    "detect_too_few_points",
    "epochs_text",
]
