"""run.yaml's say over metric names: ``metric_names`` and ``higher_is_better``.

For names the rules of :mod:`reportlib.metrics` cannot guess, the run folder's
run.yaml maps a name as the log wrote it to ``split/metric``, and says which
way a metric is better::

    metric_names:
      bbox/AP: eval/ap             # detectron2's eval metric has no eval prefix
      sacrebleu: eval/bleu
      my_score: {split: eval, metric: chrf}
    higher_is_better:
      ap: true
      my_error_rate: false

:func:`apply_metric_names` renames the rows of ``run.scalars`` whose
``source_key`` is mapped (a value that then lands on a step the curve already
has replaces the earlier one, with a warning, as everywhere in ingest), and
checks ``higher_is_better`` into ``run.meta["higher_is_better"]``, which
:func:`reportlib.metrics.higher_is_better` takes as ``overrides``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlib.errors import InputError
from reportlib.ingest.run_yaml import RUN_YAML
from reportlib.ingest.tidy import listed, step_range
from reportlib.run import SPLITS, Run

NAMES_KEY = "metric_names"
DIRECTION_KEY = "higher_is_better"


def read_metric_names(value: Any, path: Path) -> dict[str, tuple[str, str]]:
    """Check run.yaml's ``metric_names`` value: ``{logged name: (split, metric)}``.

    Parameters
    ----------
    value:
        The value under the key (a mapping of names to ``"split/metric"`` or
        ``{split: ..., metric: ...}``).
    path:
        The run.yaml file, for errors.

    Raises
    ------
    InputError
        Not a mapping; a target that is not ``train/<metric>`` or
        ``eval/<metric>`` (naming the entry).
    """
    if not isinstance(value, dict):
        raise InputError(
            f"is a {type(value).__name__}, not a mapping of logged names to split/metric",
            path=path,
            where=f"key '{NAMES_KEY}'",
            hint="Write e.g. metric_names: {bbox/AP: eval/ap}",
        )
    names = {}
    for key, target in value.items():
        where = f"key '{NAMES_KEY}.{key}'"
        split = metric = None
        if isinstance(target, str) and "/" in target:
            split, _, metric = target.partition("/")
        elif isinstance(target, dict):
            split, metric = target.get("split"), target.get("metric")
        if split not in SPLITS or not isinstance(metric, str) or not metric.strip():
            raise InputError(
                f"is {target!r}, not 'train/<metric>', 'eval/<metric>' or 'test/<metric>'",
                path=path,
                where=where,
                hint="Write the split (train, eval or test), a slash and the metric, "
                "e.g. eval/chrf",
            )
        names[str(key)] = (split, metric.strip())
    return names


def read_directions(value: Any, path: Path) -> dict[str, bool]:
    """Check run.yaml's ``higher_is_better`` value: ``{metric: true|false}``.

    Raises
    ------
    InputError
        Not a mapping, or a value that is not true or false (naming the metric).
    """
    if not isinstance(value, dict):
        raise InputError(
            f"is a {type(value).__name__}, not a mapping of metric names to true/false",
            path=path,
            where=f"key '{DIRECTION_KEY}'",
            hint="Write e.g. higher_is_better: {ap: true}",
        )
    for key, flag in value.items():
        if not isinstance(flag, bool):
            raise InputError(
                f"is {flag!r}, not true or false",
                path=path,
                where=f"key '{DIRECTION_KEY}.{key}'",
                hint="Write true when a larger value is better, false when a smaller one is",
            )
    return {str(key): flag for key, flag in value.items()}


def apply_metric_names(run: Run, folder: Path) -> None:
    """Apply run.yaml's ``metric_names`` and ``higher_is_better`` (already in ``run.meta``).

    Parameters
    ----------
    run:
        The loaded run, its run.yaml merged into ``meta`` (see
        :func:`reportlib.ingest.run_yaml.apply_run_yaml`); updated in place.
    folder:
        The run folder, to name run.yaml in errors.

    Raises
    ------
    InputError
        From :func:`read_metric_names` and :func:`read_directions`.
    """
    path = Path(folder) / RUN_YAML
    if DIRECTION_KEY in run.meta:
        run.meta[DIRECTION_KEY] = read_directions(run.meta[DIRECTION_KEY], path)
    if NAMES_KEY not in run.meta:
        return
    names = read_metric_names(run.meta[NAMES_KEY], path)
    run.meta[NAMES_KEY] = {key: f"{split}/{metric}" for key, (split, metric) in names.items()}
    scalars = run.scalars
    logged_names = set(scalars["source_key"].unique()) if len(scalars) else set()
    unused = [key for key in names if key not in logged_names]
    if unused:
        run.warnings.append(
            f"{RUN_YAML} metric_names: {listed(repr(k) for k in unused)} matches no name in the "
            f"log (its names: {listed(sorted(logged_names))})"
        )
    if not set(names) & logged_names:
        return
    # As text while renaming: a target may be a name the log never wrote (a new category).
    frame = scalars.astype({"split": str, "metric": str})
    mapped = frame["source_key"].isin(list(names)).to_numpy()
    targets = [names[key] for key in frame.loc[mapped, "source_key"]]
    frame.loc[mapped, "split"] = [split for split, _ in targets]
    frame.loc[mapped, "metric"] = [metric for _, metric in targets]
    # A mapped value on a step its new curve already has replaces the other value.
    position = ["step", "split", "metric"]
    clash = frame.duplicated(position, keep=False).to_numpy()
    if clash.any():
        frame["_mapped"] = mapped
        frame = frame.sort_values([*position, "_mapped"], kind="stable")
        replaced = frame.duplicated(position, keep="last").to_numpy()
        steps = frame.loc[replaced, "step"].to_numpy()
        run.warnings.append(
            f"{RUN_YAML} metric_names put {len(steps)} value(s) on steps their new curve already "
            f"had ({step_range(steps)}): the values of the mapped names were kept"
        )
        frame = frame.loc[~replaced].drop(columns="_mapped")
    run.scalars = (frame.sort_values(position, kind="stable").reset_index(drop=True)
                   .astype({"split": "category", "metric": "category"}))
