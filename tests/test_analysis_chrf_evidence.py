"""The chrF evidence: significance of the gain, samples that moved, the log's own chrF."""

from __future__ import annotations

import html as html_module
import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sacrebleu  # noqa: E402

from reportlib.analysis import FindingKind, analyze_run  # noqa: E402
from reportlib.analysis.chrf_evidence import (  # noqa: E402
    COMPUTED_CHRF_KEY,
    SAMPLE_CHANGE_TOLERANCE,
    analyze_scores,
)
from reportlib.ingest import load_run  # noqa: E402
from reportlib.present import figures  # noqa: E402
from reportlib.present.gallery import sample_gallery_html  # noqa: E402
from reportlib.scoring import gallery_texts, score_run  # noqa: E402


@pytest.fixture(scope="module")
def scored(example_run, tmp_path_factory):
    run = load_run(example_run)
    return run, score_run(run, cache_dir=tmp_path_factory.mktemp("cache"))


def _read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_sample_counts_follow_the_per_sample_scores(scored):
    run, scores = scored
    result = analyze_scores(scores, run)
    frame = scores.per_sample_frame()
    first = frame[frame["step"] == result.first_step].set_index("id")["chrf"]
    best = frame[frame["step"] == result.best_step].set_index("id")["chrf"]
    delta = best - first
    assert result.improved == int((delta >= SAMPLE_CHANGE_TOLERANCE).sum())
    assert result.regressed == int((delta <= -SAMPLE_CHANGE_TOLERANCE).sum())
    assert result.improved + result.stayed + result.regressed == len(scores.ids) == 50
    gains = [c.delta for c in result.top_improved]
    assert gains == sorted(gains, reverse=True) and gains[0] == pytest.approx(delta.max())


def test_best_checkpoint_and_log_agreement_checked_against_sacrebleu(scored, example_run):
    run, scores = scored
    refs = _read(example_run / "references.jsonl")
    by_id = {r["id"]: r["reference"] for r in refs}
    # sacrebleu on the files, independently of reportlib's scoring:
    corpus = {}
    for path in sorted((example_run / "predictions").glob("step-*.jsonl")):
        preds = _read(path)
        step = int(path.stem.split("-")[1])
        corpus[step] = sacrebleu.corpus_chrf([p["prediction"] for p in preds],
                                             [[by_id[p["id"]] for p in preds]]).score
    result = analyze_scores(scores, run)
    assert result.best_step == max(corpus, key=corpus.get)
    expected = [corpus[step] for step in sorted(corpus)]
    assert [c.score for c in result.checkpoints] == pytest.approx(expected)
    # The callback logged sacrebleu's own corpus chrF: the log and the recomputation agree.
    assert result.logged_max_difference == pytest.approx(0.0, abs=1e-9)
    source = [f for f in result.findings if f.kind is FindingKind.CHRF_SOURCE]
    assert len(source) == 1 and "matches the log's own chrF" in source[0].message


def test_significance_finding_carries_sacrebleus_p_value(scored):
    run, scores = scored
    result = analyze_scores(scores, run)
    test = next(p for p in scores.paired if p.label == "first_vs_best" and p.metric == "chrF2")
    found = [f for f in result.findings if f.kind in
             (FindingKind.CHRF_GAIN_SIGNIFICANT, FindingKind.CHRF_GAIN_NOT_SIGNIFICANT)]
    assert len(found) == 1
    assert found[0].evidence["p_value"] == test.p_value
    assert (found[0].kind is FindingKind.CHRF_GAIN_SIGNIFICANT) == (test.p_value < 0.05)
    assert f"p = {test.p_value:.3g}" in found[0].message


def _run_folder(tmp_path, predictions_by_step, references, *, log_chrf=True):
    """A generated run folder (test data): a minimal trainer_state.json and predictions."""
    folder = tmp_path / "generated-run"
    (folder / "predictions").mkdir(parents=True)
    history = []
    for i, step in enumerate(sorted(predictions_by_step)):
        entry = {"step": step, "epoch": float(i + 1), "eval_loss": 2.0 - 0.1 * i}
        if log_chrf:
            entry["eval_chrf"] = 10.0 + i
        history.append(entry)
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    with open(folder / "references.jsonl", "w") as fh:
        for i, (prompt, ref) in enumerate(references):
            fh.write(json.dumps({"id": i, "prompt": prompt, "reference": ref}) + "\n")
    for step, preds in predictions_by_step.items():
        with open(folder / "predictions" / f"step-{step:06d}.jsonl", "w") as fh:
            for i, pred in enumerate(preds):
                fh.write(json.dumps({"id": i, "prediction": pred}) + "\n")
    return folder


REFS = [(f"def f{i}(x):", f"    return x * {i} + {i * 7} - len(str(x))") for i in range(12)]


