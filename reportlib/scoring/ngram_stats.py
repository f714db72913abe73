"""Per-sample chrF / chrF++ / BLEU statistics, exactly as sacrebleu counts them, with numpy.

sacrebleu's :class:`~sacrebleu.metrics.CHRF` reduces every (hypothesis,
reference) pair to a row of integers: for each character n-gram order 1..6
(then each word n-gram order 1..``word_order``) the number of hypothesis
n-grams, of reference n-grams and of matches (the multiset intersection).
The corpus score is the f-score of the summed rows, a sentence score the
f-score of one row. Everything here reproduces those rows bit for bit:

* the text is prepared exactly as sacrebleu does (whitespace removed with
  ``"".join(s.split())`` unless ``whitespace=True``; words split with
  sacrebleu's own ``CHRF._remove_punctuation``);
* n-grams are counted with exact integer keys, not hashes: characters are
  numbered 1..A densely within a batch, an n-gram is the base-``(A + 1)``
  number of its characters, and the sample index is put in front, so equal
  keys mean equal n-grams of the same sample, never a collision;
* when ``batch_size * (A + 1) ** char_order`` does not fit in 62 bits (a
  batch with hundreds of distinct characters, e.g. CJK), the batch is counted
  with sacrebleu's own Python code instead: slower, same numbers.

BLEU (:func:`bleu_statistics`) reuses the same counting on word ids, after
sacrebleu's own tokenizer (``BLEU()._preprocess_segment``, 13a by default).

Only a single reference per sample is supported (reportlib's convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sacrebleu.metrics import BLEU, CHRF

#: sacrebleu's defaults, reused so the two cannot drift apart.
CHAR_ORDER: int = CHRF.CHAR_ORDER
BETA: int = CHRF.BETA

#: Largest key the integer n-gram encoding may produce: 2**62 leaves a bit of
#: head-room below int64's 2**63 for the ``sample * bound + code`` arithmetic.
_KEY_LIMIT = 2**62


def stats_width(word_order: int) -> int:
    """Number of integers per sample: 3 (hyp, ref, match) per char and word order."""
    return 3 * (CHAR_ORDER + word_order)


def _prepare_chars(texts: Sequence[str], whitespace: bool) -> list[str]:
    """The strings whose character n-grams sacrebleu counts."""
    return list(texts) if whitespace else ["".join(t.split()) for t in texts]


def _code_points(texts: Sequence[str]) -> np.ndarray:
    """All code points of ``texts``, concatenated (lone surrogates kept as they are)."""
    joined = "".join(texts)
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")


class _Streams:
    """Token-id streams of one reference side and several system sides of a batch.

    Every side is ``n_samples`` segments concatenated; ``tokens[k]`` holds the
    ids, ``lengths[k]`` the segment lengths.
    """

    def __init__(self, tokens: list[np.ndarray], lengths: list[np.ndarray], alphabet: int):
        self.tokens = tokens
        self.lengths = lengths
        self.alphabet = max(alphabet, 1)


def _char_streams(sides: list[list[str]]) -> _Streams:
    cps = [_code_points(texts) for texts in sides]
    top = max((int(cp.max()) for cp in cps if len(cp)), default=0)
    present = np.zeros(top + 1, dtype=bool)
    for cp in cps:
        present[cp] = True
    lookup = np.cumsum(present, dtype=np.int64) - 1
    tokens = [lookup[cp] for cp in cps]
    lengths = [np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) for texts in sides]
    return _Streams(tokens, lengths, int(present.sum()))


def _word_streams(sides: list[list[list[str]]]) -> _Streams:
    vocabulary: dict[str, int] = {}
    number = vocabulary.setdefault
    tokens, lengths = [], []
    for side in sides:
        ids = [number(w, len(vocabulary)) for words in side for w in words]
        tokens.append(np.asarray(ids, dtype=np.int64))
        lengths.append(np.fromiter(map(len, side), dtype=np.int64, count=len(side)))
    return _Streams(tokens, lengths, len(vocabulary))


def _fits(streams: _Streams, max_order: int, n_samples: int) -> bool:
    """Whether ``sample * (A + 1)**max_order + code`` stays below :data:`_KEY_LIMIT`."""
    return (streams.alphabet + 1) ** max_order * max(n_samples, 1) < _KEY_LIMIT


def _count_side(
    streams: _Streams, k: int, max_order: int
) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Distinct n-grams of one side and their counts, for every order 1..max_order.

    Each position gets the key ``sample * P**max_order + code`` where ``code``
    is its next ``max_order`` tokens in base ``P = A + 1`` (digit 0 pads past
    the end of the segment). Sorting these keys once also sorts every shorter
    n-gram: the order-n key is ``key // P**(max_order - n)``, non-decreasing
    along the sorted array, so distinct n-grams and their counts are runs.

    Returns
    -------
    For n = 1..max_order: ``(keys, counts, P**n)`` where ``keys`` (sorted,
    distinct) are ``sample * P**n + code_n``.
    """
    tokens, lengths = streams.tokens[k], streams.lengths[k]
    base = streams.alphabet + 1
    n_tokens = len(tokens)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    sample = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    # Tokens left in the segment from each position (>= 1 everywhere).
    left = np.repeat(starts + lengths, lengths) - np.arange(n_tokens, dtype=np.int64)
    digits = tokens.astype(np.int64) + 1
    code = digits.copy()
    for j in range(1, max_order):
        code *= base
        code[:-j] += np.where(left[:-j] > j, digits[j:], 0)
    keys = np.sort(sample * base**max_order + code)
    out = []
    for n in range(1, max_order + 1):
        scale = base ** (max_order - n)
        trunc = keys // scale if scale > 1 else keys
        trunc = trunc[trunc % base != 0]  # fewer than n tokens left: not an n-gram
        if len(trunc):
            first = np.flatnonzero(np.concatenate(([True], trunc[1:] != trunc[:-1])))
            counts = np.diff(np.append(first, len(trunc)))
            out.append((trunc[first], counts, base**n))
        else:
            out.append((trunc, np.zeros(0, dtype=np.int64), base**n))
    return out


