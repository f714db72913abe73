"""Metric names: normalisation of what logs write, and which way is better.

Ingest modules call :func:`normalise_key` on every name a log writes; analysis
calls :func:`higher_is_better` to know whether the best value is the max or min.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: Prefixes and suffixes that mark a validation/evaluation value.
_EVAL_PREFIXES = (
    "eval_", "eval/", "val_", "val/", "valid_", "valid/", "validation_", "validation/",
    "dev_", "dev/", "test_", "test/",
)
_TRAIN_PREFIXES = ("train_", "train/", "training_", "training/")
#: Lightning appends these when a metric is logged per step and per epoch.
_LIGHTNING_SUFFIXES = ("_epoch", "_step")

#: Known aliases after prefixes are stripped (lowercased).
_ALIASES = {
    "lr": "learning_rate",
    "learningrate": "learning_rate",
    "chrf": "chrf",
    "chrf++": "chrf++",
    "chrfpp": "chrf++",
    "bleu": "bleu",
    "gradnorm": "grad_norm",
    "grad_norm": "grad_norm",
    "xent": "loss",
    # detectron2 and mmdetection log the summed training loss under this name.
    "total_loss": "loss",
    "acc": "accuracy",
    "ppl": "perplexity",
}

#: Suffixes ingest gives metrics derived from another (Lightning's ``loss_epoch``,
#: the per-epoch mean; nanoGPT's ``loss_estimate``): same direction as the metric.
_DERIVED_SUFFIXES = ("_epoch", "_estimate")

#: Names that place a value in time (a position, not a metric): normalising
#: them would strip Lightning's ``_step`` suffix from ``global_step``.
POSITION_KEYS = frozenset({"step", "global_step", "epoch", "_step", "iteration", "iter"})

#: Metrics where a larger value is better. Anything not listed is treated as
#: lower-is-better only if it is in :data:`LOWER_IS_BETTER`; otherwise unknown.
HIGHER_IS_BETTER = frozenset(
    {"chrf", "chrf++", "bleu", "rouge1", "rouge2", "rougel", "rougelsum", "accuracy", "acc", "f1",
     "precision", "recall", "exact_match", "em", "meteor", "bertscore", "pass@1", "mrr", "auc",
     "map"}
)
#: Metrics where a smaller value is better.
LOWER_IS_BETTER = frozenset(
    {"loss", "wer", "cer", "ter", "perplexity", "ppl", "mse", "mae", "rmse", "error"}
)


def normalise_key(key: str, default_split: str = "train") -> tuple[str, str]:
    """Split a logged name into ``(split, metric)``.

    ``eval_loss``, ``val_loss``, ``valid/loss``, ``validation_loss`` and
    ``val/loss_epoch`` all give ``("eval", "loss")``; ``loss`` gives
    ``(default_split, "loss")``; ``eval_chrf`` and ``chrF`` give ``chrf``.
    """
    name = key.strip()
    lowered = name.lower()
    split = default_split
    for prefix in _EVAL_PREFIXES:
        if lowered.startswith(prefix):
            split, lowered = "eval", lowered[len(prefix):]
            break
    else:
        for prefix in _TRAIN_PREFIXES:
            if lowered.startswith(prefix):
                split, lowered = "train", lowered[len(prefix):]
                break
    for suffix in _LIGHTNING_SUFFIXES:
        if lowered.endswith(suffix) and len(lowered) > len(suffix) and lowered not in POSITION_KEYS:
            lowered = lowered[: -len(suffix)]
            break
    lowered = lowered.replace(" ", "_")
    metric = _ALIASES.get(lowered, _ALIASES.get(re.sub(r"[_\-]", "", lowered), lowered))
    return split, metric


def normalise_keys(
    keys: Iterable[str],
    default_split: str = "train",
    overrides: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Normalise every name one log writes, so that no two names share a curve.

    Each key gets :func:`normalise_key`'s ``(split, metric)``, with two repairs
    that need to see all the names of the log at once:

    - Lightning's pairs: when ``X_step`` and ``X_epoch`` are both logged (a
      metric logged with ``on_step=True, on_epoch=True``), ``X_step`` is the
      curve and ``X_epoch`` (the per-epoch mean) becomes metric ``<m>_epoch``;
    - any other names that land on the same curve (``val_loss`` and
      ``valid/loss`` in one log): the first keeps it, the others keep their own
      lowercased name as the metric, and a warning says so.

    Parameters
    ----------
    keys:
        The names as the log wrote them, in the log's order (the first of two
        colliding names keeps the curve).
    default_split:
        The split of a name without a train/eval prefix.
    overrides:
        ``{key: (split, metric)}`` for names the rules cannot guess (run.yaml's
        ``metric_names``); they win over every rule.

    Returns
    -------
    ``({key: (split, metric)}, warnings)``.
    """
    overrides = dict(overrides or {})
    ordered = list(dict.fromkeys(keys))
    present = set(ordered)
    names: dict[str, tuple[str, str]] = {}
    for key in ordered:
        if key in overrides:
            names[key] = overrides[key]
            continue
        split, metric = normalise_key(key, default_split)
        if key.endswith("_epoch") and key[: -len("_epoch")] + "_step" in present:
            metric += "_epoch"
        names[key] = (split, metric)
    warnings: list[str] = []
    # Overridden names claim their curves first: the user's word wins.
    owner = {names[key]: key for key in ordered if key in overrides}
    for key in ordered:
        curve = names[key]
        if key in overrides or owner.setdefault(curve, key) == key:
            continue
        own = key.strip().lower().replace(" ", "_")
        names[key] = (curve[0], own)
        warnings.append(
            f"'{owner[curve]}' and '{key}' both name the {curve[0]} {curve[1]}: '{key}' is kept "
            f"as metric '{own}' (map it in run.yaml's metric_names to choose)"
        )
    return names, warnings


def higher_is_better(metric: str, overrides: Mapping[str, bool] | None = None) -> bool | None:
    """True if larger is better, False if smaller is better, None if unknown.

    Unknown metrics get ``None`` so callers can say so instead of guessing.

    Parameters
    ----------
    metric:
        A normalised metric name (``"chrf"``, ``"loss"``).
    overrides:
        ``{metric: bool}`` set by the user (run.yaml's ``higher_is_better``,
        which ingest puts in ``run.meta["higher_is_better"]``); wins over the
        built-in lists.
    """
    if overrides and metric in overrides:
        return bool(overrides[metric])
    m = metric.lower()
    # A per-epoch mean or an estimate of a metric goes the metric's way.
    for suffix in _DERIVED_SUFFIXES:
        if m.endswith(suffix) and len(m) > len(suffix):
            m = m[: -len(suffix)]
            break
    if m in HIGHER_IS_BETTER or m.startswith("rouge") or m.startswith("bleu"):
        return True
    if m in LOWER_IS_BETTER or m.endswith("loss"):
        return False
    return None
