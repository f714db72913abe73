"""The one metric registry: names, display names, direction, bounds, loss-derived.

:data:`METRICS` says, for every metric the project knows, how it is written,
which way is better, whether it has a natural ceiling and whether it is the
loss in disguise. Ingest calls :func:`normalise_key` on every name a log
writes; the analysis and the presentation read the registry through
:func:`higher_is_better`, :func:`display_name`, :func:`bounds_for`,
:func:`is_loss_derived` and :func:`is_quality_metric` instead of keeping lists
of their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The words that name a split, by split, as a log writes them before or after
#: the metric (``val_loss``, ``loss_val``, ``val/loss``, ``loss/valid``...). A
#: test split is its own split: a held-out score reported once, never the
#: validation curve the report judges overfitting on.
SPLIT_WORDS: dict[str, tuple[str, ...]] = {
    "eval": ("eval", "evaluation", "val", "valid", "validation", "dev"),
    "test": ("test",),
    "train": ("train", "training"),
}
#: The separators between a split word and the metric.
_SPLIT_SEPARATORS = ("_", "/")
_SPLIT_PREFIXES = tuple(
    (word + sep, split) for split, words in SPLIT_WORDS.items() for word in words
    for sep in _SPLIT_SEPARATORS
)
_SPLIT_SUFFIXES = tuple(
    (sep + word, split) for split, words in SPLIT_WORDS.items() for word in words
    for sep in _SPLIT_SEPARATORS
)
#: Lightning appends these when a metric is logged per step and per epoch.
_LIGHTNING_SUFFIXES = ("_epoch", "_step")

#: Suffixes ingest gives metrics derived from another (Lightning's ``loss_epoch``,
#: the per-epoch mean; nanoGPT's ``loss_estimate``): same direction as the metric.
_DERIVED_SUFFIXES = ("_epoch", "_estimate")

#: Names that place a value in time (a position, not a metric): normalising
#: them would strip Lightning's ``_step`` suffix from ``global_step``.
POSITION_KEYS = frozenset({"step", "global_step", "epoch", "_step", "iteration", "iter"})

@dataclass(frozen=True)
class MetricInfo:
    """What the project knows about one metric: the one registry every layer reads.

    Attributes
    ----------
    name:
        The normalised name (what :func:`normalise_key` returns).
    display:
        How people write it in a sentence (``"chrF"``, ``"ROUGE-L"``).
    higher_is_better:
        True / False, or None when the value has no better direction
        (learning rate, gradient norm).
    bounds:
        ``(low, high)`` for a metric with a natural floor and ceiling (accuracy in
        [0, 1] or [0, 100], chrF in [0, 100]); None when unbounded. Near the
        ceiling the analysis judges such a metric by its error (ceiling - value).
    loss_derived:
        Computed from the loss itself (perplexity = exp(loss), bits per token =
        loss / ln 2): moving with the loss is a tautology, not evidence, so it is
        never the run's quality metric.
    role:
        ``"quality"`` (a measure of the model's outputs), ``"loss"``,
        ``"optimizer"`` (learning rate, gradient norm), ``"diagnostic"`` (about
        the outputs but not their quality: generated length) or
        ``"bookkeeping"`` (speed, counts: never shown as a metric of the model).
    aliases:
        Other spellings, lowercased, after split prefixes are stripped.
    """

    name: str
    display: str
    higher_is_better: bool | None
    bounds: tuple[float, float] | None = None
    loss_derived: bool = False
    role: str = "quality"
    aliases: tuple[str, ...] = ()


_UNIT = (0.0, 1.0)
#: chrF, BLEU, TER... are written in points; a [0, 1] logger writes them as fractions,
#: which the bounds check in :func:`bounds_for` recognises from the values.
_POINTS = (0.0, 100.0)

METRICS: dict[str, MetricInfo] = {m.name: m for m in (
    MetricInfo("loss", "loss", False, role="loss", aliases=("xent", "total_loss")),
    MetricInfo("perplexity", "perplexity", False, loss_derived=True, aliases=("ppl",)),
    # fairseq's loss without label smoothing: the loss again, never the quality metric.
    MetricInfo("nll_loss", "NLL loss", False, loss_derived=True),
    MetricInfo("bits_per_token", "bits per token", False, loss_derived=True, aliases=("bpt",)),
    MetricInfo("bits_per_byte", "bits per byte", False, loss_derived=True, aliases=("bpb",)),
    MetricInfo("bits_per_character", "bits per character", False, loss_derived=True,
               aliases=("bpc",)),
    MetricInfo("chrf", "chrF", True, _POINTS),
    MetricInfo("chrf++", "chrF++", True, _POINTS, aliases=("chrfpp",)),
    MetricInfo("bleu", "BLEU", True, _POINTS),
    MetricInfo("ter", "TER", False),
    MetricInfo("wer", "WER", False),
    MetricInfo("cer", "CER", False),
    MetricInfo("rouge1", "ROUGE-1", True, _POINTS),
    MetricInfo("rouge2", "ROUGE-2", True, _POINTS),
    MetricInfo("rougel", "ROUGE-L", True, _POINTS),
    MetricInfo("rougelsum", "ROUGE-Lsum", True, _POINTS),
    MetricInfo("accuracy", "accuracy", True, _UNIT, aliases=("acc", "aacc")),
    MetricInfo("f1", "F1", True, _UNIT),
    MetricInfo("precision", "precision", True, _UNIT),
    MetricInfo("recall", "recall", True, _UNIT),
    MetricInfo("iou", "IoU", True, _UNIT, aliases=("miou", "mean_iou", "jaccard")),
    MetricInfo("dice", "Dice", True, _UNIT, aliases=("mdice",)),
    MetricInfo("exact_match", "exact match", True, _UNIT, aliases=("em",)),
    MetricInfo("meteor", "METEOR", True, _UNIT),
    MetricInfo("bertscore", "BERTScore", True),
    MetricInfo("pass@1", "pass@1", True, _UNIT),
    MetricInfo("mrr", "MRR", True, _UNIT),
    MetricInfo("auc", "AUC", True, _UNIT),
    # Detectors' (COCO) mAP averages AP over IoU 0.50-0.95 (YOLO's mAP50-95,
    # mmdetection's bbox_mAP); retrieval's MAP is the same name.
    MetricInfo("map", "mAP", True, _UNIT),
    MetricInfo("map50", "mAP50", True, _UNIT),
    MetricInfo("map75", "mAP75", True, _UNIT),
    MetricInfo("mean_accuracy", "mean class accuracy", True, _UNIT, aliases=("macc",)),
    MetricInfo("mse", "MSE", False),
    MetricInfo("mae", "MAE", False),
    MetricInfo("rmse", "RMSE", False),
    MetricInfo("error", "error", False, _UNIT),
    MetricInfo("learning_rate", "learning rate", None, role="optimizer",
               aliases=("lr", "learningrate")),
    MetricInfo("grad_norm", "gradient norm", None, role="optimizer", aliases=("gradnorm",)),
    MetricInfo("gen_len", "generated length", None, role="diagnostic"),
    *(MetricInfo(name, name, None, role="bookkeeping") for name in (
        "runtime", "samples_per_second", "steps_per_second", "epoch", "step",
        "model_preparation_time", "total_flos", "flos")),
)}
"""Every metric the project knows, by normalised name."""

#: Known spellings after prefixes are stripped (lowercased) -> normalised name.
_ALIASES: dict[str, str] = {
    **{m.name: m.name for m in METRICS.values() if m.role != "bookkeeping"},
    **{alias: m.name for m in METRICS.values() for alias in m.aliases},
}

#: Mean average precision and recall however detectors name their variants:
#: ``map_mask``, ``map_s``, ``map50_segm``, ``ar@100`` (not ``mape``, an error).
_DETECTION = re.compile(r"map(\d+(-\d+)?)?(_[a-z]+)?|ar@\d+(_[a-z]+)?")


def _base_name(metric: str) -> str:
    """The metric a derived name belongs to: ``loss_epoch`` -> ``loss``, aliases resolved."""
    m = metric.lower()
    for suffix in _DERIVED_SUFFIXES:
        if m.endswith(suffix) and len(m) > len(suffix):
            m = m[: -len(suffix)]
            break
    return _ALIASES.get(m, m)


def metric_info(metric: str) -> MetricInfo | None:
    """The registry entry of a normalised metric name (or an alias, or a
    ``_epoch``/``_estimate`` variant of one); None when the metric is unknown."""
    return METRICS.get(_base_name(metric))


def display_name(metric: str) -> str:
    """How a normalised metric name is written for people (``"chrf"`` -> ``"chrF"``);
    unknown names are returned as they are (the caller escapes them for output)."""
    info = METRICS.get(_ALIASES.get(metric.lower(), metric.lower()))
    return info.display if info is not None else metric


def is_loss_derived(metric: str) -> bool:
    """Whether the metric is the loss itself or computed from it (perplexity...)."""
    info = metric_info(metric)
    return info is not None and (info.loss_derived or info.role == "loss")


def is_quality_metric(metric: str) -> bool:
    """Whether the metric can be the run's quality metric: not the loss or derived
    from it, not an optimizer value, not bookkeeping. Unknown names count (a
    log's own metric is more likely a quality measure than not)."""
    info = metric_info(metric)
    return info is None or (info.role == "quality" and not info.loss_derived)


def is_bookkeeping(metric: str) -> bool:
    """Whether the value describes the evaluation's speed or counts, not the model."""
    info = METRICS.get(metric.lower())
    return info is not None and info.role == "bookkeeping"


def bounds_for(metric: str, values: Iterable[float] = ()) -> tuple[float, float] | None:
    """The natural ``(floor, ceiling)`` of a bounded metric, given its logged values.

    A metric bounded in points (chrF, BLEU: [0, 100]) or as a fraction
    (accuracy: [0, 1]) is logged either way by different tools; the scale is
    taken from the values: every finite value within [0, 1] means [0, 1],
    otherwise within [0, 100] means [0, 100]. None for unbounded or unknown
    metrics, or values outside both ranges.
    """
    info = metric_info(metric) or _known_word(_base_name(metric))
    if info is None or info.bounds is None:
        return None
    finite = [float(v) for v in values if math.isfinite(float(v))]
    if not finite:
        return info.bounds
    low, high = min(finite), max(finite)
    if low >= 0.0 and high <= 1.0:
        return (0.0, 1.0)
    if low >= 0.0 and high <= 100.0:
        return (0.0, 100.0)
    return None


def normalise_key(key: str, default_split: str = "train") -> tuple[str, str]:
    """Split a logged name into ``(split, metric)``.

    ``eval_loss``, ``val_loss``, ``valid/loss``, ``validation_loss``,
    ``dev_loss``, ``loss_val``, ``loss/valid`` and ``val/loss_epoch`` all give
    ``("eval", "loss")``; ``test_loss`` and ``loss_test`` give ``("test",
    "loss")`` (see :data:`SPLIT_WORDS`); ``loss`` gives ``(default_split,
    "loss")``; a split word inside a path gives the split too
    (``metrics/val_loss`` is eval ``metrics/loss``), and so does one among
    the words of a name written with spaces (``Final Test F1 Score`` is test
    ``final_f1_score``); ``eval_chrf`` and ``chrF`` give ``chrf``.
    """
    name = key.strip()
    lowered = name.lower()
    split = None
    for prefix, prefix_split in _SPLIT_PREFIXES:
        if lowered.startswith(prefix) and len(lowered) > len(prefix):
            split, lowered = prefix_split, lowered[len(prefix):]
            break
    for suffix in _LIGHTNING_SUFFIXES:
        if lowered.endswith(suffix) and len(lowered) > len(suffix) and lowered not in POSITION_KEYS:
            lowered = lowered[: -len(suffix)]
            break
    if split is None:
        # The split word after the metric (loss_val, accuracy/test), once
        # Lightning's suffix is gone (loss_val_epoch).
        for suffix, suffix_split in _SPLIT_SUFFIXES:
            if lowered.endswith(suffix) and len(lowered) > len(suffix):
                split, lowered = suffix_split, lowered[: -len(suffix)]
                break
    if split is None and "/" in lowered:
        split, lowered = _split_inside(lowered)
    if split is None and " " in lowered.strip():
        # A name written as words (a CSV header "Final Test F1 Score"): a split word
        # among them gives the split, and is taken out.
        words = lowered.split()
        found = next(((i, sp) for i, w in enumerate(words) for sp, ws in SPLIT_WORDS.items()
                      if w in ws), None)
        if found is not None and len(words) > 1:
            split, lowered = found[1], " ".join(words[:found[0]] + words[found[0] + 1:])
    split = default_split if split is None else split
    lowered = lowered.replace(" ", "_")
    metric = _ALIASES.get(lowered, _ALIASES.get(re.sub(r"[_\-]", "", lowered), lowered))
    return split, metric


def _split_inside(name: str) -> tuple[str | None, str]:
    """A split word in the middle of a ``/`` path: ``metrics/val_loss``, ``loss/val/top1``.

    The first segment that is a split word, or starts or ends with one (and
    ``_``), gives the split; the word is taken out of the name.
    """
    segments = name.split("/")
    for index, segment in enumerate(segments):
        for split, words in SPLIT_WORDS.items():
            for word in words:
                if segment == word:
                    return split, "/".join(segments[:index] + segments[index + 1:])
                if segment.startswith(word + "_") and len(segment) > len(word) + 1:
                    rest = segment[len(word) + 1:]
                elif segment.endswith("_" + word) and len(segment) > len(word) + 1:
                    rest = segment[: -len(word) - 1]
                else:
                    continue
                return split, "/".join(segments[:index] + [rest] + segments[index + 1:])
    return None, name


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
    # A per-epoch mean or an estimate of a metric goes the metric's way.
    info = metric_info(metric)
    if info is not None:
        return info.higher_is_better
    m = _base_name(metric)
    if m.startswith("rouge") or m.startswith("bleu") or _DETECTION.fullmatch(m):
        return True
    if m.endswith("loss"):
        return False
    word = _known_word(m)
    return word.higher_is_better if word is not None else None


def _known_word(name: str) -> MetricInfo | None:
    """The quality metric a name is built on ("class_accuracy", "token_acc", "f1_macro",
    "val_wer"), when its known words agree on a direction (and on bounds); else None."""
    words = {_ALIASES.get(w, w) for w in re.split(r"[_/\-\s.]+", name.lower()) if w}
    known = [METRICS[w] for w in words
             if w in METRICS and METRICS[w].role == "quality" and not METRICS[w].loss_derived
             and METRICS[w].higher_is_better is not None]
    if not known or len({(k.higher_is_better, k.bounds) for k in known}) != 1:
        return None
    return known[0]


__all__ = [
    "METRICS",
    "POSITION_KEYS",
    "SPLIT_WORDS",
    "MetricInfo",
    "bounds_for",
    "display_name",
    "higher_is_better",
    "is_bookkeeping",
    "is_loss_derived",
    "is_quality_metric",
    "metric_info",
    "normalise_key",
    "normalise_keys",
]