def _match_stats(streams: _Streams, max_order: int, n_samples: int) -> np.ndarray:
    """Stats of shape ``(n_systems, n_samples, max_order, 3)``; side 0 is the reference."""
    n_systems = len(streams.tokens) - 1
    out = np.zeros((n_systems, n_samples, max_order, 3), dtype=np.int64)
    ref_counts = _count_side(streams, 0, max_order)
    ref_len = streams.lengths[0]
    for s in range(n_systems):
        hyp_len = streams.lengths[s + 1]
        hyp_counts = _count_side(streams, s + 1, max_order)
        for i, ((r_keys, r_n, bound), (h_keys, h_n, _)) in enumerate(
            zip(ref_counts, hyp_counts, strict=True)
        ):
            n = i + 1
            ref_total = np.maximum(ref_len - n + 1, 0)
            hyp_total = np.maximum(hyp_len - n + 1, 0)
            # sacrebleu: hypothesis n-grams count only when the reference has some.
            out[s, :, i, 0] = np.where(ref_total > 0, hyp_total, 0)
            out[s, :, i, 1] = ref_total
            if len(r_keys) and len(h_keys):
                at = np.minimum(np.searchsorted(r_keys, h_keys), len(r_keys) - 1)
                hit = r_keys[at] == h_keys
                common = np.minimum(h_n[hit], r_n[at[hit]])
                out[s, :, i, 2] = np.bincount(
                    h_keys[hit] // bound, weights=common, minlength=n_samples
                ).astype(np.int64)
    return out


def _python_stats(references: Sequence[str], hypotheses: Sequence[str], metric: CHRF) -> np.ndarray:
    """sacrebleu's own per-sample statistics (the slow, always-exact path)."""
    ref_cache = metric._cache_references([list(references)])
    rows = [
        metric._compute_segment_statistics(h, r) for h, r in zip(hypotheses, ref_cache, strict=True)
    ]
    return np.asarray(rows, dtype=np.int64).reshape(len(hypotheses), -1)


def chrf_statistics(
    references: Sequence[str],
    systems: Sequence[Sequence[str]],
    *,
    word_order: int = 0,
    whitespace: bool = False,
) -> np.ndarray:
    """Per-sample chrF statistics of several systems against one set of references.

    Parameters
    ----------
    references:
        One reference string per sample.
    systems:
        For each system (checkpoint), one hypothesis per sample, aligned with ``references``.
    word_order:
        0 for chrF, 2 for chrF++ (word uni- and bigrams after the character orders).
    whitespace:
        Count whitespace as characters (sacrebleu's ``whitespace=True``).

    Returns
    -------
    int64 array of shape ``(len(systems), len(references), stats_width(word_order))``,
    each row equal to what sacrebleu's ``CHRF(word_order=..., whitespace=...)``
    computes in ``_extract_corpus_statistics``.
    """
    n_samples = len(references)
    n_systems = len(systems)
    width = stats_width(word_order)
    out = np.zeros((n_systems, n_samples, width), dtype=np.int64)
    if n_samples == 0 or n_systems == 0:
        return out
    sides = [list(references), *[list(h) for h in systems]]
    chars = _char_streams([_prepare_chars(t, whitespace) for t in sides])
    if _fits(chars, CHAR_ORDER, n_samples):
        out[:, :, : 3 * CHAR_ORDER] = _match_stats(chars, CHAR_ORDER, n_samples).reshape(
            n_systems, n_samples, -1
        )
    else:
        metric = CHRF(word_order=word_order, whitespace=whitespace)
        for s, hyps in enumerate(systems):
            out[s] = _python_stats(references, hyps, metric)
        return out
    if word_order:
        splitter = CHRF()._remove_punctuation
        words = _word_streams([[splitter(t) for t in texts] for texts in sides])
        if _fits(words, word_order, n_samples):
            stats = _match_stats(words, word_order, n_samples)
            out[:, :, 3 * CHAR_ORDER :] = stats.reshape(n_systems, n_samples, -1)
        else:  # a vocabulary of billions of words: not reachable in practice, kept exact anyway
            metric = CHRF(word_order=word_order, whitespace=whitespace)
            for s, hyps in enumerate(systems):
                out[s] = _python_stats(references, hyps, metric)
    return out


