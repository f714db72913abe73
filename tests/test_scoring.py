"""Tests of reportlib.scoring: every number is compared with sacrebleu's own API.

The reference for each score is sacrebleu 2.x itself, called on the same
strings: ``CHRF().corpus_score``, ``sentence_score``, ``corpus_score(...,
n_bootstrap=N)`` and ``significance.PairedTest``. Equality is exact (``==``),
not approximate: reportlib claims to compute the same floats.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.significance import PairedTest, _bootstrap_resample

from reportlib.errors import InputError, ParameterError, PredictionsError
from reportlib.run import Predictions, Run
from reportlib.scoring import bootstrap as bs
from reportlib.scoring import format_score_table, runner, score_run
from reportlib.scoring.cache import ScoreCache, cache_key
from reportlib.scoring.ngram_stats import (
    _char_streams,
    _fits,
    _word_streams,
    bleu_statistics,
    chrf_statistics,
    f_scores,
)

# --------------------------------------------------------------------------- data

CODE = [
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n    print(i)",
    'class Foo(Bar):\n    """Doc."""\n    x: int = 3\n',
    "if (x == 1) and y:\n\tpass\nelse:\n\treturn None",
    "import os, sys  # comment\nPATH = os.path.join('a', \"b\")",
    "while True:\n    break",
    "x = [1, 2, 3]\ny = {k: v for k, v in zip(x, x)}",
    "lambda: None",
]

#: Edge cases: empty strings, unicode (accents, CJK, emoji, combining marks,
#: unusual whitespace), identical strings, whitespace only, one character.
EDGE_PAIRS = [
    ("", "def f(): pass"),  # empty prediction
    ("x = 1", ""),  # empty reference
    ("", ""),
    ("return x", "return x"),  # identical
    ("   \n\t  ", "pass"),  # whitespace only
    ("a", "a"),
    ("a", "b"),
    ("naïve = 'café' # 日本語テキスト 🚀", 'naïve = "café"  # 日本語 🚀🚀'),
    ("e\u0301t\u00e9 = 1", "\u00e9t\u00e9 = 1"),  # combining accent vs precomposed
    ("a\u00a0b\u2028c\u3000d", "a b c d"),  # non-ASCII whitespace
    ("(hi) [there]!", "(hi) there!"),  # chrF++ punctuation splitting
    ("aaaaaaaaaaaa", "aaaa"),  # repeated n-grams: clipped matches
]


def edited(text: str, rng: random.Random, rate: float) -> str:
    """A seeded noisy copy of ``text`` (character typos and dropped lines)."""
    lines = []
    for line in text.split("\n"):
        if rng.random() < rate / 3:
            continue
        chars = list(line)
        for _ in range(int(rate * len(chars))):
            pos = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5 and pos < len(chars):
                del chars[pos]
            else:
                chars.insert(pos, rng.choice("abcxyz_(): "))
        lines.append("".join(chars))
    return "\n".join(lines)


def corpus(n: int, seed: int, rate: float) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    refs = [CODE[i % len(CODE)] + f"# sample {i}\n" for i in range(n)]
    return refs, [edited(r, rng, rate) for r in refs]


def write_run(
    folder: Path, refs: list[str], systems: dict[int, list[str]], *, shuffle: int = 0
) -> Path:
    """A run folder in docs/architecture.md's layout; prediction lines shuffled (seeded)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "references.jsonl", "w", encoding="utf-8") as out:
        for i, ref in enumerate(refs):
            out.write(json.dumps({"id": f"s{i}", "prompt": "p", "reference": ref}) + "\n")
    (folder / "predictions").mkdir(exist_ok=True)
    for step, hyps in systems.items():
        rows = [{"id": f"s{i}", "prediction": h} for i, h in enumerate(hyps)]
        if shuffle:
            random.Random(shuffle + step).shuffle(rows)
        with open(folder / "predictions" / f"step-{step:06d}.jsonl", "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
    return folder


def predictions_of(folder: Path) -> Predictions:
    files = sorted((folder / "predictions").glob("step-*.jsonl"))
    return Predictions(folder / "references.jsonl", {int(p.stem[5:]): p for p in files})


@pytest.fixture
def small_run(tmp_path: Path) -> tuple[Path, list[str], dict[int, list[str]]]:
    refs, _ = corpus(40, seed=1, rate=0.0)
    rng = random.Random(7)
    systems = {
        step: [edited(r, rng, rate) for r in refs]
        for step, rate in ((10, 0.5), (20, 0.2), (30, 0.3))
    }
    return write_run(tmp_path / "run", refs, systems, shuffle=3), refs, systems


@pytest.fixture(autouse=True)
def _sacrebleu_default_seed(monkeypatch):
    """sacrebleu reads SACREBLEU_SEED at call time: make its default (12345) apply."""
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("whitespace", [False, True])
@pytest.mark.parametrize("word_order", [0, 2])
@pytest.mark.parametrize(
    "pairs",
    [
        EDGE_PAIRS,
        list(zip(*corpus(30, seed=2, rate=0.3), strict=True)),
        [("lambda: x", "lambda: y")],
    ],
    ids=["edge-cases", "code", "single-sample"],
)
def test_statistics_equal_sacrebleu(pairs, word_order: int, whitespace: bool) -> None:
    hyps = [h for h, _ in pairs]
    refs = [r for _, r in pairs]
    metric = CHRF(word_order=word_order, whitespace=whitespace)
    expected = np.array(metric._extract_corpus_statistics(hyps, [refs]), dtype=np.int64)
    got = chrf_statistics(refs, [hyps, refs], word_order=word_order, whitespace=whitespace)
    assert got.shape == (2, len(refs), expected.shape[1])
    assert np.array_equal(got[0], expected)
    self_stats = np.array(metric._extract_corpus_statistics(refs, [refs]), dtype=np.int64)
    assert np.array_equal(got[1], self_stats)
    sentence = [metric.sentence_score(h, [r]).score for h, r in pairs]
    assert f_scores(got[0], word_order=word_order).tolist() == sentence


@pytest.mark.parametrize(
    "pairs",
    [
        EDGE_PAIRS + [("x = 1 .", "x = 1."), ("A.B(c)", "a.b ( c )")],
        list(zip(*corpus(30, 2, 0.3), strict=True)),
    ],
    ids=["edge-cases", "code"],
)
def test_bleu_statistics_equal_sacrebleu(pairs) -> None:
    hyps = [h for h, _ in pairs]
    refs = [r for _, r in pairs]
    expected = np.array(BLEU()._extract_corpus_statistics(hyps, [refs]), dtype=np.int64)
    got = bleu_statistics(refs, [hyps, refs])
    assert np.array_equal(got[0], expected)
    assert np.array_equal(got[1], np.array(BLEU()._extract_corpus_statistics(refs, [refs])))


def test_large_vocabulary_bleu_takes_the_exact_python_path() -> None:
    # 40,000 distinct words: (V + 1)**4 * samples does not fit in int64.
    refs = [" ".join(f"w{i}_{j}" for j in range(10_000)) for i in range(4)]
    hyps = [" ".join(r.split()[::2]) for r in refs]
    assert not _fits(_word_streams([[r.split() for r in refs]]), 4, len(refs))
    expected = np.array(BLEU()._extract_corpus_statistics(hyps, [refs]))
    assert np.array_equal(bleu_statistics(refs, [hyps])[0], expected)


def test_large_alphabet_takes_the_exact_python_path() -> None:
    # 1200 distinct CJK characters: (A + 1)**6 * samples does not fit in int64.
    rng = random.Random(5)
    alphabet = [chr(0x4E00 + i) for i in range(1200)]
    refs = ["".join(rng.sample(alphabet[i * 300 : (i + 1) * 300], 300)) + "ab ab" for i in range(4)]
    hyps = [r[::2] + "".join(rng.choices(alphabet, k=10)) + "ab" for r in refs]
    assert not _fits(_char_streams([refs, hyps]), 6, len(refs))
    for word_order in (0, 2):
        metric = CHRF(word_order=word_order)
        expected = np.array(metric._extract_corpus_statistics(hyps, [refs]))
        assert np.array_equal(chrf_statistics(refs, [hyps], word_order=word_order)[0], expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from("ab c\n\t.(é日🚀"), max_size=25),
            st.text(alphabet=st.sampled_from("ab c\n\t.(é日🚀"), max_size=25),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([0, 2]),
    st.booleans(),
)
def test_statistics_and_sentence_scores_property(pairs, word_order, whitespace) -> None:
    hyps = [h for h, _ in pairs]
    refs = [r for _, r in pairs]
    metric = CHRF(word_order=word_order, whitespace=whitespace)
    got = chrf_statistics(refs, [hyps], word_order=word_order, whitespace=whitespace)[0]
    assert got.tolist() == metric._extract_corpus_statistics(hyps, [refs])
    assert f_scores(got, word_order=word_order).tolist() == [
        metric.sentence_score(h, [r]).score for h, r in pairs
    ]


