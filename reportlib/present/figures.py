"""The learning-curve figure: training loss, validation loss, validation chrF.

Drawing only: every number drawn comes from the run's scalars or from the
analysis (smoothing, best checkpoint, spikes, non-finite values). The plotting
functions take ``ax=None``/``axes=None``, return what they drew on and never
call ``show()`` or ``savefig()`` (seaborn's habit), so tests can read the
plotted data back from the artists; the notebooks then hand each figure to
:func:`show`, which displays it once and closes it.

(Over 500 lines: the panels' parts, the curves, their y-range, the epochs,
the chrF intervals and the per-sample box plot, share the figure's constants
and helpers; split apart, they would import each other's.)
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import matplotlib

if TYPE_CHECKING:  # imported for type hints only; pyplot is imported lazily
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

import numpy as np
import pandas as pd
import seaborn as sns

from reportlib.analysis import smooth_ema
from reportlib.analysis.templates import cap
from reportlib.errors import ParameterError
from reportlib.formatting import metric_display_name
from reportlib.present.settings import DEFAULT_SMOOTHING, check_smoothing

#: The three panels, in order: (key in ``analysis.panels``, default title).
PANELS: tuple[tuple[str, str], ...] = (
    ("train_loss", "Training loss"),
    ("val_loss", "Validation loss"),
    ("eval_metric", "Validation chrF"),
)
#: A curve with fewer points than this is drawn raw (with markers) and not
#: smoothed: an EMA over a handful of evaluations lags by several of them and
#: would move the very turn (the minimum of validation loss) the panel shows.
SMOOTH_MIN_POINTS = 20
#: Most points drawn per curve. A longer curve is thinned to the minimum and
#: maximum of equal buckets (so spikes and extremes stay visible); the
#: analysis still uses every point. 4,000 is about two per pixel column of a panel.
MAX_PLOT_POINTS = 4000
#: Opacity of the raw curve drawn behind its smoothed version.
RAW_ALPHA = 0.3
#: At most this many epoch numbers above a panel (more would overlap).
MAX_EPOCH_LABELS = 12
#: Seed of the horizontal jitter of the per-sample dots: any fixed value makes the
#: figure reproducible (a report rebuilt from the same run is the same file).
JITTER_SEED = 0
#: Colours: one per panel, then the markers for problems and the best checkpoint.
PANEL_COLORS = ("#1f77b4", "#d62728", "#2ca02c")
PROBLEM_COLOR = "#b2182b"
BEST_COLOR = "#222222"
#: Curves drawn, in this order, in a panel whose own curve the log lacks (a run
#: without evaluation): what the run does have says more than an empty box.
SUBSTITUTE_METRICS: tuple[str, ...] = ("grad_norm", "learning_rate", "lr", "accuracy")
#: Share of a curve's finite values, at each end, that may fall outside its panel's
#: y-range (at least one) when they lie far from the rest: one extreme value (a
#: loss of 1e6 at step 3) must not flatten the rest of the curve. Points outside
#: are marked at the edge with their values (TensorBoard's "ignore outliers in
#: chart scaling" does much the same).
OUTSIDE_SHARE = 0.01
#: A side of the y-range is cut to the bulk only when the farthest value on that side
#: lies more than this many bulk ranges beyond it: a first evaluation far below the
#: rest (chrF 1.5, then 9 to 12) is about 3 and stays drawn; a spike of 7.4 in a
#: loss living between 1.0 and 1.7 is about 8 and is marked at the edge instead.
OUTLIER_RANGE_RATIO = 4.0
#: Margin added above and below the bulk's range, as a fraction of it.
BULK_MARGIN = 0.15
#: Most out-of-range points labelled with their value in a panel (more would overlap);
#: the legend gives their count.
MAX_OUTLIER_LABELS = 3
#: Most checkpoints in the per-sample box plot: 40 boxes of 50 dots on an A4 page
#: are a grey band; 12 stay legible, each with its step label (evenly spaced, with the
#: first, best and last).
MAX_BOXES = 12
#: Figure size in inches for the three panels in a row.
FIGSIZE = (12.0, 4.0)
#: Margins of the three panels (fractions of the figure), room for the tick labels,
#: the epoch numbers on top and the titles.
PANEL_MARGINS = {"left": 0.06, "right": 0.99, "bottom": 0.12, "top": 0.83, "wspace": 0.28}


def literal_text(text: str) -> str:
    """``text`` for a matplotlib title or label, drawn exactly as written.

    Names come from logs: a ``$`` pair in a metric or run name would be parsed as
    mathtext, and a parse error (``$\\frac{$``) would fail the whole report.
    """
    return str(text).replace("$", r"\$")


def plot_learning_curves(run: Any, analysis: Any, *, smoothing: float = DEFAULT_SMOOTHING,
                         axes: Any = None) -> Figure:
    """Draw the three-panel learning-curve figure of a run.

    Parameters
    ----------
    run:
        A :class:`reportlib.run.Run`.
    analysis:
        Its :class:`~reportlib.analysis.RunAnalysis` (gives the panels' curves,
        the best checkpoint and the problem findings).
    smoothing:
        TensorBoard EMA weight in [0, 1) for the long curves (0: raw only).
    axes:
        Three matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    reportlib.errors.ParameterError
        ``smoothing`` is not in [0, 1), or ``axes`` does not hold three Axes.
    """
    smoothing = check_smoothing(smoothing)
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(PANELS), figsize=FIGSIZE)
        # Fixed margins, not a layout engine: the panels are always the same three,
        # and a constrained layout costs about 0.3 s at every render of the figure.
        fig.subplots_adjust(**PANEL_MARGINS)
    else:
        axes = list(axes)
        if len(axes) != len(PANELS):
            raise ParameterError(f"axes must hold {len(PANELS)} Axes, got {len(axes)}")
        fig = axes[0].figure
    best = getattr(analysis, "best_checkpoint", None)
    problems = _problem_steps(analysis)
    epochs = epoch_boundaries(run)  # the same for every panel
    substitutes = substitute_curves(run, analysis)
    for ax, (panel, default_title), color in zip(axes, PANELS, PANEL_COLORS, strict=True):
        key = analysis.panels.get(panel)
        title = default_title
        if panel == "eval_metric" and getattr(analysis, "eval_metric_name", None):
            title = literal_text(f"Validation {analysis.eval_metric_name}")
        elif panel == "eval_metric" and key is None:
            title = "Evaluation metric"  # not "chrF": the log names none
        substitute = key is None and panel in substitutes
        if key is None and not substitute:
            _empty_panel(ax, title, f"no {title[0].lower() + title[1:]} in this log")
            continue
        ylabel = title
        if substitute:
            missing = title[0].lower() + title[1:]
            key = substitutes[panel]
            name = metric_display_name(key[1])
            ylabel = literal_text(cap(name))
            title = f"{ylabel} (no {missing} logged)"
        frame = run.series(*key)
        if not frame.empty:
            plot_curve(frame, ax=ax, smoothing=smoothing, color=color, label=ylabel)
        scores = getattr(analysis, "scores", None)
        if panel == "eval_metric" and key[1] == "chrf" and scores is not None:
            plot_chrf_intervals(scores.checkpoints, ax=ax, color=color)
        _mark_problems(ax, frame, problems.get(key, {}))
        if not substitute:
            _mark_best(ax, analysis, key)
        fit_bulk(ax, frame["value"].to_numpy(dtype=float), frame["step"].to_numpy(), color=color)
        # Above the panel: its epoch numbers (when the log has epochs), then the title.
        ax.set_title(title, pad=EPOCH_TITLE_PAD if _mark_epochs(ax, epochs) else None)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        if best is not None and best.step is not None:
            ax.axvline(best.step, color=BEST_COLOR, lw=0.8, ls=":", zorder=1,
                       label=f"best checkpoint (step {best.step})")
        ax.legend(loc="best", fontsize="x-small", frameon=False)
    return fig


def show(fig: Figure) -> None:
    """Display ``fig`` in the notebook once, and close it.

    Left open at the end of a cell, a figure is drawn twice by Jupyter's inline
    backend: matplotlib redraws every changed figure after each cell in
    interactive mode, then the backend draws it again to send it as a PNG
    (together about 0.2 s of CPU of a small report's 0.5 s). Displayed and
    closed in the cell, it is drawn once, into the same PNG output.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    try:
        display(fig)
    finally:
        plt.close(fig)


def substitute_curves(run: Any, analysis: Any) -> dict[str, tuple[str, str]]:
    """For each panel whose curve the log lacks, another curve of the run to draw instead.

    Picked by name from :data:`SUBSTITUTE_METRICS`, then any other curve of the
    run in its own order, never a curve another panel already shows; panels with
    a curve get none.
    """
    missing = [panel for panel, _ in PANELS if analysis.panels.get(panel) is None]
    if not missing:
        return {}
    used = {key for key in analysis.panels.values() if key is not None}
    available = [c for c in run.curves() if c not in used]
    ranked = [c for name in SUBSTITUTE_METRICS for c in available if c[1] == name]
    ranked += [c for c in available if c not in ranked]
    return dict(zip(missing, ranked, strict=False))


def fit_bulk(ax: Axes, values: np.ndarray, steps: np.ndarray, *, color: str | None = None
             ) -> list[tuple[float, float]]:
    """Set the y-range to the bulk of ``values`` when a few lie far outside it.

    The bulk is the finite values without the :data:`OUTSIDE_SHARE` lowest and
    highest (at least one each). A side of the range is cut to the bulk (plus a
    :data:`BULK_MARGIN`) only when a value lies more than
    :data:`OUTLIER_RANGE_RATIO` bulk ranges beyond it. Each point outside is drawn
    as a triangle at the panel's edge, and up to :data:`MAX_OUTLIER_LABELS` of
    the farthest are labelled with their values: none is dropped silently.

    Returns
    -------
    list of (step, value) of the points outside the new range (empty when unchanged).
    """
    finite = np.isfinite(values)
    if finite.sum() < 5:
        return []
    ordered = np.sort(values[finite])
    spare = max(1, int(len(ordered) * OUTSIDE_SHARE))
    low, high = ordered[spare], ordered[-1 - spare]
    bulk = high - low
    cut_top = bulk > 0 and ordered[-1] - high > OUTLIER_RANGE_RATIO * bulk
    cut_bottom = bulk > 0 and low - ordered[0] > OUTLIER_RANGE_RATIO * bulk
    if not (cut_top or cut_bottom):
        return []
    current_bottom, current_top = ax.get_ylim()
    bottom = low - BULK_MARGIN * bulk if cut_bottom else current_bottom
    top = high + BULK_MARGIN * bulk if cut_top else current_top
    if cut_top != cut_bottom:  # the side kept: down to its own values, not the outlier's scale
        if cut_top:
            bottom = min(ordered[0], low) - BULK_MARGIN * bulk
        else:
            top = max(ordered[-1], high) + BULK_MARGIN * bulk
    ax.set_ylim(bottom, top)
    outside = finite & ((values < bottom) | (values > top))
    points = list(zip(steps[outside].astype(float), values[outside].astype(float), strict=True))
    above = [(s, v) for s, v in points if v > top]
    below = [(s, v) for s, v in points if v < bottom]
    for group, edge, marker in ((above, top, "^"), (below, bottom, "v")):
        if not group:
            continue
        ax.scatter([s for s, _ in group], [edge] * len(group), marker=marker, s=30,
                   color=color or PROBLEM_COLOR, clip_on=False, zorder=6,
                   label=f"{len(group)} point(s) {'above' if edge == top else 'below'} the range")
    farthest = sorted(points, key=lambda p: -abs(p[1] - (top + bottom) / 2))
    for step, value in farthest[:MAX_OUTLIER_LABELS]:
        edge = top if value > top else bottom
        ax.annotate(f"{value:.4g}", (step, edge), xytext=(3, -10 if edge == top else 4),
                    textcoords="offset points", fontsize="x-small", color="0.2",
                    annotation_clip=False)
    return points


def plot_curve(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    smoothing: float = DEFAULT_SMOOTHING,
    color: str | None = None,
    label: str = "value",
) -> Axes:
    """Draw one curve: the raw values faint, and their TensorBoard EMA on top.

    ``frame`` has columns ``step`` and ``value`` (as :meth:`Run.series` returns).
    Non-finite values are not drawn (they have no height; the figure marks
    them on the x axis instead). Curves shorter
    than :data:`SMOOTH_MIN_POINTS` are drawn raw with markers, not smoothed.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    steps = frame["step"].to_numpy()
    values = frame["value"].to_numpy(dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    shown = downsample_indices(finite, MAX_PLOT_POINTS)
    data = pd.DataFrame({"step": steps[shown], "value": finite[shown]})
    few = len(values) < SMOOTH_MIN_POINTS
    if few or smoothing == 0:
        sns.lineplot(data=data, x="step", y="value", ax=ax, color=color, estimator=None,
                     sort=False, marker="o" if few else None, label=f"{label} (raw)")
        return ax
    sns.lineplot(data=data, x="step", y="value", ax=ax, color=color, estimator=None,
                 sort=False, alpha=RAW_ALPHA, lw=1.0, label=f"{label} (raw)")
    # Smoothed over every point, then thinned like the raw curve.
    smoothed = np.where(np.isfinite(values), smooth_ema(values, smoothing), np.nan)
    sns.lineplot(x=steps[shown], y=smoothed[shown], ax=ax, color=color, estimator=None,
                 sort=False, lw=1.8, label=f"smoothed (EMA {smoothing:g})")
    return ax


def downsample_indices(values: np.ndarray, max_points: int = MAX_PLOT_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` values that keep the curve's shape for drawing.

    All indices when there are few enough; otherwise, for each of
    ``max_points // 2`` equal buckets, the positions of its minimum and maximum
    (in order), plus the first and last point. NaN is ignored inside a bucket;
    an all-NaN bucket keeps its first position (drawn as a gap).
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = -(-n // buckets)  # ceiling division
    padded = np.full(buckets * size, np.nan)
    padded[:n] = values
    rows = padded.reshape(buckets, size)
    empty = np.isnan(rows).all(axis=1)
    safe = np.where(empty[:, None], 0.0, rows)  # nanarg* refuse all-NaN rows
    lows = np.nanargmin(np.where(np.isnan(rows) & ~empty[:, None], np.inf, safe), axis=1)
    highs = np.nanargmax(np.where(np.isnan(rows) & ~empty[:, None], -np.inf, safe), axis=1)
    base = np.arange(buckets) * size
    picked = np.concatenate([[0, n - 1], base + lows, base + highs])
    return np.unique(picked[picked < n])


def plot_chrf_intervals(checkpoints: Any, *, ax: Axes | None = None,
                        color: str | None = None) -> Axes:
    """Draw each checkpoint's corpus chrF (computed from predictions) and its 95% interval.

    ``checkpoints`` are :class:`~reportlib.analysis.chrf_evidence.CheckpointChrf`
    (step, score, low, high); checkpoints without an interval get a point only.
    The interval is the bootstrap's 2.5% and 97.5% percentiles (sacrebleu's
    resampling), drawn from ``low`` to ``high`` as computed: a percentile
    interval of a corpus statistic need not contain the point estimate (few,
    unequal samples; float32 resampled scores against a float64 estimate), so
    it is drawn as a segment, not as error bars around the score.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    steps = np.array([c.step for c in checkpoints], dtype=float)
    scores = np.array([c.score for c in checkpoints], dtype=float)
    with_interval = [c for c in checkpoints if c.low is not None and c.high is not None]
    if with_interval:
        at = np.array([c.step for c in with_interval], dtype=float)
        low = np.array([min(c.low, c.high) for c in with_interval], dtype=float)
        high = np.array([max(c.low, c.high) for c in with_interval], dtype=float)
        ax.vlines(at, low, high, colors=color, lw=1.0, alpha=0.8, zorder=4,
                  label="95% CI (bootstrap percentiles)")
        cap = {"marker": "_", "s": 40, "color": color, "alpha": 0.8, "zorder": 4}
        ax.scatter(at, low, **cap)
        ax.scatter(at, high, **cap)
    ax.scatter(steps, scores, marker="D", s=14, color=color, zorder=5,
               label="chrF from predictions")
    return ax


def thin_steps(steps: Any, keep: Any = (), max_steps: int | None = None) -> list[Any]:
    """At most ``max_steps`` of ``steps`` (sorted), evenly spaced, always with the first,
    the last and those in ``keep`` (the best checkpoint); all of them when few enough."""
    limit = MAX_BOXES if max_steps is None else max_steps
    ordered = sorted(set(steps))
    if len(ordered) <= limit:
        return ordered
    chosen = {ordered[0], ordered[-1], *(k for k in keep if k in ordered)}
    room = max(0, limit - len(chosen))
    picks = np.linspace(0, len(ordered) - 1, room + 2)[1:-1] if room else []
    chosen.update(ordered[int(round(i))] for i in picks)
    return sorted(chosen)


def plot_sample_distributions(per_sample: pd.DataFrame, *, ax: Axes | None = None,
                              metric: str = "chrf", keep_steps: Any = (),
                              max_boxes: int | None = None) -> Axes:
    """Box plots of per-sample scores by checkpoint (one box per step).

    ``per_sample`` is :meth:`ScoringResult.per_sample_frame`'s tidy frame
    (columns ``id``, ``step``, ``chrf``). Every sample is also drawn as a dot,
    so a box made of few samples is not mistaken for a smooth distribution.
    With more than ``max_boxes`` checkpoints (:data:`MAX_BOXES` by default),
    evenly spaced ones are shown, always with the first, the last and
    ``keep_steps`` (the best), and the title says how many of how many.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(FIGSIZE[0], 3.6))
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.9)
    if metric not in per_sample.columns:
        raise ParameterError(f"per_sample has no column {metric!r}; it has "
                             + ", ".join(map(str, per_sample.columns)))
    all_steps = sorted(per_sample["step"].unique())
    shown = thin_steps(all_steps, keep_steps, max_boxes)
    per_sample = per_sample[per_sample["step"].isin(shown)]
    data = per_sample.assign(step=per_sample["step"].astype(str))
    with warnings.catch_warnings():
        # seaborn 0.13 passes matplotlib 3.11 a deprecated argument (vert=); not ours to fix,
        # and a warning printed in a notebook cell would end up in the report.
        warnings.simplefilter("ignore", matplotlib.MatplotlibDeprecationWarning)
        sns.boxplot(data=data, x="step", y=metric, ax=ax, color=PANEL_COLORS[2], fliersize=0,
                    boxprops={"alpha": 0.45})
    # seaborn draws the jitter from numpy's global generator: seeded here (and the
    # caller's state put back) so one run always gives the same figure, byte for byte.
    state = np.random.get_state()
    np.random.seed(JITTER_SEED)
    try:
        sns.stripplot(data=data, x="step", y=metric, ax=ax, color="0.25", size=2.2,
                      alpha=0.55, jitter=0.25)
    finally:
        np.random.set_state(state)
    steps = data["step"].unique()
    if len(steps) > MAX_EPOCH_LABELS:  # keep the step labels legible
        every = int(math.ceil(len(steps) / MAX_EPOCH_LABELS))
        for i, label in enumerate(ax.get_xticklabels()):
            label.set_visible(i % every == 0)
    ax.set_xlabel("checkpoint (step)")
    ax.set_ylabel("per-sample chrF")
    title = "Per-sample chrF by checkpoint"
    if len(shown) < len(all_steps):
        title += (f" ({len(shown)} of {len(all_steps)} checkpoints shown: first, best, last "
                  "and evenly spaced)")
    ax.set_title(title)
    return ax


def _empty_panel(ax: Axes, title: str, message: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            color="0.4", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def _problem_steps(analysis: Any) -> dict[tuple[str, str], dict[str, list[int]]]:
    """Steps of spikes and non-finite values by curve, from the findings' evidence."""
    found: dict[tuple[str, str], dict[str, list[int]]] = {}
    for finding in getattr(analysis, "findings", ()):
        kind = str(getattr(finding.kind, "value", finding.kind))
        if kind not in ("spike", "non_finite"):
            continue
        evidence = finding.evidence or {}
        split, metric = evidence.get("split"), evidence.get("metric")
        if split is None or metric is None:
            continue
        steps = [int(s) for s in evidence.get("steps", [])]
        found.setdefault((split, metric), {}).setdefault(kind, []).extend(steps)
    return found


def _mark_problems(ax: Axes, frame: pd.DataFrame, problems: dict[str, list[int]]) -> None:
    if problems.get("spike"):
        rows = frame[frame["step"].isin(problems["spike"]) & np.isfinite(frame["value"])]
        ax.scatter(rows["step"], rows["value"], s=40, facecolors="none",
                   edgecolors=PROBLEM_COLOR, zorder=5, label=f"spike ({len(rows)})")
    if problems.get("non_finite"):
        steps = sorted(set(problems["non_finite"]))
        # NaN/inf have no y position: mark them on the x axis itself.
        ax.scatter(steps, [0.02] * len(steps), marker="x", color=PROBLEM_COLOR, zorder=5,
                   transform=ax.get_xaxis_transform(), clip_on=False,
                   label=f"NaN/inf ({len(steps)})")


def _mark_best(ax: Axes, analysis: Any, key: tuple[str, str]) -> None:
    summary = analysis.curves.get(key)
    if summary is None or summary.best_step is None or summary.best is None:
        return
    if not math.isfinite(summary.best):
        return
    ax.scatter([summary.best_step], [summary.best], marker="*", s=160, color=BEST_COLOR,
               zorder=6, label=f"best {summary.best:.4g} (step {summary.best_step})")


def epoch_boundaries(run: Any) -> list[tuple[int, float]]:
    """(step, epoch) pairs where each whole epoch is first reached, from the logged epochs."""
    scalars = run.scalars
    known = scalars.loc[np.isfinite(scalars["epoch"]), ["step", "epoch"]]
    if known.empty:
        return []
    known = known.drop_duplicates("step").sort_values("step")
    steps = known["step"].to_numpy()
    # The first step whose epoch reaches a whole number is the first where the running
    # maximum of the epochs does.
    reached = np.maximum.accumulate(known["epoch"].to_numpy(dtype=float))
    last = int(math.floor(reached[-1] + 1e-9))
    firsts = np.searchsorted(reached, np.arange(1, last + 1) - 1e-6, side="left")
    return [(int(steps[i]), float(epoch)) for epoch, i in enumerate(firsts, start=1)]


#: Points between the top of a panel and its title when the epochs are labelled there
#: (matplotlib's own title pad is 6): room for one line of x-small labels.
EPOCH_TITLE_PAD = 15.0


def _mark_epochs(ax: Axes, marks: list[tuple[int, float]]) -> bool:
    """Grey lines at the epoch boundaries, and their numbers above the panel; False: no epochs.

    One line artist for all the boundaries (with NaN breaks between them, as
    :meth:`~matplotlib.axes.Axes.axvline` draws one) and plain text labels: a
    secondary axis and an ``axvline`` per epoch cost about 0.1 s per panel to
    make and draw, more than the curves.
    """
    from matplotlib.lines import Line2D

    if not marks:
        return False
    xs = [x for step, _ in marks for x in (step, step, np.nan)]
    ys = [y for _ in marks for y in (0.0, 1.0, np.nan)]
    # x in data, y in axes units: like axvline, the line widens the x-range to every
    # boundary and leaves the y-range alone.
    ax.add_line(Line2D(xs, ys, color="0.85", lw=0.6, zorder=0,
                       transform=ax.get_xaxis_transform(), label="_epochs"))
    # Up to MAX_EPOCH_LABELS numbers of up to 3 digits fit side by side; longer ones get fewer.
    digits = len(f"{marks[-1][1]:g}")
    most = max(2, MAX_EPOCH_LABELS * 3 // max(3, digits))
    every = max(1, math.ceil(len(marks) / most))
    shown = marks[every - 1 :: every]
    for i, (step, epoch) in enumerate(shown):
        ax.text(step, 1.0, f"epoch {epoch:g}" if i == 0 else f"{epoch:g}",
                transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize="x-small", color="0.3", clip_on=False)
    return True


__all__ = [
    "PANELS", "downsample_indices", "epoch_boundaries", "fit_bulk", "plot_chrf_intervals",
    "plot_curve", "plot_learning_curves", "plot_sample_distributions", "show",
    "substitute_curves", "thin_steps",
]
