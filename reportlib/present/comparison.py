"""Several runs side by side: overlaid curves, a table of best checkpoints, a narrative.

Drawing and writing only: every number comes from the runs' scalars, their
analyses and the :class:`~reportlib.analysis.comparison.RunComparison`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import seaborn as sns

from reportlib.analysis import smooth_ema
from reportlib.analysis.comparison import COMPARE_NOISE_MULTIPLIER, Difference, RunComparison
from reportlib.errors import ParameterError
from reportlib.formatting import format_number, format_position
from reportlib.present.figures import (
    FIGSIZE,
    PANELS,
    RAW_ALPHA,
    SMOOTH_MIN_POINTS,
    downsample_indices,
    literal_text,
)
from reportlib.present.narrative import escape_inline
from reportlib.present.settings import DEFAULT_SMOOTHING, check_smoothing

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Colours of the runs, in order (seaborn's colour-blind safe palette).
RUN_PALETTE = "colorblind"


def plot_compare_curves(runs: Sequence[Any], analyses: Sequence[Any], *,
                        smoothing: float = DEFAULT_SMOOTHING, axes: Any = None) -> Figure:
    """Overlay the runs' curves, one panel per curve (training loss, validation loss, metric).

    Long curves are drawn smoothed (TensorBoard's EMA, weight ``smoothing``) over their raw
    values, drawn faint; short ones raw with markers. A star marks each run's
    best value.

    Parameters
    ----------
    runs, analyses:
        The :class:`~reportlib.run.Run` objects and their analyses, in the same order.
    smoothing:
        EMA weight in [0, 1) for the long curves (0: raw only).
    axes:
        Three Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    reportlib.errors.ParameterError
        ``runs`` and ``analyses`` differ in length, ``smoothing`` is not in [0, 1),
        or ``axes`` is not three Axes.
    """
    smoothing = check_smoothing(smoothing)
    if len(runs) != len(analyses):
        raise ParameterError(f"runs and analyses must pair up, got {len(runs)} runs and "
                             f"{len(analyses)} analyses")
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(PANELS), figsize=FIGSIZE, constrained_layout=True)
    else:
        axes = list(axes)
        if len(axes) != len(PANELS):
            raise ParameterError(f"axes must hold {len(PANELS)} Axes, got {len(axes)}")
        fig = axes[0].figure
    colors = sns.color_palette(RUN_PALETTE, n_colors=max(len(runs), 1))
    names = {a.eval_metric_name for a in analyses if a.eval_metric_name}
    for ax, (panel, default_title) in zip(axes, PANELS, strict=True):
        title = default_title
        if panel == "eval_metric":
            title = (literal_text(f"Validation {names.pop()}") if len(names) == 1
                     else "Validation metric")
        drawn = False
        for run, analysis, color in zip(runs, analyses, colors, strict=False):
            key = analysis.panels.get(panel)
            if key is None:
                continue
            frame = run.series(*key)
            _draw_run(ax, frame, smoothing, color, literal_text(run.name))
            summary = analysis.curves.get(key)
            if summary is not None and summary.best is not None and summary.best_step is not None:
                ax.scatter([summary.best_step], [summary.best], marker="*", s=140, color=color,
                           edgecolors="black", linewidths=0.5, zorder=6)
            drawn = True
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylabel(title)
        if drawn:
            ax.legend(loc="best", fontsize="small", frameon=False)
        else:
            ax.text(0.5, 0.5, f"no run logged {title[:1].lower() + title[1:]}", ha="center",
                    va="center", transform=ax.transAxes, color="0.4")
    return fig


def _draw_run(ax: Any, frame: pd.DataFrame, smoothing: float, color: Any, name: str) -> None:
    """One run's curve: raw and faint, its EMA on top (smoothed over every point, drawn
    thinned as the report's figure draws it, by :func:`downsample_indices`)."""
    steps = frame["step"].to_numpy()
    values = frame["value"].to_numpy(dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    shown = downsample_indices(finite)
    if len(values) < SMOOTH_MIN_POINTS or smoothing == 0:
        ax.plot(steps[shown], finite[shown], marker="o", ms=3, color=color, label=name)
        return
    ax.plot(steps[shown], finite[shown], color=color, alpha=RAW_ALPHA, lw=1.0)
    smoothed = np.where(np.isfinite(values), smooth_ema(values, smoothing), np.nan)
    ax.plot(steps[shown], smoothed[shown], color=color, lw=1.8,
            label=f"{name} (EMA {smoothing:g})")


def best_checkpoints_table(comparison: RunComparison) -> pd.DataFrame:
    """One row per run: its best checkpoints by validation loss and by the metric.

    Columns: Run, Best val loss, at, Best <metric>, at, <metric> 95% CI (when
    scored from predictions), Final train loss, Warnings. Values are numbers
    (the caller formats them); positions are text (``"step 570 (epoch 10)"``).
    """
    metric = comparison.metric_name or "metric"
    rows = []
    for e in comparison.runs:
        row: dict[str, Any] = {
            "Run": e.name,
            "Best val loss": e.best_val_loss,
            "Val loss best at": (format_position(e.best_val_step, e.best_val_epoch)
                                 if e.best_val_step is not None else None),
        }
        if e.scored:
            row[f"Best {metric}"] = e.scored_value
            row[f"{metric} best at"] = f"step {e.scored_step}"
            row[f"{metric} 95% CI"] = (None if e.scored_low is None else
                                       f"{format_number(e.scored_low)}–{format_number(e.scored_high)}")
        else:
            row[f"Best {metric}"] = e.best_metric
            row[f"{metric} best at"] = (format_position(e.best_metric_step, e.best_metric_epoch)
                                        if e.best_metric_step is not None else None)
        row["Final train loss"] = e.final_train_loss
        row["Warnings"] = e.n_warnings
        rows.append(row)
    return pd.DataFrame(rows)


def difference_verdict(d: Difference) -> str:
    """Whether a gap counts, in a few words, with the test behind it (for the CLI)."""
    if d.larger_than_noise is None:
        return "cannot tell whether it is larger than the noise"
    verdict = "larger than the noise" if d.larger_than_noise else "within the noise"
    if d.method == "paired_bootstrap":
        return f"{verdict} (paired bootstrap, p = {format_number(d.p_value)})"
    if d.method == "intervals":
        apart = "apart" if d.larger_than_noise else "overlap"
        return f"{verdict} (95% bootstrap intervals {apart})"
    return f"{verdict} (had to exceed {format_number(d.threshold)})"


def _difference_sentence(d: Difference, label: str) -> str:
    best, other = escape_inline(d.best), escape_inline(d.other)
    head = (f"{best} ({format_number(d.best_value)}) is ahead of {other} "
            f"({format_number(d.other_value)}) by {format_number(d.gap)} in {label}")
    if d.method == "paired_bootstrap":
        verdict = ("larger than the noise" if d.larger_than_noise else
                   "not larger than the noise")
        return (f"{head}: a paired bootstrap test on the shared references gives p = "
                f"{format_number(d.p_value)}, so the difference is {verdict}.")
    if d.method == "intervals":
        verdict = ("do not overlap: the difference is larger than the noise" if d.larger_than_noise
                   else "overlap: the difference may be noise")
        return f"{head}; {escape_inline(d.note)}, and their 95% bootstrap intervals {verdict}."
    if d.method == "curve_noise":
        verdict = ("larger than the noise" if d.larger_than_noise else
                   "within the noise")
        note = f" ({escape_inline(d.note)})" if d.note else ""
        return (f"{head}: a gap had to exceed {format_number(d.threshold)} "
                f"({COMPARE_NOISE_MULTIPLIER:g} times the two curves' combined noise) to count, "
                f"so it is {verdict}{note}.")
    return f"{head}; whether that is larger than the noise cannot be told: {escape_inline(d.note)}."


def _mean_sd(spread: Any) -> str | None:
    if spread is None:
        return None
    if spread.sd is None:
        return format_number(spread.mean)
    return f"{format_number(spread.mean)} ± {format_number(spread.sd)}"


def seed_groups_table(comparison: RunComparison) -> pd.DataFrame:
    """One row per group of runs that differ only by seed: mean ± standard deviation over seeds.

    Columns: Runs, Seeds, Best val loss, Best <metric> (``"4.68 ± 0.12"``: mean
    and sample standard deviation over the seeds, as computed by the analysis).
    """
    rows = []
    for group in comparison.seed_groups:
        metric = group.metric_name or "metric"
        rows.append({
            "Runs": ", ".join(group.runs),
            "Seeds": ", ".join(str(s) for s in group.seeds),
            "Best val loss (mean ± sd)": _mean_sd(group.best_val_loss),
            f"Best {metric} (mean ± sd)": _mean_sd(group.best_metric),
        })
    return pd.DataFrame(rows)


def seed_groups_markdown(comparison: RunComparison) -> str:
    """What the seed-group section says: which runs were grouped and how, or that none were."""
    if not comparison.seed_groups:
        return ("No two runs differ only by their seed (a run needs its seed in run.yaml, its "
                "hyperparameters or its log, and the same setup otherwise, to be grouped).")
    lines = [f"{len(comparison.seed_groups)} group(s) of runs share their setup and differ "
             "only by seed; each value is the mean ± the sample standard deviation over the "
             "seeds, and the figure draws the mean at each evaluation all of them logged, "
             "with a band of one standard deviation."]
    return "\n".join(lines)


def plot_seed_groups(comparison: RunComparison, *, axes: Any = None) -> Figure | None:
    """Validation loss and metric of each seed group: mean per evaluation, ±1 sd band.

    Returns None when the comparison has no seed group (nothing is drawn).
    """
    groups = comparison.seed_groups
    if not groups:
        return None
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(FIGSIZE[0] * 2 / 3, FIGSIZE[1]),
                                 constrained_layout=True)
    fig = axes[0].figure
    colors = sns.color_palette(RUN_PALETTE, len(groups))
    for ax, key, title in ((axes[0], "val_loss", "Validation loss"),
                           (axes[1], "metric", f"Validation {groups[0].metric_name or 'metric'}")):
        for group, color in zip(groups, colors, strict=True):
            points = [(e["step"], e[key]) for e in group.per_evaluation if e[key] is not None]
            if not points:
                continue
            steps = np.array([p[0] for p in points], dtype=float)
            mean = np.array([p[1].mean for p in points])
            sd = np.array([p[1].sd or 0.0 for p in points])
            label = literal_text(f"{' + '.join(group.runs)} ({len(group.runs)} seeds)")
            ax.plot(steps, mean, marker="o", ms=3, color=color, label=label)
            ax.fill_between(steps, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
        ax.set_title(literal_text(title))
        ax.set_xlabel("step")
        ax.legend(fontsize="x-small", frameon=False)
    return fig


def comparison_header_markdown(comparison: RunComparison) -> str:
    """The comparison's title and one line per run (name and run.yaml title), escaped."""
    names = " vs ".join(escape_inline(e.name) for e in comparison.runs)
    lines = [f"# Comparison: {names}", ""]
    for e in comparison.runs:
        title = f": {escape_inline(e.title)}" if e.title else ""
        lines.append(f"- {escape_inline(e.name)}{title}")
    return "\n".join(lines) + "\n"


def render_comparison(comparison: RunComparison) -> str:
    """The comparison's narrative as Markdown: the best run by each criterion, and by how much.

    Returns
    -------
    str: Markdown, one section per criterion; run names are escaped.
    """
    metric = comparison.metric_name
    blocks = []
    lines = ["### Validation loss", ""]
    if comparison.different_tasks:
        lines.append("Not ranked: the runs declare different tasks or datasets, so their "
                     "losses were not measured on the same data.")
    elif comparison.best_by_val_loss is None:
        lines.append("No run logged a validation loss.")
    else:
        entry = comparison.entry(comparison.best_by_val_loss)
        lines.append(f"Best by validation loss: {escape_inline(entry.name)}, "
                     f"{format_number(entry.best_val_loss)} at "
                     f"{format_position(entry.best_val_step, entry.best_val_epoch)}.")
        lines += ["", *(f"- {_difference_sentence(d, 'best validation loss')}"
                        for d in comparison.by("val_loss"))]
    blocks.append("\n".join(lines).rstrip())

    title = f"Validation {metric}" if metric else "Validation metric"
    lines = [f"### {escape_inline(title)}", ""]
    if comparison.not_comparable:
        lines.append("Not comparable, so not ranked by their evaluation metric: "
                     + "; ".join(escape_inline(r) for r in comparison.not_comparable) + ".")
    elif metric is None:
        lines.append("The runs do not share an evaluation metric, so they cannot be ranked by one.")
    elif comparison.best_by_metric is None:
        lines.append(f"No run has a finite {escape_inline(metric)}.")
    else:
        entry = comparison.entry(comparison.best_by_metric)
        if entry.scored:
            where = f"step {entry.scored_step}"
            source = (f"{escape_inline(metric)} computed with sacrebleu from each run's "
                      "prediction files")
        else:
            where = format_position(entry.best_metric_step, entry.best_metric_epoch)
            source = f"{escape_inline(metric)} as logged"
        lines.append(f"Best by {escape_inline(metric)}: {escape_inline(entry.name)}, "
                     f"{format_number(entry.value('metric'))} at {where} ({source}).")
        lines += ["", *(f"- {_difference_sentence(d, 'best ' + escape_inline(metric))}"
                        for d in comparison.by("metric"))]
        if any(d.method == "paired_bootstrap" for d in comparison.by("metric")):
            lines += ["", "Each run's best checkpoint was picked on these same references, "
                      "which favours the winner: read a p-value near the threshold with care."]
    blocks.append("\n".join(lines).rstrip())

    if (comparison.best_by_val_loss and comparison.best_by_metric
            and comparison.best_by_val_loss != comparison.best_by_metric):
        blocks.append(f"Validation loss and {escape_inline(metric)} prefer different runs "
                      f"({escape_inline(comparison.best_by_val_loss)} and "
                      f"{escape_inline(comparison.best_by_metric)}): choose by the one that "
                      "matters for how the model will be used.")
    return "\n\n".join(blocks) + "\n"


def comparison_footer_markdown(notes: Sequence[str], *, version: str, smoothing: float,
                               comparison: RunComparison | None = None) -> str:
    """The comparison's notes (escaped: they quote run names and errors) and its footer.

    Without notes, one sentence says where the metric came from: from every run's
    prediction files when ``comparison`` shows its runs scored, else from the logs
    (never "every run was scored" when none was).
    """
    lines = [f"- {escape_inline(note)}" for note in notes]
    if not lines and comparison is not None:
        scored = sum(e.scored for e in comparison.runs)
        lines = ["Every run was scored from its prediction files." if scored
                 else "No run was scored from prediction files: each metric is the one its "
                 "log recorded."]
    return "\n".join([*lines, "", "---", "",
                      f"<small>Made by reportlib {escape_inline(version)} · "
                      f"smoothing={smoothing:g}</small>"])


__all__ = [
    "RUN_PALETTE",
    "best_checkpoints_table",
    "comparison_footer_markdown",
    "comparison_header_markdown",
    "difference_verdict",
    "plot_seed_groups",
    "seed_groups_markdown",
    "seed_groups_table",
    "plot_compare_curves",
    "render_comparison",
]