# --------------------------------------------------------------------------- bootstrap


def test_chunked_draws_equal_one_draw() -> None:
    """resample_sums draws the indices in chunks: the stream must not depend on it."""
    n, rows = 999, 101
    whole = np.random.default_rng(12345).choice(n, size=(rows, n), replace=True)
    rng = np.random.default_rng(12345)
    parts = [rng.choice(n, size=(k, n), replace=True) for k in (3, 50, 1, 47)]
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize("magnitude", [50, 2_000_000], ids=["exact-in-float32", "float32-rounding"])
@pytest.mark.parametrize("chunk_cells", [1 << 20, 7])
def test_resample_sums_equal_sacrebleu(monkeypatch, magnitude: int, chunk_cells: int) -> None:
    monkeypatch.setattr(bs, "_CHUNK_CELLS", chunk_cells)
    rng = np.random.default_rng(3)
    stats = [rng.integers(0, magnitude, size=(40, 18)), rng.integers(0, 9, size=(40, 24))]
    sums = bs.resample_sums(stats, 150, seed=12345)
    for matrix, got in zip(stats, sums, strict=True):
        metric = CHRF(word_order=(matrix.shape[1] // 3) - 6)
        _, expected = _bootstrap_resample(matrix.tolist(), metric, 150)
        assert [s.score for s in bs.resample_scores(metric, got)] == [s.score for s in expected]
    if magnitude > 1000:  # the test exercises the float32-rounding branch
        assert (stats[0].sum(0) * 1.0).max() > 2**24


@pytest.mark.parametrize("n_samples", [1, 7, 40])
@pytest.mark.parametrize("seed", [12345, 7])
def test_interval_equals_sacrebleu(monkeypatch, n_samples: int, seed: int) -> None:
    monkeypatch.setenv("SACREBLEU_SEED", str(seed))
    refs, hyps = corpus(n_samples, seed=4, rate=0.4)
    stats = chrf_statistics(refs, [hyps])[0]
    metric = CHRF()
    actual = metric._compute_score_from_stats([int(v) for v in stats.sum(0)])
    interval, _ = bs.summarise(
        actual, bs.resample_scores(metric, bs.resample_sums([stats], 200, seed)[0]), seed
    )
    expected = CHRF().corpus_score(hyps, [refs], n_bootstrap=200)
    assert (actual.score, interval.mean, interval.ci) == (
        expected.score,
        expected._mean,
        expected._ci,
    )
    assert interval.low <= actual.score <= interval.high or n_samples == 1
    assert interval.high - interval.low == pytest.approx(2 * interval.ci)


def test_interval_when_some_resamples_score_zero() -> None:
    """Resamples without any match score Python 0.0 among float32 scores.

    sacrebleu 2.6's own estimate_ci raises TypeError there; reportlib gives the
    zeros the float32 type, so the mean is statistics.mean over float32 values.
    """
    refs = ["def f(x): return x"] * 5
    hyps = ["", "", "", "", "def f(x): return x"]
    with pytest.raises(TypeError, match="coerce"):
        CHRF().corpus_score(hyps, [refs], n_bootstrap=100)
    stats = chrf_statistics(refs, [hyps])[0]
    metric = CHRF()
    resampled = bs.resample_scores(metric, bs.resample_sums([stats], 100, 12345)[0])
    assert {type(s.score) for s in resampled} == {float, np.float32}
    actual = metric._compute_score_from_stats([int(v) for v in stats.sum(0)])
    interval, values = bs.summarise(actual, resampled, 12345)
    import statistics

    assert interval.mean == float(statistics.mean(sorted(np.float32(s.score) for s in resampled)))
    assert values.tolist() == [float(s.score) for s in resampled]


# --------------------------------------------------------------------------- score_run


def test_score_run_equals_sacrebleu(small_run, tmp_path) -> None:
    folder, refs, systems = small_run
    result = score_run(
        predictions_of(folder),
        chrf_plus_plus=True,
        bleu=True,
        n_bootstrap=200,
        cache_dir=tmp_path / "cache",
    )
    assert [c.step for c in result.checkpoints] == sorted(systems)
    assert result.ids == tuple(f"s{i}" for i in range(len(refs)))
    for checkpoint in result.checkpoints:
        hyps = systems[checkpoint.step]
        for metric, got in (
            (CHRF(), checkpoint.chrf),
            (CHRF(word_order=2), checkpoint.chrf_plus_plus),
            (BLEU(), checkpoint.bleu),
        ):
            expected = metric.corpus_score(hyps, [refs], n_bootstrap=200)
            assert got.name == expected.name
            assert got.score == expected.score
            assert (got.bootstrap.mean, got.bootstrap.ci) == (expected._mean, expected._ci)
            assert got.signature == metric.get_signature().format()
        sentence = [CHRF().sentence_score(h, [r]).score for h, r in zip(hyps, refs, strict=True)]
        assert checkpoint.chrf.per_sample.tolist() == sentence
        assert checkpoint.bleu.per_sample is None
    assert result.signatures["chrF2"].endswith(
        "nc:6|nw:0|space:no|version:" + result.sacrebleu_version
    )


def test_score_run_accepts_a_folder_and_a_run(small_run, tmp_path) -> None:
    folder, _, _ = small_run
    by_folder = score_run(folder, n_bootstrap=0, use_cache=False)
    run = Run(name="r", path=folder, format="test", predictions=predictions_of(folder))
    by_run = score_run(run, n_bootstrap=0, use_cache=False)
    assert [c.chrf.score for c in by_folder.checkpoints] == [
        c.chrf.score for c in by_run.checkpoints
    ]
    assert by_folder.checkpoints[0].chrf.bootstrap is None and by_folder.paired == ()


def test_paired_tests_equal_sacrebleu(small_run, tmp_path) -> None:
    folder, refs, systems = small_run
    result = score_run(folder, chrf_plus_plus=True, n_bootstrap=200, use_cache=False)
    scores = {c.step: c.chrf.score for c in result.checkpoints}
    best = max(scores, key=lambda s: (scores[s], -s))
    assert result.best.step == best
    first, last = min(systems), max(systems)
    assert best not in (first, last)  # the fixture is built so that both tests run
    for test in result.paired:
        assert (test.baseline_step, test.system_step) == (
            (first, best) if test.label == "first_vs_best" else (best, last)
        )
        metric = CHRF(word_order=2 if test.metric.endswith("++") else 0)
        named = [("base", systems[test.baseline_step]), ("sys", systems[test.system_step])]
        _, results = PairedTest(named, {"m": metric}, [refs], test_type="bs", n_samples=200)()
        base, system = results[test.metric]
        assert (test.baseline_score, test.system_score) == (base.score, system.score)
        assert (test.p_value, test.system_mean, test.system_ci) == (
            system.p_value,
            system.mean,
            system.ci,
        )
    assert {t.label for t in result.paired} == {"first_vs_best", "best_vs_last"}


@pytest.mark.parametrize(
    ("rates", "expected_note"),
    [
        ((0.1, 0.3), "the first checkpoint is the best"),
        ((0.3, 0.1), "the best checkpoint is the last"),
    ],
)
def test_paired_test_skipped_when_best_is_first_or_last(tmp_path, rates, expected_note) -> None:
    refs, _ = corpus(12, seed=3, rate=0.0)
    rng = random.Random(2)
    systems = {i + 1: [edited(r, rng, rate) for r in refs] for i, rate in enumerate(rates)}
    result = score_run(write_run(tmp_path, refs, systems), n_bootstrap=50, use_cache=False)
    skipped = [t for t in result.paired if t.p_value is None]
    assert [t.note for t in skipped] == [expected_note]


def test_identical_checkpoints_are_not_significant(tmp_path) -> None:
    refs, hyps = corpus(10, seed=5, rate=0.3)
    _, worse = corpus(10, seed=6, rate=0.6)
    result = score_run(
        write_run(tmp_path, refs, {1: worse, 2: hyps, 3: hyps}), n_bootstrap=50, use_cache=False
    )
    best_vs_last = next(t for t in result.paired if t.label == "best_vs_last")
    assert (best_vs_last.system_step, best_vs_last.delta) == (
        3,
        0.0,
    )  # best is the earliest on a tie
    assert best_vs_last.p_value == 1.0 and best_vs_last.significant is False
    assert "identical" in best_vs_last.note


def test_whitespace_option(tmp_path) -> None:
    refs = ["def f(x):\n    if x:\n        return 1\n    return 2"]
    flat = ["def f(x):\nif x:\nreturn 1\nreturn 2"]  # indentation lost
    folder = write_run(tmp_path / "run", refs, {1: flat})
    default = score_run(folder, n_bootstrap=0, use_cache=False)
    counted = score_run(folder, n_bootstrap=0, whitespace=True, use_cache=False)
    assert default.checkpoints[0].chrf.score == 100.0
    assert (
        counted.checkpoints[0].chrf.score == CHRF(whitespace=True).corpus_score(flat, [refs]).score
    )
    assert counted.checkpoints[0].chrf.score < 100.0
    assert "space:no" in default.signatures["chrF2"] and "space:yes" in counted.signatures["chrF2"]
    assert "ignores whitespace" in default.whitespace_note
    assert "counts whitespace" in counted.whitespace_note


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_parallel_equals_serial(small_run, monkeypatch, start_method: str) -> None:
    folder, _, _ = small_run
    serial = score_run(
        folder, chrf_plus_plus=True, bleu=True, n_bootstrap=0, use_cache=False, jobs=1
    )
    assert serial.jobs == 1
    monkeypatch.setattr(runner, "_start_method", lambda: start_method)
    monkeypatch.setattr(runner, "MIN_BYTES_FOR_PROCESSES", 0)
    monkeypatch.setattr(runner, "BATCH_SAMPLES", 6)
    monkeypatch.setattr(runner, "MAX_GROUP_BYTES", 1)  # one checkpoint per group
    parallel = score_run(
        folder, chrf_plus_plus=True, bleu=True, n_bootstrap=0, use_cache=False, jobs=2
    )
    assert parallel.jobs == 2
    for a, b in zip(serial.checkpoints, parallel.checkpoints, strict=True):
        assert [(m.name, m.score) for m in a.metrics] == [(m.name, m.score) for m in b.metrics]
        assert np.array_equal(a.chrf.per_sample, b.chrf.per_sample)


def test_example_runs_equal_sacrebleu(example_run, overfit_run) -> None:
    for folder in (example_run, overfit_run):
        result = score_run(folder, n_bootstrap=100, use_cache=False)
        refs = {}
        for line in (folder / "references.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            refs[row["id"]] = row["reference"]
        systems = {}
        for checkpoint in result.checkpoints[:3] + result.checkpoints[-2:]:
            rows = [json.loads(x) for x in checkpoint.path.read_text(encoding="utf-8").splitlines()]
            by_id = {row["id"]: row["prediction"] for row in rows}
            hyps = [by_id[i] for i in refs]
            systems[checkpoint.step] = hyps
            assert checkpoint.chrf.score == CHRF().corpus_score(hyps, [list(refs.values())]).score
            per_sample = [
                CHRF().sentence_score(h, [r]).score
                for h, r in zip(hyps, refs.values(), strict=True)
            ]
            assert checkpoint.chrf.per_sample.tolist() == per_sample
        last = result.checkpoints[-1]
        named = [("first", systems[result.checkpoints[0].step]), ("last", systems[last.step])]
        _, sb = PairedTest(
            named, {"c": CHRF()}, [list(refs.values())], test_type="bs", n_samples=100
        )()
        ours = bs.paired_bootstrap(
            result.checkpoints[0].chrf.score,
            result.checkpoints[0].chrf.resampled,
            last.chrf.score,
            last.chrf.resampled,
        )
        assert ours == (sb["chrF2"][1].p_value, sb["chrF2"][1].mean, sb["chrF2"][1].ci)


# --------------------------------------------------------------------------- cache


def test_cache_hit_rescoring_nothing(small_run, tmp_path, monkeypatch) -> None:
    folder, _, _ = small_run
    cache = tmp_path / "cache"
    first = score_run(folder, chrf_plus_plus=True, n_bootstrap=100, cache_dir=cache)
    assert not any(c.from_cache for c in first.checkpoints)

    def must_not_run(*args, **kwargs):
        raise AssertionError("statistics were extracted again")

    monkeypatch.setattr(runner, "_extract", must_not_run)
    monkeypatch.setattr(runner, "read_predictions", must_not_run)
    monkeypatch.setattr(bs, "resample_sums", must_not_run)
    again = score_run(folder, chrf_plus_plus=True, n_bootstrap=100, cache_dir=cache)
    assert all(c.from_cache for c in again.checkpoints) and again.jobs == 0
    assert again.to_dict()["checkpoints"] == [
        {**c, "from_cache": True} for c in first.to_dict()["checkpoints"]
    ]
    assert again.paired == first.paired
    for a, b in zip(first.checkpoints, again.checkpoints, strict=True):
        assert np.array_equal(a.chrf.per_sample, b.chrf.per_sample)


def _edit_prediction(path: Path) -> None:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    rows[0]["prediction"] += " changed"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _edit_references(path: Path) -> None:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    rows[-1]["reference"] += " changed"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "kwargs", "expected_cached"),
    [
        ("prediction", {}, [True, False, True]),  # only step 20's file changed
        ("references", {}, [False, False, False]),
        (None, {"whitespace": True}, [False, False, False]),
        (None, {"chrf_plus_plus": True}, [False, False, False]),  # chrF++ never computed before
        (None, {"n_bootstrap": 50}, [True, True, True]),  # statistics reused, intervals redone
        (None, {"seed": 1}, [True, True, True]),
    ],
)
def test_cache_invalidation(small_run, tmp_path, change, kwargs, expected_cached) -> None:
    folder, _, _ = small_run
    cache = tmp_path / "cache"
    base = {"n_bootstrap": 100, "seed": 12345, "cache_dir": cache}
    first = score_run(folder, **base)
    if change == "prediction":
        _edit_prediction(folder / "predictions" / "step-000020.jsonl")
    elif change == "references":
        _edit_references(folder / "references.jsonl")
    again = score_run(folder, **{**base, **kwargs})
    assert [c.from_cache for c in again.checkpoints] == expected_cached
    fresh = score_run(folder, **{**base, **kwargs, "use_cache": False})
    assert again.to_dict()["checkpoints"] == [
        {**c, "from_cache": cached}
        for c, cached in zip(fresh.to_dict()["checkpoints"], expected_cached, strict=True)
    ]
    if change is None and "n_bootstrap" in kwargs:
        assert again.checkpoints[0].chrf.bootstrap.n == 50 != first.checkpoints[0].chrf.bootstrap.n


def test_corrupt_cache_entries_are_recomputed(small_run, tmp_path) -> None:
    folder, _, _ = small_run
    cache = tmp_path / "cache"
    first = score_run(folder, n_bootstrap=50, cache_dir=cache)
    entries = sorted(cache.rglob("*.npz"))
    assert entries
    for i, entry in enumerate(entries):
        entry.write_bytes(b"not a zip" if i % 2 else entry.read_bytes()[:40])
    again = score_run(folder, n_bootstrap=50, cache_dir=cache)
    assert again.to_dict()["checkpoints"] == first.to_dict()["checkpoints"]
    third = score_run(folder, n_bootstrap=50, cache_dir=cache)
    assert all(c.from_cache for c in third.checkpoints)


def test_cache_store_and_load_round_trip(tmp_path) -> None:
    cache = ScoreCache(tmp_path)
    key = cache_key(kind="x", value=1)
    assert key != cache_key(kind="x", value=2) and key == cache_key(value=1, kind="x")
    assert cache.load(key, ("a",)) is None
    cache.store(key, {"a": np.arange(3)})
    assert cache.load(key, ("a",))["a"].tolist() == [0, 1, 2]
    assert cache.load(key, ("a", "b")) is None  # an entry without an expected array is a miss
    assert not list(tmp_path.rglob(".tmp-*"))  # nothing left behind by the atomic write


def test_cache_write_failure_is_a_warning(small_run, tmp_path) -> None:
    folder, _, _ = small_run
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    result = score_run(folder, n_bootstrap=0, cache_dir=blocker / "cache")
    assert result.checkpoints and any(
        "could not write the score cache" in w for w in result.warnings
    )


def test_cache_inside_the_run_folder_is_refused(small_run) -> None:
    folder, _, _ = small_run
    with pytest.raises(ParameterError, match="inside the run folder"):
        score_run(folder, cache_dir=folder / ".cache")


def test_run_folder_is_never_written(small_run, tmp_path) -> None:
    folder, _, _ = small_run
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    score_run(folder, chrf_plus_plus=True, n_bootstrap=20, cache_dir=tmp_path / "cache")
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before


# --------------------------------------------------------------------------- outputs


def test_to_dict_per_sample_frame_and_table(small_run) -> None:
    folder, refs, systems = small_run
    result = score_run(folder, chrf_plus_plus=True, n_bootstrap=30, use_cache=False)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["best_step"] == result.best.step
    assert data["signatures"] == result.signatures and set(data["signatures"]) == {
        "chrF2",
        "chrF2++",
    }
    assert [c["metrics"]["chrF2"]["score"] for c in data["checkpoints"]] == [
        c.chrf.score for c in result.checkpoints
    ]
    frame = result.per_sample_frame()
    assert list(frame.columns) == ["id", "step", "chrf", "chrf++"]
    assert len(frame) == len(refs) * len(systems)
    row = frame[(frame["step"] == 20) & (frame["id"] == "s3")].iloc[0]
    assert row["chrf"] == CHRF().sentence_score(systems[20][3], [refs[3]]).score
    table = format_score_table(result)
    for checkpoint in result.checkpoints:
        assert f"{checkpoint.chrf.score:.2f}" in table
        b = checkpoint.chrf.bootstrap
        assert f"{b.mean:.2f} ± {b.ci:.2f}" in table
    for name, signature in result.signatures.items():
        assert f"{name}|{signature}" in table
    assert result.whitespace_note in table


# --------------------------------------------------------------------------- errors


def _two_line_run(tmp_path: Path, predictions: str, references: str | None = None) -> Predictions:
    (tmp_path / "references.jsonl").write_text(
        references
        if references is not None
        else '{"id": "a", "prompt": "", "reference": "x = 1"}\n'
        '{"id": "b", "prompt": "", "reference": "y = 2"}\n',
        encoding="utf-8",
    )
    (tmp_path / "predictions").mkdir(exist_ok=True)
    (tmp_path / "predictions" / "step-1.jsonl").write_text(predictions, encoding="utf-8")
    return Predictions(
        tmp_path / "references.jsonl", {1: tmp_path / "predictions" / "step-1.jsonl"}
    )


@pytest.mark.parametrize(
    ("predictions", "references", "match"),
    [
        (
            '{"id": "a", "prediction": "x"}\n{"id": "b", "prediction": ',
            None,
            r"step-1\.jsonl: line 2: is not valid JSON",
        ),
        (
            '{"id": "a", "prediction": "x"}\n',
            None,
            r'step-1\.jsonl: 1 id\(s\) of the references have no prediction: "b"',
        ),
        (
            '{"id": "a", "prediction": "x"}\n{"id": "b", "prediction": "y"}\n'
            '{"id": "c", "prediction": "z"}\n',
            None,
            r'1 id\(s\) are not in the references: "c"',
        ),
        (
            '{"id": "a", "prediction": "x"}\n{"id": 7, "prediction": "y"}\n',
            None,
            r'have no prediction: "b"; 1 id\(s\) are not in the references: 7',
        ),
        (
            '{"id": "a", "prediction": "x"}\n{"id": "a", "prediction": "y"}\n',
            None,
            r"line 2: duplicate id \"a\" \(first on line 1\)",
        ),
        ('{"id": "a", "prediction": null}\n', None, r'line 1: "prediction" must be a string'),
        ('{"id": "a"}\n', None, r'line 1: no "prediction" key'),
        ('{"prediction": "x"}\n', None, r'line 1: no "id" key'),
        ('{"id": 1.5, "prediction": "x"}\n', None, r'"id" must be a string or an integer'),
        ('["a", "x"]\n', None, r"line 1: is a JSON list, not an object"),
        (
            '{"id": "a", "prediction": "x"}\n',
            '{"id": "a", "reference": "1"}\n{"id": "a", "reference": "2"}\n',
            r"references\.jsonl: line 2: duplicate id",
        ),
        ('{"id": "a", "prediction": "x"}\n', "\n\n", r"references\.jsonl: no sample"),
        (
            '{"id": "a", "prediction": "x"}\n',
            '{"id": "a", "reference": 3}\n',
            r'references\.jsonl: line 1: "reference" must be a string',
        ),
    ],
)
def test_bad_prediction_files(tmp_path, predictions, references, match) -> None:
    with pytest.raises(PredictionsError, match=match):
        score_run(_two_line_run(tmp_path, predictions, references), use_cache=False)


def test_invalid_utf8_is_reported(tmp_path) -> None:
    preds = _two_line_run(tmp_path, "")
    preds.checkpoints[1].write_bytes(b'{"id": "a", "prediction": "\xff"}\n')
    with pytest.raises(PredictionsError, match=r"line 1: is not UTF-8 text"):
        score_run(preds, use_cache=False)


def test_many_missing_ids_are_abbreviated(tmp_path) -> None:
    refs = "".join(json.dumps({"id": i, "reference": "r"}) + "\n" for i in range(20))
    with pytest.raises(
        PredictionsError, match=r"20 id\(s\) .*: 0, 1, 2, 3, 4 and 15 more\. ids are"
    ):
        score_run(_two_line_run(tmp_path, "\n", refs), use_cache=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_bootstrap": -1}, ParameterError, "n_bootstrap must be an integer >= 0"),
        ({"n_bootstrap": 2.5}, ParameterError, "n_bootstrap must be an integer"),
        ({"seed": -3}, ParameterError, "seed must be an integer >= 0"),
        ({"jobs": 0}, ParameterError, "jobs must be None"),
    ],
)
def test_bad_parameters(small_run, kwargs, error, match) -> None:
    folder, _, _ = small_run
    with pytest.raises(error, match=match):
        score_run(folder, use_cache=False, **kwargs)