def test_a_gain_within_the_noise_is_called_so(tmp_path):
    # Each checkpoint gets a different single sample wrong: the corpus scores differ a
    # little, by chance, and the paired test must not call that a real gain.
    first = [r for _, r in REFS]
    first[0] = "    pass"
    second = [r for _, r in REFS]
    second[1] = REFS[1][1][:-12]  # a smaller mistake: the second checkpoint is a bit better
    folder = _run_folder(tmp_path, {10: first, 20: second}, REFS)
    run = load_run(folder)
    scores = score_run(run, use_cache=False)
    result = analyze_scores(scores, run)
    test = next(p for p in scores.paired if p.label == "first_vs_best")
    assert test.system_step == 20 and test.delta > 0
    assert test.p_value >= 0.05
    (found,) = [f for f in result.findings if f.kind is FindingKind.CHRF_GAIN_NOT_SIGNIFICANT]
    assert found.severity.value == "warning" and "within the noise" in found.message
    assert not [f for f in result.findings if f.kind is FindingKind.CHRF_GAIN_SIGNIFICANT]
    # The log's chrF (10, 11) is not what the predictions give: the report says so.
    source = next(f for f in result.findings if f.kind is FindingKind.CHRF_SOURCE)
    assert source.severity.value == "warning" and "differs" in source.message


def test_computed_chrf_becomes_the_curve_when_the_log_has_none(tmp_path):
    preds = {10: ["    pass"] * len(REFS), 20: [r for _, r in REFS]}
    folder = _run_folder(tmp_path, preds, REFS, log_chrf=False)
    run = load_run(folder)
    scores = score_run(run, use_cache=False)
    analysis = analyze_run(run, scores=scores)
    assert analysis.panels["eval_metric"] == ("eval", "chrf")
    curve = analysis.curves[("eval", "chrf")]
    assert curve.points == 2 and curve.last == pytest.approx(100.0)
    assert run.series("eval", "chrf").empty  # the run itself is not changed
    fig = figures.plot_learning_curves(run, analysis)
    bars = [c for c in fig.axes[2].collections if "bootstrap percentiles" in c.get_label()]
    assert len(bars) == 1
    plt.close(fig)
    assert COMPUTED_CHRF_KEY.startswith("sacrebleu")


def test_figure_draws_intervals_at_the_computed_scores(scored):
    run, scores = scored
    analysis = analyze_run(run, scores=scores)
    fig = figures.plot_learning_curves(run, analysis)
    (bars,) = [c for c in fig.axes[2].collections if "bootstrap percentiles" in c.get_label()]
    segments = bars.get_segments()
    lows = [seg[0][1] for seg in segments]
    highs = [seg[1][1] for seg in segments]
    expected = [c.chrf.bootstrap for c in scores.checkpoints]
    np.testing.assert_allclose(lows, [b.low for b in expected])
    np.testing.assert_allclose(highs, [b.high for b in expected])
    ax = figures.plot_sample_distributions(scores.per_sample_frame())
    assert len(ax.get_xticklabels()) == len(scores.checkpoints)
    plt.close("all")


def test_gallery_escapes_hostile_predictions(tmp_path):
    hostile = '    return 2 <script>alert(1)</script></textarea><img src=x onerror=alert(2)>'
    refs = [("def f():", "    return 1"), ("def g():", "    return 2"), ("def h():", "    x")]
    folder = _run_folder(tmp_path, {10: ["", "", ""], 20: ["    return 1", hostile, "    x"]}, refs)
    run = load_run(folder)
    scores = score_run(run, use_cache=False)
    result = analyze_scores(scores, run)
    html = sample_gallery_html(result, gallery_texts(scores, result))
    assert "<script>" not in html and "<img" not in html and "</textarea>" not in html
    shown = html_module.unescape(re.sub(r"<[^>]+>", "", html))  # the text a reader sees
    assert hostile.strip() in shown


def test_run_folder_is_left_alone_by_scoring(scored, example_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(example_run, copy)
    before = sorted(p.name for p in copy.rglob("*"))
    score_run(load_run(copy), cache_dir=tmp_path / "cache")
    assert sorted(p.name for p in copy.rglob("*")) == before


def test_run_yaml_direction_overrides_reach_the_analysis(tmp_path):
    # "ap" is not a metric reportlib knows the direction of; run.yaml says higher is better.
    folder = tmp_path / "run"
    folder.mkdir()
    history = [{"step": s, "epoch": float(i), "eval_loss": 1.0, "eval_ap": v}
               for i, (s, v) in enumerate([(10, 0.2), (20, 0.6), (30, 0.4)], start=1)]
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    plain = analyze_run(load_run(folder))
    assert plain.curves[("eval", "ap")].higher_is_better is None
    (folder / "run.yaml").write_text("higher_is_better: {ap: true}\n")
    told = analyze_run(load_run(folder))
    curve = told.curves[("eval", "ap")]
    assert curve.higher_is_better is True and curve.best == 0.6 and curve.best_step == 20


@pytest.mark.parametrize(
    ("text", "shown_lines", "note"),
    [
        ("a\nb", 2, None),
        ("\n" * 200, 24, "177 more lines"),
        ("x" * 5000, 1, "3500 more characters"),
    ],
)
def test_gallery_cells_are_cut_to_a_readable_size(text, shown_lines, note):
    from reportlib.present.gallery import _cut

    cut = _cut(text)
    body = cut.split("\n…")[0]
    assert body.count("\n") + 1 == shown_lines
    assert (note in cut) if note else cut == text