def f_scores(stats: np.ndarray, *, word_order: int = 0, beta: int = BETA) -> np.ndarray:
    """sacrebleu's ``CHRF._compute_f_score`` (effective-order variant), row by row.

    The float64 operations are those of sacrebleu, in the same order, so each
    value is bit-identical to ``CHRF(...).sentence_score(hyp, [ref]).score``.

    Parameters
    ----------
    stats:
        Integer array ``(..., stats_width(word_order))``.

    Returns
    -------
    float64 array ``(...)`` of scores in [0, 100].
    """
    stats = np.asarray(stats)
    order = CHAR_ORDER + word_order
    shape = stats.shape[:-1]
    factor = beta**2
    eps = 1e-16
    avg_prec = np.zeros(shape)
    avg_rec = np.zeros(shape)
    effective = np.zeros(shape, dtype=np.int64)
    for i in range(order):
        n_hyp = stats[..., 3 * i].astype(np.float64)
        n_ref = stats[..., 3 * i + 1].astype(np.float64)
        n_match = stats[..., 3 * i + 2].astype(np.float64)
        prec = np.divide(n_match, n_hyp, out=np.full(shape, eps), where=n_hyp > 0)
        rec = np.divide(n_match, n_ref, out=np.full(shape, eps), where=n_ref > 0)
        counted = (n_hyp > 0) & (n_ref > 0)
        avg_prec = np.where(counted, avg_prec + prec, avg_prec)
        avg_rec = np.where(counted, avg_rec + rec, avg_rec)
        effective += counted
    some = effective > 0
    avg_prec = np.divide(avg_prec, effective, out=np.zeros(shape), where=some)
    avg_rec = np.divide(avg_rec, effective, out=np.zeros(shape), where=some)
    total = avg_prec + avg_rec
    nonzero = total != 0
    numerator = (1 + factor) * avg_prec * avg_rec
    denominator = factor * avg_prec + avg_rec
    score = np.divide(numerator, denominator, out=np.zeros(shape), where=nonzero)
    return np.where(nonzero, 100 * score, 0.0)


def bleu_statistics(references: Sequence[str], systems: Sequence[Sequence[str]]) -> np.ndarray:
    """Per-sample BLEU statistics (sacrebleu's defaults) of several systems, one reference each.

    Returns
    -------
    int64 array ``(len(systems), len(references), 2 + 2 * 4)``; each row is what
    ``BLEU()._extract_corpus_statistics`` computes: hypothesis length,
    reference length, matches per order 1..4, hypothesis n-grams per order 1..4.
    """
    metric = BLEU()
    max_order = metric.max_ngram_order
    n_samples, n_systems = len(references), len(systems)
    out = np.zeros((n_systems, n_samples, 2 + 2 * max_order), dtype=np.int64)
    if n_samples == 0 or n_systems == 0:
        return out
    tokenize = metric._preprocess_segment
    sides = [[tokenize(t).split() for t in texts] for texts in (references, *systems)]
    words = _word_streams(sides)
    if not _fits(words, max_order, n_samples):  # a batch with a huge vocabulary
        metric._ref_cache = metric._cache_references([list(references)])
        for s, hyps in enumerate(systems):
            rows = metric._extract_corpus_statistics(list(hyps), None)
            out[s] = np.asarray(rows, dtype=np.int64)
        return out
    matches = _match_stats(words, max_order, n_samples)
    for s in range(n_systems):
        hyp_len = words.lengths[s + 1]
        out[s, :, 0] = hyp_len
        out[s, :, 1] = words.lengths[0]
        out[s, :, 2 : 2 + max_order] = matches[s, :, :, 2]
        for i in range(
            max_order
        ):  # BLEU counts hypothesis n-grams even when the reference has none
            out[s, :, 2 + max_order + i] = np.maximum(hyp_len - i, 0)
    return out