def test_bad_run_arguments(tmp_path) -> None:
    with pytest.raises(ParameterError, match="run must be a Run, a Predictions or a run folder"):
        score_run(123)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not a folder"):
        score_run(tmp_path / "missing")
    (tmp_path / "references.jsonl").write_text('{"id": 1, "reference": "r"}\n')
    with pytest.raises(PredictionsError, match="no prediction files to score"):
        score_run(tmp_path)
    with pytest.raises(PredictionsError, match="the run has no prediction files"):
        score_run(Run(name="r", path=tmp_path, format="test"))
    with pytest.raises(PredictionsError, match="no prediction file to score"):
        score_run(Predictions(tmp_path / "references.jsonl", {}))


def test_epoch_named_predictions(tmp_path) -> None:
    refs, hyps = corpus(6, seed=8, rate=0.3)
    folder = write_run(tmp_path / "run", refs, {1: hyps, 2: refs})
    for step in (1, 2):
        source = folder / "predictions" / f"step-{step:06d}.jsonl"
        source.rename(folder / "predictions" / f"epoch-{step:02d}.jsonl")
    result = score_run(folder, n_bootstrap=20, use_cache=False)
    assert result.keyed_by == "epoch" and [c.step for c in result.checkpoints] == [1, 2]
    assert result.checkpoints[1].chrf.score == 100.0  # the references themselves
    header = format_score_table(result).splitlines()[1]
    assert header.split()[:2] == ["epoch", "chrF2"]
