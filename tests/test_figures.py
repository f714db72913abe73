"""The learning-curve figure, checked through its artists (not image diffs)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from reportlib.analysis import analyze_run, smooth_ema  # noqa: E402
from reportlib.errors import ParameterError  # noqa: E402
from reportlib.ingest import load_run  # noqa: E402
from reportlib.present import figures  # noqa: E402
from reportlib.run import Run, make_scalars  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _line(ax, label_start):
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith(label_start)]
    assert len(lines) == 1, [ln.get_label() for ln in ax.get_lines()]
    return lines[0]


def test_three_panels_plot_the_runs_data(example_run):
    run = load_run(example_run)
    analysis = analyze_run(run)
    fig = figures.plot_learning_curves(run, analysis)
    train_ax, val_ax, chrf_ax = fig.axes[:3]
    assert [a.get_title() for a in (train_ax, val_ax, chrf_ax)] == [
        "Training loss", "Validation loss", "Validation chrF"]

    train = run.series("train", "loss")
    raw = _line(train_ax, "Training loss (raw)")
    np.testing.assert_array_equal(raw.get_xdata(), train["step"].to_numpy())
    np.testing.assert_allclose(raw.get_ydata(), train["value"].to_numpy())
    assert raw.get_alpha() == figures.RAW_ALPHA
    smoothed = _line(train_ax, "smoothed (EMA 0.6)")
    np.testing.assert_allclose(smoothed.get_ydata(), smooth_ema(train["value"].to_numpy(), 0.6))

    # Ten evaluations are fewer than SMOOTH_MIN_POINTS: drawn raw with markers, not smoothed.
    chrf = run.series("eval", "chrf")
    line = _line(chrf_ax, "Validation chrF (raw)")
    np.testing.assert_allclose(line.get_ydata(), chrf["value"].to_numpy())
    assert line.get_marker() == "o"
    assert not [ln for ln in chrf_ax.get_lines() if ln.get_label().startswith("smoothed")]


def test_best_values_and_checkpoint_are_marked(example_run):
    run = load_run(example_run)
    analysis = analyze_run(run)
    fig = figures.plot_learning_curves(run, analysis)
    val_ax, chrf_ax = fig.axes[1], fig.axes[2]
    for ax, key in ((val_ax, ("eval", "loss")), (chrf_ax, ("eval", "chrf"))):
        series = run.series(*key)
        best = series["value"].max() if key[1] == "chrf" else series["value"].min()
        stars = [c for c in ax.collections if c.get_label().startswith("best ")]
        assert len(stars) == 1
        np.testing.assert_allclose(stars[0].get_offsets()[0][1], best)
    best_lines = [ln for ln in val_ax.get_lines() if ln.get_label().startswith("best checkpoint")]
    assert best_lines and best_lines[0].get_xdata()[0] == analysis.best_checkpoint.step


def test_epoch_boundaries_are_the_first_steps_of_each_epoch(example_run):
    run = load_run(example_run)
    marks = figures.epoch_boundaries(run)
    assert [e for _, e in marks] == [float(e) for e in range(1, 11)]
    steps = [s for s, _ in marks]
    assert steps == sorted(steps)
    # Each mark is the first logged step whose epoch reaches that whole number.
    epochs = run.scalars.drop_duplicates("step").set_index("step")["epoch"]
    for step, epoch in marks:
        assert epochs[step] >= epoch - 1e-6
        assert (epochs[epochs.index < step] < epoch - 1e-6).all()


def test_epoch_numbers_are_drawn_above_each_panel(example_run):
    run = load_run(example_run)
    analysis = analyze_run(run)
    marks = figures.epoch_boundaries(run)
    fig = figures.plot_learning_curves(run, analysis)
    fig.canvas.draw()
    for ax in fig.axes:
        labels = [t for t in ax.texts if t.get_position()[1] == 1.0]
        assert [t.get_text() for t in labels] == ["epoch 1", *(str(e) for e in range(2, 11))]
        assert [t.get_position()[0] for t in labels] == [s for s, _ in marks]
        # Above the panel and below its title, and inside the panel's x-range.
        top = ax.get_window_extent().y1
        title = ax.title.get_window_extent()
        for label in labels:
            box = label.get_window_extent()
            assert top <= box.y0 and box.y1 <= title.y0
        low, high = ax.get_xlim()
        assert low <= marks[0][0] and marks[-1][0] <= high
        lines = [ln for ln in ax.get_lines() if ln.get_label() == "_epochs"]
        assert len(lines) == 1
        assert list(lines[0].get_xdata()[::3]) == [s for s, _ in marks]


def test_long_epoch_numbers_get_fewer_labels():
    rows = [{"step": s, "epoch": s / 10, "split": "train", "metric": "loss",
             "value": 2.0 / s, "wall_time": math.nan, "source_key": "loss"}
            for s in range(1, 20001, 10)]
    run = _run(rows)
    fig = figures.plot_learning_curves(run, analyze_run(run))
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_position()[1] == 1.0]
    assert 2 <= len(labels) <= 9  # 4-digit epochs: at most 12 * 3 // 4
    assert labels[0].startswith("epoch ")
    numbers = [int(label.split()[-1]) for label in labels]
    assert len(set(np.diff(numbers))) == 1 and numbers[-1] > 1500  # evenly spaced, to the end


def _run(rows, name="synthetic"):
    """A run built from generated rows (test data, not a real log)."""
    return Run(name=name, path=__import__("pathlib").Path("."), format="generated",
               scalars=make_scalars(rows))


def test_missing_panels_say_so():
    rows = [{"step": s, "epoch": math.nan, "split": "train", "metric": "loss",
             "value": 2.0 / s, "wall_time": math.nan, "source_key": "loss"} for s in range(1, 30)]
    run = _run(rows)
    fig = figures.plot_learning_curves(run, analyze_run(run))
    val_texts = [t.get_text() for t in fig.axes[1].texts]
    metric_texts = [t.get_text() for t in fig.axes[2].texts]
    assert val_texts == ["no validation loss in this log"]
    assert metric_texts == ["no evaluation metric in this log"]  # not "chrF": none is named
    assert fig.axes[1].get_lines() == [] and fig.axes[2].get_lines() == []


def test_non_finite_values_leave_gaps_and_are_marked():
    values = [3.0, 2.5, float("nan"), 2.0, float("inf"), 1.5] + [1.4] * 30
    rows = [{"step": i + 1, "epoch": math.nan, "split": "train", "metric": "loss", "value": v,
             "wall_time": math.nan, "source_key": "loss"} for i, v in enumerate(values)]
    run = _run(rows)
    fig = figures.plot_learning_curves(run, analyze_run(run))
    ax = fig.axes[0]
    raw = _line(ax, "Training loss (raw)")
    # NaN/inf get no made-up height: they are not among the drawn points...
    assert 3 not in raw.get_xdata() and 5 not in raw.get_xdata()
    assert np.isfinite(np.asarray(raw.get_ydata(), dtype=float)).all()
    # ...but marked on the x axis where they were logged.
    marks = [c for c in ax.collections if c.get_label().startswith("NaN/inf")]
    assert len(marks) == 1
    np.testing.assert_array_equal(marks[0].get_offsets()[:, 0], [3, 5])


def test_wrong_number_of_axes_is_refused(example_run):
    run = load_run(example_run)
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ParameterError, match="axes must hold 3 Axes, got 2"):
        figures.plot_learning_curves(run, analyze_run(run), axes=axes)


@pytest.mark.parametrize("n", [0, 1, 10, 4000])
def test_short_curves_are_drawn_whole(n):
    np.testing.assert_array_equal(figures.downsample_indices(np.arange(n, dtype=float)),
                                  np.arange(n))


def test_long_curves_keep_extremes_spikes_and_ends():
    rng = np.random.default_rng(7)  # generated test data
    values = 2.0 + 0.01 * rng.standard_normal(1_000_000)
    values[123_457] = 50.0  # a spike
    values[654_321] = -3.0  # a dip
    values[200_000:200_100] = np.nan  # a gap
    idx = figures.downsample_indices(values, 4000)
    assert len(idx) <= 4000
    assert np.all(np.diff(idx) > 0)
    assert {0, 999_999, 123_457, 654_321} <= set(idx.tolist())
    assert np.nanmax(values[idx]) == 50.0 and np.nanmin(values[idx]) == -3.0


def test_a_million_point_curve_is_drawn_thinned():
    steps = np.arange(1, 1_000_001)
    values = 1.0 / np.sqrt(steps)  # generated test data
    values[500_000] = 9.0
    frame = __import__("pandas").DataFrame({"step": steps, "value": values})
    ax = figures.plot_curve(frame, smoothing=0.6, label="Training loss")
    raw = _line(ax, "Training loss (raw)")
    assert len(raw.get_xdata()) <= figures.MAX_PLOT_POINTS
    assert 9.0 in raw.get_ydata()


def _segments(ax):
    """(step, low, high) of the interval segments drawn on ``ax``."""
    from matplotlib.collections import LineCollection

    out = []
    for coll in ax.collections:
        if isinstance(coll, LineCollection) and "bootstrap percentiles" in coll.get_label():
            for seg in coll.get_segments():
                out.append((seg[0][0], seg[0][1], seg[1][1]))
    return sorted(out)


@pytest.mark.parametrize("low, score, high", [
    (40.0, 45.0, 50.0),          # the usual case: the estimate inside its interval
    (46.0, 45.0, 50.0),          # interval above its estimate (skewed statistic, few samples)
    (40.0, 45.0, 44.0),          # interval below its estimate
    (45.000001, 45.0, 45.000001),  # float32 resamples vs a float64 estimate: a hair above
])
def test_chrf_interval_is_drawn_as_computed(low, score, high):
    # Regression: errorbar() refused these with "'yerr' must not contain negative values".
    from reportlib.analysis.chrf_evidence import CheckpointChrf

    fig, ax = plt.subplots()
    checkpoints = [CheckpointChrf(10, score, low, high), CheckpointChrf(20, score + 1, None, None)]
    figures.plot_chrf_intervals(checkpoints, ax=ax)
    assert _segments(ax) == [(10.0, pytest.approx(low), pytest.approx(high))]
    points = [c for c in ax.collections if c.get_label() == "chrF from predictions"]
    np.testing.assert_allclose(points[0].get_offsets(), [[10, score], [20, score + 1]])


def interval_missing_its_estimate_run(tmp_path):
    """A generated run folder (test data) whose first checkpoint's chrF interval misses its score.

    Two one-character predictions: every bootstrap resample has the same chrF, and the
    resampled scores are float32, so the interval is a single value a hair above the
    float64 corpus score: it does not contain it.
    """
    import json

    folder = tmp_path / "generated-run"
    (folder / "predictions").mkdir(parents=True)
    history = [{"step": s, "epoch": float(i + 1), "eval_loss": 2.0 - 0.1 * i}
               for i, s in enumerate((10, 20))]
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    refs, preds = ["ed", "cb"], {10: ["e", "c"], 20: ["ed", "cb"]}
    (folder / "references.jsonl").write_text("".join(
        json.dumps({"id": i, "prompt": "p", "reference": r}) + "\n" for i, r in enumerate(refs)))
    for step, texts in preds.items():
        (folder / "predictions" / f"step-{step:06d}.jsonl").write_text("".join(
            json.dumps({"id": i, "prediction": t}) + "\n" for i, t in enumerate(texts)))
    return folder


def test_a_scored_run_whose_interval_misses_its_estimate_draws(tmp_path):
    from reportlib.scoring import score_run

    folder = interval_missing_its_estimate_run(tmp_path)
    run = load_run(folder)
    scores = score_run(run, use_cache=False)
    analysis = analyze_run(run, scores=scores)
    first = analysis.scores.checkpoints[0]
    assert not first.low <= first.score <= first.high  # the case under test
    fig = figures.plot_learning_curves(run, analysis)
    segments = _segments(fig.axes[2])
    assert segments[0] == (10.0, pytest.approx(first.low), pytest.approx(first.high))


def _rows(metric, values, split="train"):
    return [{"step": i + 1, "epoch": math.nan, "split": split, "metric": metric, "value": v,
             "wall_time": math.nan, "source_key": metric} for i, v in enumerate(values)]


@pytest.mark.parametrize("metrics, titles", [
    # No evaluation: the run's gradient norm and learning rate fill the empty panels.
    (["loss", "learning_rate", "grad_norm"],
     ["Training loss", "Gradient norm (no validation loss logged)",
      "Learning rate (no evaluation metric logged)"]),
    (["loss", "learning_rate"],
     ["Training loss", "Learning rate (no validation loss logged)", "Evaluation metric"]),
    # Not even a loss: whatever the run logged is shown, and named.
    (["throughput"], ["Throughput (no training loss logged)", "Validation loss",
                      "Evaluation metric"]),
])
def test_panels_without_their_curve_show_what_the_run_has(metrics, titles):
    rows = [r for m in metrics for r in _rows(m, [1.0 / (i + 1) for i in range(30)])]
    run = _run(rows)
    fig = figures.plot_learning_curves(run, analyze_run(run))
    assert [ax.get_title() for ax in fig.axes[:3]] == titles
    for ax, title in zip(fig.axes[:3], titles, strict=True):
        drawn = [ln for ln in ax.get_lines() if ln.get_label().endswith("(raw)")]
        assert bool(drawn) == ("logged" in title or title == "Training loss")
        assert not [ln for ln in ax.get_lines() if ln.get_label().startswith("best")]


def test_one_extreme_value_does_not_flatten_the_curve():
    values = [2.0 - 0.01 * i for i in range(60)]
    values[3] = 1e6
    run = _run(_rows("loss", values))
    fig = figures.plot_learning_curves(run, analyze_run(run))
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert high < 10 and low < min(v for v in values if v < 1e6)  # the bulk fills the panel
    marks = [c for c in ax.collections if "above the range" in c.get_label()]
    assert len(marks) == 1 and marks[0].get_label().startswith("1 point")
    np.testing.assert_allclose(marks[0].get_offsets(), [[4, high]])
    assert "1e+06" in [t.get_text() for t in ax.texts]  # marked with its value


@pytest.mark.parametrize("values", [
    [10.0 / (i + 1) for i in range(200)],                        # a steep but ordinary descent
    [1.45, 8.7, 10.8, 10.2, 11.6, 10.0, 9.7, 10.6, 10.8, 11.0],  # a first evaluation far below
])
def test_a_curve_without_outliers_keeps_its_full_range(values):
    fig, ax = plt.subplots()
    assert figures.fit_bulk(ax, np.array(values), np.arange(len(values))) == []
    assert len(ax.texts) == 0


@pytest.mark.parametrize("steps, keep, limit, expected", [
    (list(range(1, 6)), (), 15, [1, 2, 3, 4, 5]),                # few: all of them
    (list(range(1, 41)), (17,), 5, [1, 14, 17, 27, 40]),          # first, best, last, spaced
    (list(range(1, 41)), (), 3, [1, 21, 40]),                    # the middle one
])
def test_thin_steps_keeps_first_best_last(steps, keep, limit, expected):
    assert figures.thin_steps(steps, keep, limit) == expected


def test_box_plot_of_40_checkpoints_is_thinned_and_says_so():
    import pandas as pd

    # Generated per-sample scores: 40 checkpoints x 5 samples.
    frame = pd.DataFrame([{"id": i, "step": 8 * s, "chrf": float(s + i)}
                          for s in range(1, 41) for i in range(5)])
    ax = figures.plot_sample_distributions(frame, keep_steps=(8 * 27,))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ax.get_xticks()) == len(labels) == figures.MAX_BOXES  # every box labelled
    assert {"8", "216", "320"} <= set(labels)
    assert f"({figures.MAX_BOXES} of 40 checkpoints shown" in ax.get_title()
