"""Every sentence the analysis writes, in one place, with the number formatters they share.

The rule families compute numbers and evidence; the words live here, so
wording is changed in this file only. :func:`say` fills a template: floats
go through :func:`~reportlib.formatting.format_number`, so one value reads the
same everywhere; strings (already formatted positions, percentages, names)
go in as they are. Messages are self-contained sentences: the "At a glance"
summary shows them out of their panel.
"""

from __future__ import annotations

import math
from typing import Any

from reportlib.formatting import (
    format_epoch,
    format_number,
    format_percent,
    format_position,
    plural,
)

TEMPLATES: dict[str, str] = {
    # ---------------------------------------------------------------- generalization
    "overfitting.too_few":
        "Validation loss has {n_text}: too few evaluations to tell whether the model overfits "
        "(at least {needed} are needed).",
    "overfitting.min_is_last":
        "No sign of overfitting: validation loss was lowest at its last {finite_word}"
        "evaluation, {where_min}, at {minimum}.",
    "overfitting.within_noise":
        "No sign of overfitting: validation loss reached its minimum of {minimum} at "
        "{where_min}, and {end_text}, {rise_text}, within its noise (a rise had to exceed "
        "{threshold}).",
    "overfitting.small_rise":
        "Validation loss rose slightly after its minimum of {minimum} at {where_min}: "
        "{end_text}, {rise_text}. That is more than its noise (a rise beyond "
        "{noise_threshold} stands out) but less than the {relative} of the minimum "
        "({threshold}) this report requires to call it overfitting.",
    "overfitting.rising_within_noise":
        "Validation loss may be starting to overfit, but the log alone cannot tell: after "
        "its minimum of {minimum} at {where_min} it rose at each of its last {n_up} "
        "evaluations, to {last} at {where_last}, {rise_text}: a rise still within the "
        "noise estimated from the whole curve (a rise had to exceed {threshold}).",
    "overfitting.above_within_noise":
        "Whether the model overfits cannot be told from this log: validation loss reached "
        "its minimum of {minimum} at {where_min}{first}, and {end_text}, {rise_text}: more "
        "than 2% and more than its noise's standard deviation ({noise}), yet within the 3 "
        "deviations a rise must exceed to count ({threshold}).",
    "overfitting.min_first": " (its first evaluation: all {n_after} later ones were higher, "
                             "{low} to {high})",
    "overfitting.one_point":
        "Too few evaluations after the minimum to call it overfitting: validation loss rose to "
        "{end_level}, {rise_text}, after its minimum of {minimum} at {where_min}, but only at "
        "the last evaluation.",
    "overfitting.rose":
        "validation loss bottomed out at {minimum}{at}, then rose: {end_text}, {rise_text}",
    "overfitting.train_unknown":
        "The model is likely overfitting after {where_min}: {rose}. The rise is more than its "
        "noise threshold of {threshold}; training loss was not logged around these "
        "evaluations, so whether it kept falling is unknown.",
    "overfitting.train_fell":
        "The model is overfitting after {where_min}: {rose}, while training loss kept falling "
        "from {train_at_min} to {train_at_end}{source}. The rise is more than its noise "
        "threshold of {threshold}.",
    "overfitting.train_did_not_fall":
        "Validation loss rose after its minimum while training loss did not keep falling: "
        "{rose}, and training loss went from {train_at_min} to {train_at_end}{source}. This is "
        "not the usual overfitting pattern (the rise is more than its noise threshold of "
        "{threshold}); check the learning rate and the training curve for instability.",
    "gap":
        "Validation loss minus training loss{source} went from {gap0} at {where0} to {gap1} at "
        "{where1}: {how}.",
    "early_stopping":
        "Early stopping would have saved {saved} of the {total} steps: a rule on validation "
        "loss with patience {patience} (an evaluation counts as better when it is more than "
        "{min_delta} below the best so far) would have stopped at {where_stop}, keeping the "
        "checkpoint of {where_best}, whose loss of {best} is {near}.",
    # ---------------------------------------------------------------- end of training
    "tail.went":
        "over its last {n_text} ({steps}{epochs}) it went from {first_mean} ({first_what}) to "
        "{last_mean} ({last_what}), a change of {change}",
    "tail.still_improving":
        "{label} was still improving at the end{advice}: {went}. A change had to exceed "
        "{threshold} to count{blocked}.",
    "tail.getting_worse":
        "{label} was getting worse at the end: {went}. A change had to exceed {threshold} to "
        "count.",
    "tail.plateau":
        "{label} has plateaued: {went}. Even allowing for its noise ({level} interval "
        "{interval}) the change stays within {band} ({band_percent}).",
    "tail.unclear":
        "Whether {label_lower} was still changing at the end is unclear: {went}. A change had "
        "to exceed {threshold} to stand out from its noise{rounding}, and its {level} interval "
        "({interval}) had to lie within {band} ({band_percent}) to count as a plateau.",
    "tail.changing":
        "{label} was still {way} at the end: {went}. A change had to exceed {threshold} to "
        "count; whether higher is better for it is not known (run.yaml's higher_is_better "
        "can say), so this is not called improving or worsening.",
    "tail.too_few":
        "{label} has {n_text}: too few to tell whether it plateaued or was still improving at "
        "the end (at least {needed} are needed).",
    # ---------------------------------------------------------------- progress over the run
    "no_improvement.flat":
        "{label} did not {verb} from its first {units} to its last: {ends}, a change of "
        "{change}, {within} (a change had to exceed {threshold} to count). Training after "
        "step {first_step} did not measurably improve it.",
    "no_improvement.within_noise": "which is within its noise",
    "no_improvement.within_floor": "less than {relative} of its level",
    "no_improvement.worse":
        "{label} got worse from its first {units} to its last: {ends}, a change of {change}, "
        "more than its noise allows (a change had to exceed {threshold} to count).",
    "no_improvement.ends":
        "the median of its first {first_text} ({first_steps}) was {start} and of its last "
        "{last_text} ({last_steps}) {end}",
    "no_improvement.ends_one":
        "its first {unit} ({first_steps}) was {start} and its last ({last_steps}) {end}",
    "advice.train_longer": ", so more training may help",
    "advice.blocked": "; no advice to train longer: {reason}",
    # ---------------------------------------------------------------- anomalies
    "spike":
        "{label} has {count_text}: {named}.",
    "spike.item": "{value} at {where}, where its neighbours on either side average {bound} "
                  "{baseline}",
    "spike.heavy_tailed":
        "{label} has {count} of its {n} points ({share}) far {side} their neighbours: too "
        "many to be isolated spikes; its point-to-point noise is heavy-tailed (the farthest "
        "is {value} at {where}, where its neighbours on either side average {bound} "
        "{baseline}).",
    "non_finite":
        "{label} has {count_text} ({kinds}) at step {steps}{tail}.",
    "non_finite.diverged": "; from {where} on every logged value is non-finite: the run diverged",
    "non_finite.none_finite": "; no finite value was logged",
    "non_finite.from": "; from {where} on every logged value is non-finite",
    "divergence":
        "{label} diverged from {where_start}: for {n_text} its running median stayed above 2x "
        "its best level so far of {running_min}, peaking at {peak} at {where_peak}, "
        "{ratio_min} that level{ratio_first}{lr}.{climb} {recovery} Its best level so far is "
        "the lowest running median of {window} points before the divergence.",
    "divergence.since":
        " Its running median had been at or above twice that level since {where_since}, climbing "
        "slowly; from {where_start} on it had also given back half of what it had gained.",
    "divergence.recovered":
        "Its running median came back below twice that level ({threshold}) at {where_end}, "
        "and it ended at {last} ({ratio_last} that level).",
    "divergence.not_recovered":
        "It had not come back below twice that level ({threshold}) by its last logged point "
        "({last} at {where_last}).",
    "divergence.partly_recovered":
        "It partly recovered, to {last} at its last logged point, {where_last}, but stayed "
        "above twice that level ({threshold}).",
    "overfitting.earlier_best":
        "Whether the model overfits cannot be told from this log: its own running best "
        "validation loss ({source} {value}) is lower than every evaluation it lists (the "
        "lowest, {lowest} at {where}), so validation loss was lower before the log begins.",
    "overfitting.diverged":
        "Whether the model overfits cannot be judged from validation loss: a loss of this run "
        "diverged, and the swings of the divergence, not generalization, shape the validation "
        "curve (see the divergence finding).",
    # ---------------------------------------------------------------- checkpoints
    "best.by_loss": "by validation loss, {where} with loss {value}",
    "best.by_metric": "by {name}, {where} with {name} {value}",
    "best.agree": ": the two criteria agree",
    "best.tied": " (a tie: it first reached that at {where})",
    "best.differ_tested":
        ": they differ; the paired bootstrap on the run's predictions gives p = {p} for "
        "{name} between the two ({verdict})",
    "best.differ_untested":
        ": the two criteria pick different checkpoints ({name} at the lowest-loss "
        "checkpoint is {value_there}, {shortfall} below its best); {why_unknown}",
    "best.unknown_log": "the log alone cannot tell whether that difference is noise (scored "
                        "predictions would)",
    "best.unknown_scored": "the paired bootstrap on the predictions did not compare these two "
                           "checkpoints, so whether that difference is noise is not known",
    "best.differ": ": the two criteria pick different checkpoints",
    "best.selected": "; the run itself kept step {selected} as its best model{by}",
    "best.selected_by": ", by its {what}",
    "best.earlier":
        "; the log's own running best ({source} {value}) is lower than every evaluation it "
        "lists, so the run's best checkpoint by validation loss came before this log's first "
        "evaluation",
    "metric.too_few":
        "Validation {name} and validation loss share {n_text}: too few evaluations to tell "
        "whether they move together (at least {needed} are needed).",
    "metric.constant":
        "Validation {name} or validation loss is constant over the {n_text}: their rank "
        "correlation is undefined.",
    "metric.agrees":
        "Validation {name} and validation loss move together: their Spearman rank correlation "
        "is {rho} over {n_text} (perfect agreement would be {expected}), and both pick "
        "{where}.",
    "metric.agrees_rank":
        "Validation {name} and validation loss move together: their Spearman rank correlation "
        "is {rho} over {n_text} (perfect agreement would be {expected}).",
    "metric.disagrees_rank":
        "Validation {name} and validation loss do not move together: their Spearman rank "
        "correlation is {rho} over {n_text} (agreement would be near {expected}), so a lower "
        "validation loss did not reliably mean a better {name}.",
    "metric.disagrees_best":
        "Validation loss and {name} point at different checkpoints: at the lowest-loss one, "
        "{where_loss}, {name} was {value_there}, {shortfall} worse than its best of {best} at "
        "{where_metric}. That is {why}{rank}; choose by the one that matters for how the model "
        "will be used.",
    "metric.why_noise":
        "more than {multiplier} times the standard deviation of its evaluation-to-evaluation "
        "noise as estimated from the curve ({noise}; a size, not a significance test{untested})",
    "metric.untested": ": the paired bootstrap did not compare these two checkpoints",
    "metric.why_test": "beyond the noise: the paired bootstrap on the run's predictions gives "
                       "p = {p}",
    "metric.rank_also":
        " (though over {n_text} they move together: their Spearman rank correlation is {rho})",
    "metric.rank_apart":
        ", and over {n_text} they do not move together either (their Spearman rank "
        "correlation is {rho}, agreement would be near {expected})",
    # ---------------------------------------------------------------- caveats
    "too_few_points":
        "{label} has {n_text}{over}{setting}: too few to show a trend (at least {needed} are "
        "needed); {remedy}",
    "too_few_points.train": "log more often (a smaller logging_steps) to see the curve.",
    "too_few_points.eval": "evaluate more often (a Trainer's eval_strategy/eval_steps) to see "
                           "the curve.",
    "few_evaluations":
        "The run was evaluated only {n_text}: trends and the best checkpoint rest on few "
        "points (at least {threshold} evaluations make them firmer).",
    "small_dataset":
        "The training set is small: {size_text} (from {source}){epochs}{eval_size}. Curves "
        "from so few examples are noisy, and gains measured on them may not carry over to "
        "other data.",
    "small_dataset.epochs": ", each seen about {epochs} times ({epochs} epochs)",
    "small_dataset.eval": "; the evaluation set has {eval_text}",
    "dataset_size_unknown":
        "The training-set size is not known (run.yaml's dataset.size or dataset.train_size "
        "gives it), so whether the dataset is small cannot be judged.",
    "epochs_length": "{epochs} epoch{s}",
    "epochs_length.planned": "{epochs} of {planned} planned epoch{s}",
    "dataset_size_estimate":
        "The training-set size is not stated in the log; {bound} {size_text} is an estimate "
        "({how}{source}), not a count{verdict}",
    "dataset_size_estimate.small":
        ": if it holds, the set is small (under {threshold} examples), so curves are noisy "
        "and gains measured on it may not carry over to other data.",
    "dataset_size_estimate.large":
        ": if it holds, the set is not small (at least {threshold} examples).",
    "dataset_size_estimate.unjudged": ", so whether the dataset is small is not judged.",
    "few_epochs":
        "Training ran {length}{origin}: too short for a plateau or overfitting to "
        "show, so their absence says little.",
    "few_epochs.shown":
        "Training ran {length}{origin}: a short run, so what its curves show rests "
        "on few passes over the data.",
    "ingest_warning": "While reading the log: {text}{end}",
    # ---------------------------------------------------------------- broken objective
    "broken_objective.unbounded_below":
        "The {label} goes negative and keeps growing in magnitude: from {first} at step "
        "{first_step} to {last} at step {last_step} ({growth} times larger, {late} times over "
        "the second half). A loss unbounded below is a broken objective (a sign error, or a "
        "custom loss with no lower bound), not progress: no trend or overfitting claim is made "
        "from it.",
    "broken_objective.constant":
        "The {label} is exactly {value} at all {points} logged points (steps {first_step} to "
        "{last_step}): the model learned nothing the loss can measure.{classes}{accuracy} No "
        "trend or overfitting claim is made from it.",
    "broken_objective.classes":
        " {value} is ln({classes}) to the log's precision, the loss of a uniform guess over "
        "{classes} classes.",
    "broken_objective.accuracy": " The {split} accuracy averages {mean}{chance}.",
    "broken_objective.chance": ", chance for {classes} classes",
    # ---------------------------------------------------------------- chrF from predictions
    "chrf_source":
        "chrF is computed here from the predictions of {checkpoints} ({samples} each) with "
        "sacrebleu ({signature}){comparison}",
    "chrf_source.no_log":
        "; the log has no chrF of its own at those checkpoints, so these values come from the "
        "predictions only (there is no logged chrF to compare them with).",
    "chrf_source.matches":
        "; it matches the log's own chrF at every shared checkpoint (largest difference "
        "{difference}).",
    "chrf_source.differs":
        "; the log's own chrF differs from it by up to {difference} points, so the log used "
        "other settings or other references: the report shows the recomputed values' "
        "intervals beside the logged curve.",
    "chrf_test":
        "sacrebleu's paired bootstrap over the {samples} ({resamples} resamples) gives "
        "p = {p_value}",
    "chrf_moved":
        "Per sample, {improved} improved, {stayed} stayed within {tolerance} point and "
        "{regressed} regressed.",
    "chrf_gain_significant":
        "chrF rose from {first} to {best} ({delta}), step {first_step} to step {best_step} "
        "(first to best checkpoint); {test}: the gain is larger than the noise. {moved}",
    "chrf_gain_not_significant":
        "chrF went from {first} to {best} ({delta}), step {first_step} to step {best_step} "
        "(first to best checkpoint), but {test}: the gain is within the noise of this "
        "validation set. {moved}",
    "chrf_drop_after_best":
        "chrF fell from {first} to {best} ({delta}), step {first_step} to step {best_step} "
        "(best to last checkpoint); {test}: the last checkpoint is worse than the best by "
        "more than the noise.",
    # ---------------------------------------------------------------- panels without data
    "no_data.train_loss": "Training loss was not logged in this run.",
    "no_data.val_loss":
        "Validation loss was not logged: the run was not evaluated (or its evaluations were "
        "not saved), so generalisation cannot be judged.",
    "no_data.val_loss_evaluated":
        "Validation loss was not logged (the evaluations logged {metric}{others}): "
        "overfitting cannot be judged from the loss.",
    "no_data.eval_metric":
        "No evaluation metric independent of the loss was logged (such as chrF): the quality "
        "of the outputs is not measured in this log{derived}.",
    "no_data.val_loss_final":
        "Validation loss was not logged during training: {file} holds one evaluation after "
        "it (eval_loss {value}), so there is no curve to judge generalisation by.",
    "no_data.val_loss_tested":
        "Validation loss was not logged: the run was evaluated only on its test set (see the "
        "overall observations), so generalisation during training cannot be judged.",
    "no_data.eval_metric_tested":
        "No validation metric independent of the loss was logged (such as chrF): the quality "
        "of the outputs is measured only by the test evaluation ({names}){derived}.",
    "test_results":
        "The log has a held-out test evaluation: {items}. The report's curves and verdicts "
        "come from the training and validation splits only.",
    "test_results.item": "{values} at {where}{count}",
    "test_results.value": "{name} {value}",
    "test_results.count": " (the last of {n} test values)",
    "no_data.derived":
        " ({names} {verb} computed from the loss itself, so {pronoun} say nothing the loss "
        "does not)",
}
"""Sentence templates by key; :func:`say` fills them."""


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return format_number(value) if value is None else str(value)
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def say(key: str, **fields: Any) -> str:
    """The template ``key`` of :data:`TEMPLATES` filled with ``fields`` (floats formatted)."""
    return TEMPLATES[key].format(**{name: _text(v) for name, v in fields.items()})


def cap(text: str) -> str:
    """The text with its first letter upper-cased (a label starting a sentence)."""
    return text[:1].upper() + text[1:]


def step_list(steps: list[int], more: int) -> str:
    """``"10, 20 and 3 more"``: at most the listed steps, then how many others."""
    text = ", ".join(str(s) for s in steps)
    return text + (f" and {more} more" if more > 0 else "")


def ratio(x: float | None) -> str:
    """A ratio as "14x"; "n/a" when unknown."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{format_number(x)}x"


__all__ = [
    "TEMPLATES",
    "cap",
    "format_epoch",
    "format_number",
    "format_percent",
    "format_position",
    "plural",
    "ratio",
    "say",
    "step_list",
]
