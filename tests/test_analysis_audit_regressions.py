"""Regressions found by reading reports sentence by sentence against their logs.

Each case is a log in tests/data (generated ones are labelled there, with the
script that made them) and a sentence the report must or must not contain.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reportlib
from reportlib.present.narrative import render_narrative

DATA = Path(__file__).resolve().parent / "data"


def _kinds(result) -> list[str]:
    return [f.kind.value for f in result.analysis.findings]


def test_a_rise_at_every_last_evaluation_is_not_called_no_overfitting():
    """fairseq (generated): 5.30 (min) -> 5.45 -> 5.70 while training loss falls; the noise
    threshold (0.59) comes from the steep early fall, so the rise is 'within noise'."""
    result = reportlib.analyze(DATA / "fairseq" / "generated_new_style")
    assert "no_overfitting" not in _kinds(result)
    (finding,) = [f for f in result.analysis.findings
                  if f.evidence.get("rule") == "rising_within_noise"]
    assert "cannot tell" in finding.message and "rose at each of its last 2" in finding.message
    assert "5.30" in finding.message and "5.70" in finding.message


def test_no_early_stopping_claim_on_a_constant_validation_loss():
    """Keras (generated): validation loss 2.3026 at every epoch is a broken objective; ranking
    its checkpoints ('keeping step 1, the run's lowest') contradicts that finding."""
    result = reportlib.analyze(DATA / "keras" / "generated_constant_loss")
    kinds = _kinds(result)
    assert "broken_objective" in kinds and "early_stopping" not in kinds


def test_withheld_cross_curve_claims_are_not_reported_as_a_missing_validation_loss():
    """Keras (generated): both losses broken; the log does have a validation loss."""
    result = reportlib.analyze(DATA / "keras" / "generated_negative_loss")
    text = render_narrative(result.analysis)
    assert "the log has no validation loss" not in text
    assert "none could be made from these curves" in text


def test_a_run_that_reached_max_steps_is_not_a_cut_short_epoch_plan():
    """A real HF log: global_step == max_steps == 10 at epoch 0.16; num_train_epochs (1) was
    derived from max_steps, so '0.16 of 1 planned epoch' would misread a finished run."""
    name = "hf_trainer_state__khushpatel2002__method-comment-generation__model_trainer_state.json"
    result = reportlib.analyze(DATA / "hf" / name)
    (few,) = [f for f in result.analysis.findings if f.kind.value == "few_epochs"]
    assert "Training ran 0.16 epochs" in few.message and "planned" not in few.message
    # The fact is read once, in ingest, so the run-facts table says the same.
    assert "epochs_planned" not in result.run.meta
    from reportlib.present.tables import run_facts_table

    facts = dict(run_facts_table(result.run, result.analysis).to_numpy().tolist())
    assert facts["Epochs"].startswith("0.16 (from ") and "planned" not in facts["Epochs"]


def test_a_fast_rising_start_is_not_a_spike():
    """A real mmengine log: mAP 0.0005, 0.0047, 0.0371, 0.0642... only rises; the second
    value sits far below its neighbours' mean but between them, so it is no spike."""
    result = reportlib.analyze(DATA / "mmengine" / "detection_20230525")
    assert not [f for f in result.analysis.findings
                if f.kind.value == "spike" and f.evidence.get("metric") == "map"]


def test_monotone_passage_matches_a_scan_per_point():
    import numpy as np

    from reportlib.analysis.anomalies import _monotone_through

    def scan(values, reach):
        out = np.zeros(len(values), dtype=bool)
        for i in range(1, len(values) - 1):
            steps = np.diff(values[max(0, i - reach): i + reach + 1])
            out[i] = bool(np.all(steps > 0) or np.all(steps < 0))
        return out

    rng = np.random.default_rng(7)  # seeded generated curves, with ties from rounding
    for _ in range(200):
        values = np.cumsum(rng.normal(size=int(rng.integers(1, 15))))
        if rng.random() < 0.5:
            values = np.round(values)
        for reach in (1, 2, 3):
            assert (_monotone_through(values, reach) == scan(values, reach)).all()


def test_a_best_checkpoint_never_contradicts_the_logs_own_best_loss():
    """A real fairseq excerpt (epochs 81-84): its valid lines say best_loss 6.84088, lower
    than any loss they list (6.846 the lowest). 'Best checkpoint: step 10092' alone
    contradicted that line."""
    result = reportlib.analyze(DATA / "fairseq" / "flores7_excerpt.log")
    (best,) = [f for f in result.analysis.findings if f.kind.value == "best_checkpoint"]
    assert best.message.startswith("Best checkpoint among this log's evaluations")
    assert "(best_loss 6.84) is lower than every evaluation it lists" in best.message
    assert best.evidence["earlier_best"] == {"value": 6.84088, "source_key": "best_loss",
                                             "lowest": 6.846, "lowest_step": 10092,
                                             "lowest_epoch": 81.0}


def _fairseq_log(folder: Path, best: list[float]) -> Path:
    """GENERATED here: a fairseq log whose validation loss falls at each of 8 evaluations
    (5.0 down to 4.3), with the given best_loss on each valid line."""
    lines = []
    for i, (loss, best_loss) in enumerate(zip([5.0, 4.9, 4.8, 4.7, 4.6, 4.5, 4.4, 4.3], best,
                                              strict=True), start=1):
        lines.append(f"| epoch {i:03d} | loss {loss - 0.5:.3f} | num_updates {100 * i}")
        lines.append(f"| epoch {i:03d} | valid on 'valid' subset | loss {loss:.3f} | "
                     f"num_updates {100 * i} | best_loss {best_loss}")
    path = folder / "train.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_earlier_best_loss_makes_no_overfitting_and_early_stopping_claims(tmp_path):
    own = [5.0, 4.9, 4.8, 4.7, 4.6, 4.5, 4.4, 4.3]  # the running best of the losses listed
    (tmp_path / "own").mkdir()
    plain = reportlib.analyze(_fairseq_log(tmp_path / "own", own))
    assert "no_overfitting" in _kinds(plain)
    assert "running best" not in render_narrative(plain.analysis)
    (tmp_path / "earlier").mkdir()
    earlier = reportlib.analyze(_fairseq_log(tmp_path / "earlier", [4.1] * 8))
    kinds = _kinds(earlier)
    assert "no_overfitting" not in kinds and "early_stopping" not in kinds
    (finding,) = [f for f in earlier.analysis.findings
                  if f.evidence.get("reason") == "earlier_best"]
    assert finding.message == (
        "Whether the model overfits cannot be told from this log: its own running best "
        "validation loss (best_loss 4.10) is lower than every evaluation it lists (the lowest, "
        "4.30 at step 800 (epoch 8)), so validation loss was lower before the log begins.")


def test_a_running_best_within_the_logs_rounding_is_the_same_checkpoint():
    from reportlib.analysis.checkpoints import earlier_best

    frame = pd.DataFrame({"step": [1, 2], "epoch": [1.0, 2.0], "value": [6.9, 6.846]})
    for best, expected in ((6.8455, None), (6.846, None), (6.8449, 6.8449)):
        found = earlier_best(frame, {"loss": {"value": best, "source_key": "best_loss"}})
        assert (found and found["value"]) == expected


LSTM = DATA / "lightning" / "DiogoFerreira7__LSTM-Implementation__version_2"
QWEN = DATA / "jsonl" / "xueh88401-web__qwen2.5-7b-medical-finetune"


def test_a_loss_moving_by_float32_ulps_has_plateaued_and_never_learned():
    """A real Lightning log: training loss 0.2522 -> 0.2500 over 3000 tiny epochs, the last
    quarter moving by 2.9e-07 (float32 ulps are 3e-08 there). It was called 'getting worse
    at the end'; and the log starts at epoch 24 (two batches an epoch), which hid that the
    loss never fell."""
    result = reportlib.analyze(LSTM)
    findings = {f.kind.value: f for f in result.analysis.findings if f.panel == "train_loss"}
    assert "getting_worse" not in findings and "plateau" in findings
    assert findings["no_improvement"].message.startswith(
        "Training loss did not fall from its first logged points to its last")
    # the change is over 2% of nothing: the sentence says which bound it is under
    assert "less than 2% of its level" in findings["no_improvement"].message


def test_a_small_rise_beyond_the_noise_is_neither_noise_nor_overfitting():
    """A real LLaMA-Factory log: eval_loss 1.641 -> 1.552 at step 4500, then +1.66% at the
    epoch-2 boundary (noise sd 0.004). 'No sign of overfitting ... within its noise' and
    'did not fall ... training did not measurably improve it' were both false."""
    result = reportlib.analyze(QWEN)
    kinds = _kinds(result)
    assert "no_overfitting" not in kinds and "no_improvement" not in kinds
    (finding,) = [f for f in result.analysis.findings if f.evidence.get("rule") == "small_rise"]
    assert finding.message.startswith("Validation loss rose slightly after its minimum of 1.55")
    assert "1.66% above the minimum" in finding.message
    assert finding.evidence["noise_threshold"] < finding.evidence["rise"] \
        <= finding.evidence["threshold"]


def test_a_test_only_log_reports_its_test_scores_not_that_nothing_was_measured():
    """A real Lightning log of a trainer.test() call (test_loss 0.1567, test_acc 0.9542).
    'The quality of the outputs is not measured in this log' and 'the run was not
    evaluated' were false."""
    folder = DATA / "lightning" / "FelixSoderstrom__waste-classification-cnn__version_0"
    result = reportlib.analyze(folder)
    text = render_narrative(result.analysis)
    assert "not measured" not in text and "was not evaluated" not in text
    (finding,) = [f for f in result.analysis.findings if f.kind.value == "test_results"]
    assert finding.message.startswith("The log has a held-out test evaluation: test_loss 0.157 "
                                      "and test_acc 0.954 at step 0 (epoch 0).")
    assert [(r["source_key"], r["value"]) for r in finding.evidence["results"]] == [
        ("test_loss", 0.15669432282447815), ("test_acc", 0.954224169254303)]
    assert "evaluated only on its test set" in text


def test_a_metric_stuck_at_zero_is_not_the_panel_metric_nor_a_rounding_step():
    """A real printed MT log (audited, not stored here) printed 'Seq Acc: 0.0000' at each of
    52 evaluations next to a token accuracy that moved: the report judged the stuck one,
    with 'one rounding step of the log' of 1.00 (taken from the whole number 0)."""
    from reportlib.analysis import main_eval_metric, resolution
    from reportlib.run import Run, make_scalars

    assert resolution([0.0] * 52) is None
    assert resolution([2.3026] * 8) == 1e-4  # one written value still shows its decimals
    rows = [dict(step=s, split="eval", metric=m, value=v, source_key=m)
            for s in range(1, 11)
            for m, v in (("seq_acc", 0.0), ("token_acc", 0.06 + 0.001 * s))]
    run = Run(name="generated", path=Path("generated"), format="generated",
              scalars=make_scalars(rows))
    assert main_eval_metric(run) == ("eval", "token_acc")


def test_a_negligible_gap_between_best_checkpoints_is_no_disagreement_warning():
    """A real Keras log whose learning rate decayed to 1e-6: accuracy 0.988357 at the
    lowest-loss epoch against its best 0.988424 passed '2 noise deviations' (noise 2.2e-05)
    and was a warning that loss and accuracy point at different checkpoints."""
    result = reportlib.analyze(DATA / "keras" / "4hmetcakmak__BraTS2020CapstoneProject")
    kinds = _kinds(result)
    assert "metric_disagrees_with_loss" not in kinds and "metric_agrees_with_loss" in kinds
    (best,) = [f for f in result.analysis.findings if f.kind.value == "best_checkpoint"]
    assert best.evidence["shortfall"] < best.evidence["threshold"]
    assert "cannot tell whether that difference is noise" in best.message


def test_heavy_tailed_batch_noise_is_a_note_not_a_list_of_spikes():
    """Per-batch losses logged every 50 steps (real Lightning MNIST logs, audited) had 24 of
    171 and 1408 of 22,500 points called spikes. Generated here: a falling loss with
    Student-t noise (2 degrees of freedom), seeded."""
    from reportlib.analysis import detect_spikes

    rng = np.random.default_rng(7)
    steps = np.arange(1, 401) * 50
    values = 0.05 + 2.0 * np.exp(-steps / 2000) + 0.02 * np.abs(rng.standard_t(2, 400))
    frame = pd.DataFrame({"step": steps, "epoch": steps / 2000.0, "value": values})
    (finding,) = detect_spikes(frame, split="train", metric="loss", label="training loss",
                               panel="train_loss", higher_is_better=False)
    assert finding.severity.value == "info" and finding.evidence["heavy_tailed"]
    assert finding.evidence["count"] > 0.01 * 400
    assert "too many to be isolated spikes" in finding.message
    # one spike on the same kind of curve without the tail stays a warning with its step
    calm = 0.05 + 2.0 * np.exp(-steps / 2000) + rng.normal(0, 0.002, 400)
    calm[200] *= 4
    frame = pd.DataFrame({"step": steps, "epoch": steps / 2000.0, "value": calm})
    (finding,) = detect_spikes(frame, split="train", metric="loss", label="training loss",
                               panel="train_loss", higher_is_better=False)
    assert finding.severity.value == "warning" and finding.evidence["steps"] == [10050]


def test_the_last_point_before_a_step_down_in_the_level_is_not_a_spike():
    """A real multi-epoch SFT log (audited): the loss steps down at each epoch (means 0.571,
    0.297, 0.174); the last loss of epoch 2, 0.317, was 'a spike where its neighbours are
    about 0.217', averaged across the step. Generated here: two levels with the step
    after point 50, seeded noise."""
    from reportlib.analysis import detect_spikes

    rng = np.random.default_rng(3)
    steps = np.arange(1, 101) * 10
    values = np.where(np.arange(100) < 50, 0.28, 0.17) + rng.normal(0, 0.01, 100)
    values[49] = 0.317  # high for its own epoch's level, by under a quarter
    frame = pd.DataFrame({"step": steps, "epoch": steps / 500.0, "value": values})
    assert detect_spikes(frame, split="train", metric="loss", label="training loss",
                         panel="train_loss", higher_is_better=False) == []


def test_a_trend_against_the_first_and_last_values_says_what_it_compares():
    """A real HF log: accuracy 0.902 at epoch 1, 0.414 at epoch 2, ..., 0.779 at epoch 10.
    'a change of -13.7% ... Its trend is increasing' contradicted its own numbers."""
    from reportlib.present.narrative import curve_sentences

    folder = DATA / "hf" / "arshiv-web__Financial-News-Sentiment-Analysis__checkpoint-10350"
    accuracy = reportlib.analyze(folder).analysis.curves[("eval", "accuracy")]
    text = " ".join(curve_sentences("Validation accuracy", accuracy))
    assert ("a change of -13.7%, over 10 finite evaluations. Its trend is increasing (the median "
            "of its first 2 evaluations, 0.658, against that of its last 2, 0.797: its first and "
            "last values alone go the other way).") in text


def test_a_validation_run_after_fit_is_not_a_point_of_the_validation_curve():
    """A real Lightning log: fit ends at step 8594 (epoch 4, val_loss 0.0392); then a
    trainer.validate() row at step 8595, 'epoch 5' (val_loss 0.0142) with no training
    between. It made 'still improving, more training may help' and the best checkpoint."""
    folder = DATA / "lightning" / "HCDescamps__cv-image-classification__version_0"
    result = reportlib.analyze(folder)
    val = result.run.series("eval", "loss")
    assert val["step"].max() == 8594
    assert any("at step 8595 (epoch 5) left out of the validation curves" in w
               for w in result.run.warnings)
    (best,) = [f for f in result.analysis.findings if f.kind.value == "best_checkpoint"]
    assert best.evidence["best_checkpoint"]["step"] == 8594
    kinds = [(f.kind.value, f.panel) for f in result.analysis.findings]
    assert ("still_improving", "val_loss") not in kinds
    (test,) = [f for f in result.analysis.findings if f.kind.value == "test_results"]
    assert "test_loss 0.0322 at step 8595 (epoch 5)" in test.message


def test_an_overfitting_validation_loss_is_not_also_said_never_to_have_improved():
    """The real HF log above: validation loss 1.43 (first two) -> 1.33 (epoch 3) -> 1.50. The
    overfitting finding says how it fell and rose; 'did not measurably improve' beside it
    read as a contradiction."""
    folder = DATA / "hf" / "arshiv-web__Financial-News-Sentiment-Analysis__checkpoint-10350"
    kinds = [(f.kind.value, f.panel) for f in reportlib.analyze(folder).analysis.findings]
    assert ("overfitting", "overall") in kinds and ("no_improvement", "val_loss") not in kinds


def test_a_real_change_of_a_metric_of_unknown_direction_is_said_to_rise_not_to_be_unclear():
    """An audited MT log's token accuracy (a name of unknown direction) rose by 5.25e-04 over
    its tail, past the 1.00e-04 it had to exceed, and was called 'unclear'. Generated here:
    a steady rise with seeded noise."""
    from reportlib.analysis import detect_end_of_training

    rng = np.random.default_rng(5)
    steps = np.arange(1, 41)
    values = 0.066 + 0.00006 * steps + rng.normal(0, 0.00002, 40)
    frame = pd.DataFrame({"step": steps, "epoch": np.nan, "value": values})
    (finding,) = detect_end_of_training(frame, split="eval", metric="token_acc",
                                        label="validation token_acc", panel="eval_metric",
                                        higher_is_better=None, unit="evaluation")
    assert finding.kind.value == "inconclusive"
    assert finding.evidence["reason"] == "direction_unknown"
    assert finding.message.startswith("Validation token_acc was still rising at the end")


def test_the_metric_the_run_chose_its_best_checkpoint_by_is_the_metric_panel():
    """The same log: its best_model_checkpoint was chosen by eval_macro_f1, yet the report
    judged accuracy (0.902 at epoch 1 with a macro F1 of 0.19: the majority class)."""
    folder = DATA / "hf" / "arshiv-web__Financial-News-Sentiment-Analysis__checkpoint-10350"
    assert reportlib.analyze(folder).analysis.panels["eval_metric"] == ("eval", "macro_f1")


def test_the_runs_own_best_checkpoint_names_the_metric_it_was_chosen_by():
    """The real HF log above keeps best_model_checkpoint checkpoint-8280 and best_metric
    0.2461 but not the metric's name: 'kept step 8280' was unexplained next to the best
    checkpoints by loss (3105) and by accuracy (1035). It is eval_macro_f1 at step 8280."""
    folder = DATA / "hf" / "arshiv-web__Financial-News-Sentiment-Analysis__checkpoint-10350"
    (best,) = [f for f in reportlib.analyze(folder).analysis.findings
               if f.kind.value == "best_checkpoint"]
    assert best.message.endswith(
        "the run itself kept step 8280 as its best model, by its eval_macro_f1 0.246.")


def test_a_falling_curve_with_spikes_is_not_flat_and_did_improve():
    """A real Keras log: val_loss 0.61, 0.96, 0.39, 0.33, 0.92, then 0.25, 0.43, 0.16, 0.17,
    0.29. Its ends, judged by a noise estimate the two spikes inflate, read 'flat', and
    'did not fall ... did not measurably improve it' followed."""
    result = reportlib.analyze(DATA / "keras" / "AbijithT__Lung-Cancer-Detection")
    assert result.analysis.curve("val_loss").trend == "decreasing"
    assert result.analysis.curve("eval_metric").trend == "increasing"
    assert "no_improvement" not in _kinds(result)
    text = render_narrative(result.analysis)
    assert ("Its trend is decreasing (the mean of its first 5 evaluations, 0.643, against that "
            "of its last 5, 0.259") in text


def test_a_minimum_at_the_first_evaluation_is_not_no_sign_of_overfitting():
    """A real HF Whisper log: eval_loss 2.553 at the first evaluation, all 19 later ones 3.14
    to 4.46 (the noise estimate 0.305). 'No sign of overfitting ... within its noise' hid
    that training never improved on the first evaluation."""
    result = reportlib.analyze(DATA / "hf" / "Tanisha-anshu__OpenAi-Whisper-small-Braj")
    assert "no_overfitting" not in _kinds(result)
    (finding,) = [f for f in result.analysis.findings
                  if f.evidence.get("rule") == "above_within_noise"]
    assert "(its first evaluation: all 19 later ones were higher, 3.14 to 4.46)" in finding.message
    assert finding.message.startswith("Whether the model overfits cannot be told from this log")


@pytest.mark.parametrize(("metric", "values", "tail"), [
    # detectron2's AP of small objects on a set without any: NaN at every evaluation
    ("bbox/aps", [math.nan] * 3, "; no finite value was logged."),
    ("loss", [2.0, 1.5, math.nan, math.nan], "on every logged value is non-finite: the run "
                                             "diverged."),
    ("bleu", [10.0, 12.0, math.nan, math.nan], "on every logged value is non-finite."),
])
def test_only_a_loss_that_turns_nan_for_good_is_called_diverged(metric, values, tail):
    """An audited detectron2 log: bbox/APs NaN at its 3 evaluations was 'from step 99 on
    every logged value is non-finite: the run diverged', next to a falling total loss."""
    from reportlib.analysis import detect_non_finite

    frame = pd.DataFrame({"step": [99, 199, 300, 400][:len(values)], "epoch": math.nan,
                          "value": values})
    (finding,) = detect_non_finite(frame, split="eval", metric=metric, label=f"validation {metric}",
                                   panel="overall", critical=False)
    assert finding.message.endswith(tail)


def test_a_rank_correlation_is_never_rounded_to_a_perfect_one_it_is_not():
    """An audited HF log's Spearman of -0.998 read '-1.00 (perfect agreement would be -1)'."""
    from reportlib.analysis.checkpoints import rho_text

    assert [rho_text(r) for r in (-0.998, -1.0, -0.9999999999999998, 0.63, 0.9996)] == [
        "-0.998", "-1.00", "-1.00", "+0.63", "+0.9996"]


def test_a_slow_climb_into_divergence_says_since_when_it_was_above_twice_its_best():
    """An audited text-simplification run: training loss fell from 0.028 to 0.0019, then
    climbed for seven epochs to 0.032. 'Diverged from step 3090' (where it had given back
    half its progress) hid that it had been above twice its best since epoch 6.4.
    Generated here: the same shape, seeded noise."""
    from reportlib.analysis import detect_divergence

    rng = np.random.default_rng(11)
    down = np.geomspace(0.028, 0.002, 100)
    up = np.geomspace(0.002, 0.032, 200)
    values = np.concatenate([down, up]) * (1 + rng.normal(0, 0.03, 300))
    steps = np.arange(1, 301) * 10
    frame = pd.DataFrame({"step": steps, "epoch": steps / 300.0, "value": values})
    (finding,) = detect_divergence(frame, split="train", metric="loss", label="training loss",
                                   panel="train_loss")
    since, start = finding.evidence["above_twice_since_step"], finding.evidence["start_step"]
    assert since < start
    assert f"had been at or above twice that level since step {since}" in finding.message


def test_a_metric_tied_at_its_best_agrees_with_the_lowest_loss_checkpoint():
    """An audited classifier's accuracy is 1.0 at every evaluation from step 170 on; its
    lowest loss is at step 420. 'The two criteria pick different checkpoints (accuracy at
    the lowest-loss checkpoint is 1.00, 0 below its best)' called a tie a disagreement.
    Generated here."""
    from reportlib.analysis.checkpoints import compare_best_checkpoints

    steps = [10 * i for i in range(1, 11)]
    val = pd.DataFrame({"step": steps, "epoch": math.nan,
                        "value": [1.0 / i for i in range(1, 11)]})
    acc = pd.DataFrame({"step": steps, "epoch": math.nan,
                        "value": [0.4, 0.6, 0.6, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]})
    best, findings = compare_best_checkpoints(val, acc, metric="accuracy",
                                              metric_label="accuracy", higher_is_better=True)
    assert best.agree is True and best.by_metric.step == 100
    assert "(a tie: it first reached that at step 40)" in findings[0].message
    assert all(f.kind.value != "metric_disagrees_with_loss" for f in findings)


def test_a_loss_at_the_logs_rounding_floor_can_plateau():
    """An audited Bert2Bert run's loss sat at 0.0007-0.0009 written to 4 decimals: 'unclear'
    asked its interval (+- 1e-4, one rounding step) to fit in a band of one step, which it
    never can. Generated here: 40 values at 4 decimals around 0.0008, seeded."""
    from reportlib.analysis import detect_end_of_training

    rng = np.random.default_rng(9)
    values = np.round(0.0008 + rng.choice([-1e-4, 0.0, 1e-4], 40), 4)
    frame = pd.DataFrame({"step": np.arange(1, 41) * 100, "epoch": math.nan, "value": values})
    (finding,) = detect_end_of_training(frame, split="train", metric="loss",
                                        label="training loss", panel="train_loss",
                                        higher_is_better=False, unit="logged point")
    assert finding.kind.value == "plateau"
    assert "two rounding steps of the log" in finding.message


def test_a_noisy_curve_best_at_its_end_gets_no_bad_stop_and_no_did_not_fall():
    """A real HF ViT log: eval_loss 0.633 at epoch 1, up to 1.40 in between, and its lowest,
    0.276, at the last evaluation. Early stopping 'keeping step 137, whose loss of 0.633 is
    within 0.598 of the run's lowest' (its noise made 2.3x 'near'), and 'did not fall',
    sat next to 'lowest at its last evaluation'."""
    result = reportlib.analyze(DATA / "hf" / "alicelouis47__VisLungTransformer")
    kinds = _kinds(result)
    assert "early_stopping" not in kinds and "no_improvement" not in kinds
    assert "no_overfitting" in kinds


def test_eval_steps_is_named_only_when_the_evaluations_follow_it():
    """An audited run evaluated once per epoch (step 625) with the Trainer's default
    eval_steps=500 in its state: '1 finite evaluation over 1250 steps (eval_steps=500)'
    named a setting the run did not use. Generated curves here."""
    from reportlib.analysis.caveats import detect_too_few_points
    from reportlib.analysis.curves import summarize_curve

    for first, named in ((625, False), (500, True)):
        frame = pd.DataFrame({"step": [first], "epoch": [1.0], "value": [0.5]})
        summary = summarize_curve(frame, split="eval", metric="loss")
        (finding,) = detect_too_few_points(summary, label="validation loss", total_steps=1250,
                                           eval_steps=500)
        assert ("(eval_steps=500)" in finding.message) is named
