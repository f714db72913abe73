"""Metric names: normalisation of what logs write, and which way is better.

Ingest modules call :func:`normalise_key` on every name a log writes; analysis
calls :func:`higher_is_better` to know whether the best value is the max or min.
"""

from __future__ import annotations

import re

#: Prefixes and suffixes that mark a validation/evaluation value.
_EVAL_PREFIXES = ("eval_", "eval/", "val_", "val/", "valid_", "valid/", "validation_", "validation/", "dev_", "dev/", "test_", "test/")
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
}

#: Metrics where a larger value is better. Anything not listed is treated as
#: lower-is-better only if it is in :data:`LOWER_IS_BETTER`; otherwise unknown.
HIGHER_IS_BETTER = frozenset(
    {"chrf", "chrf++", "bleu", "rouge1", "rouge2", "rougel", "rougelsum", "accuracy", "acc", "f1",
     "precision", "recall", "exact_match", "em", "meteor", "bertscore", "pass@1", "mrr", "auc", "map"}
)
#: Metrics where a smaller value is better.
LOWER_IS_BETTER = frozenset({"loss", "wer", "cer", "ter", "perplexity", "ppl", "mse", "mae", "rmse", "error"})


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
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            lowered = lowered[: -len(suffix)]
            break
    lowered = lowered.replace(" ", "_")
    metric = _ALIASES.get(lowered, _ALIASES.get(re.sub(r"[_\-]", "", lowered), lowered))
    return split, metric


def higher_is_better(metric: str) -> bool | None:
    """True if larger is better, False if smaller is better, None if unknown.

    Unknown metrics get ``None`` so callers can say so instead of guessing.
    """
    m = metric.lower()
    if m in HIGHER_IS_BETTER or m.startswith("rouge") or m.startswith("bleu"):
        return True
    if m in LOWER_IS_BETTER or m.endswith("loss"):
        return False
    return None
