"""Tests of plain-text log ingest: the presets on real logs, and run.yaml patterns.

Expected values of the real logs are read from the file with ``re`` and the
line forms PROVENANCE.tsv describes, not with reportlib's presets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportlib.errors import FormatNotRecognisedError, InputError
from reportlib.ingest import detect_format, load_run, text_log

DATA = Path(__file__).parent / "data" / "text_log"
OPENNMT = DATA / "opennmt_log__BitMap4__morphological-inflections__train.log"
CAFFE = DATA / "plaintext_log__BVLC__caffe__train.log"
MARIAN = DATA / "plaintext_log__GuoxiangJiang__Transformer-in-en-de-trans__logs_train.log"


def write(folder: Path, text: str, name: str = "train.log") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_opennmt_log() -> None:
    text = OPENNMT.read_text()
    steps = [int(s) for s in re.findall(r"Step (\d+)/100000;", text)]
    xent = [float(x) for x in re.findall(r"xent:\s+([\d.]+);", text)]
    ppl = [float(x) for x in re.findall(r"Validation perplexity: ([\d.]+)", text)]
    run = load_run(OPENNMT)
    assert run.format == "text_log"
    assert run.meta["text_log_preset"] == "opennmt"
    assert run.series("train", "loss")[["step", "value"]].values.tolist() == [
        [s, x] for s, x in zip(steps, xent, strict=True)]
    # Validation lines carry no step: each belongs to the Step line before it (every 200).
    eval_ppl = run.series("eval", "perplexity")
    assert eval_ppl["value"].tolist() == ppl
    assert eval_ppl["step"].tolist() == list(range(200, 1601, 200))
    assert run.meta["stopped_early"] is True and run.meta["best_step"] == 1200
    assert run.warnings == []


def test_caffe_log() -> None:
    run = load_run(CAFFE)
    assert run.meta["text_log_preset"] == "caffe"
    assert run.series("train", "loss")[["step", "value"]].values.tolist() == [
        [0, 2.40473], [100, 0.224371]]
    assert run.series("train", "learning_rate")["value"].tolist() == [0.01, 0.00992565]


def test_caffe_test_net_outputs(tmp_path: Path) -> None:
    path = write(tmp_path, "I0728 solver.cpp:330] Iteration 500, Testing net (#0)\n"
                           "I0728 solver.cpp:397]     Test net output #0: accuracy = 0.9812\n"
                           "I0728 solver.cpp:397]     Test net output #1: loss = 0.061 (* 1 = "
                           "0.061 loss)\n")
    run = text_log.load(path)
    assert run.series("eval", "accuracy")[["step", "value"]].values.tolist() == [[500, 0.9812]]
    assert run.series("eval", "loss")["value"].tolist() == [0.061]


def test_a_log_without_metrics_is_not_recognised_but_loads_when_named() -> None:
    """Marian's nohup log holds only warnings: no format claims it; forced, it is empty."""
    with pytest.raises(FormatNotRecognisedError, match=r"Supported formats: .*text_log, "):
        load_run(MARIAN)
    run = load_run(MARIAN, log_format="text_log")
    assert run.scalars.empty
    assert run.warnings == [
        "no line matched a preset or a run.yaml pattern: the log holds no logged values; add "
        "text_log patterns to run.yaml"
    ]


NANOGPT = """\
tokens per iteration will be: 491,520
step 0: train loss 10.9876, val loss 10.9901
iter 0: loss 10.9880, time 3021.12ms, mfu -100.00%
iter 10: loss 9.5321, time 301.55ms, mfu 12.10%
step 250: train loss 4.1023, val loss 4.2188
iter 250: loss 4.0501, time 299.80ms, mfu 12.35%
"""


def test_nanogpt_log(tmp_path: Path) -> None:
    run = text_log.load(write(tmp_path, NANOGPT))
    assert run.meta["text_log_preset"] == "nanogpt"
    assert run.series("train", "loss")[["step", "value"]].values.tolist() == [
        [0, 10.988], [10, 9.5321], [250, 4.0501]]
    assert run.series("eval", "loss")["value"].tolist() == [10.9901, 4.2188]
    # The eval line's train loss is an estimate over eval batches, its own curve.
    assert run.series("train", "loss_estimate")["value"].tolist() == [10.9876, 4.1023]
    assert run.warnings == []


HF_PRINTED = (
    "  5%|▌         | 10/200 [00:05<01:30,  2.10it/s]"  # tqdm's bar, then the dict
    "{'loss': 2.31, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}\n"
) + """\
{'loss': '1.95', 'grad_norm': '0.9', 'learning_rate': '4e-05', 'epoch': '1.0'}
{'eval_loss': 2.05, 'eval_chrf': 31.5, 'eval_runtime': 3.2, 'epoch': 1.0}
{'train_runtime': 95.1, 'train_samples_per_second': 8.4, 'train_loss': 2.1, 'epoch': 1.0}
"""


def test_hf_printed_dicts_without_progress_bar(tmp_path: Path) -> None:
    text = HF_PRINTED.split("]", 1)[1]  # the same dicts, no tqdm bar at all
    run = text_log.load(write(tmp_path, text))
    assert run.meta["text_log_preset"] == "hf_print"
    loss = run.series("train", "loss")
    assert loss[["step", "value", "epoch"]].values.tolist() == [[1, 2.31, 0.5], [2, 1.95, 1.0]]
    # The eval printed after the second training line shares its step.
    assert run.series("eval", "chrf")[["step", "value"]].values.tolist() == [[2, 31.5]]
    assert run.meta["train_summary"]["train_runtime"] == 95.1
    assert ("train", "train_loss") not in run.curves()
    assert run.meta["step_unit"] == "log line"
    assert run.warnings[0].startswith("the Trainer's printed logs carry no step")


def test_hf_printed_dicts_one_bar_before(tmp_path: Path) -> None:
    # One counter (10/200 at epoch 0.5: 20 steps per epoch) and no bar after any
    # dict: the others are placed by their epoch at that rate.
    run = text_log.load(write(tmp_path, HF_PRINTED))
    assert run.series("train", "loss")["step"].tolist() == [10, 20]
    assert run.series("eval", "chrf")["step"].tolist() == [20]
    assert run.meta["max_steps"] == 200
    assert "step_unit" not in run.meta


# Captured with `python -u hfprint.py > train.log 2>&1` (GENERATED here with
# transformers 5.25 and tqdm 4.70, see tests/data/PROVENANCE.tsv): 300 examples,
# batch 8 -> 38 steps per epoch, 3 epochs = 114 steps, logging_steps=10, eval per epoch.
HF_CAPTURED = DATA / "generated_hf_print_tqdm__train.log"
HF_STEPS_PER_EPOCH, HF_EPOCHS, HF_LOGGING_STEPS = 38, 3, 10


def test_hf_printed_dicts_take_the_progress_bar_step() -> None:
    run = text_log.load(HF_CAPTURED)
    total = HF_STEPS_PER_EPOCH * HF_EPOCHS
    loss = run.series("train", "loss")
    assert loss["step"].tolist() == list(range(HF_LOGGING_STEPS, total, HF_LOGGING_STEPS))
    evals = run.series("eval", "loss")
    assert evals["step"].tolist() == [HF_STEPS_PER_EPOCH * e for e in range(1, HF_EPOCHS + 1)]
    assert evals["epoch"].tolist() == [float(e) for e in range(1, HF_EPOCHS + 1)]
    assert (run.meta["max_steps"], run.meta["global_step"]) == (total, total)
    assert run.warnings[0].startswith("the Trainer's printed dicts carry no step: each took")


def test_hf_printed_dicts_counter_past_int64_is_not_a_step(tmp_path: Path) -> None:
    huge = "9" * 25
    lines = [f"| {huge}/{huge} [00:00]", "{'loss': 1.0, 'epoch': 0.5}", f"| {huge}/{huge} [", ""]
    run = text_log.load(write(tmp_path, "\n".join(lines)))
    assert run.series("train", "loss")["step"].tolist() == [1]
    assert run.meta["step_unit"] == "log line"


@pytest.mark.parametrize(
    "counters",
    [
        (50, 20, 10),  # counters after the dicts go backwards: streams mixed out of order
        (90, 90, 0),  # a second run restarting its bar in the same file
    ],
)
def test_hf_printed_dicts_unusable_bar_falls_back_to_lines(tmp_path: Path, counters) -> None:
    first, second, third = (f"  x%| | {n}/90 [00:01<00:00]" for n in counters)
    lines = [first, "{'loss': 2.0, 'epoch': 0.5}", second, "{'loss': 1.0, 'epoch': 1.0}", third, ""]
    run = text_log.load(write(tmp_path, "\n".join(lines)))
    assert run.series("train", "loss")["step"].tolist() == [1, 2]
    assert run.meta["step_unit"] == "log line"


def test_run_yaml_patterns(tmp_path: Path) -> None:
    write(tmp_path, "ep 1 it 100 | loss=2.5\nep 1 it 200 | loss=2.0\nvalid bleu 12.5\n")
    (tmp_path / "run.yaml").write_text(
        "text_log:\n"
        "  patterns:\n"
        "    - 'ep (?P<epoch>\\d+) it (?P<step>\\d+) \\| loss=(?P<loss>\\S+)'\n"
        "    - {regex: 'valid bleu (?P<bleu>\\S+)', split: eval}\n"
    )
    assert detect_format(tmp_path / "train.log") == "text_log"
    run = load_run(tmp_path / "train.log")
    assert run.meta["text_log_preset"] == "run.yaml"
    assert run.series("train", "loss")[["step", "value", "epoch"]].values.tolist() == [
        [100, 2.5, 1.0], [200, 2.0, 1.0]]
    assert run.series("eval", "bleu")[["step", "value"]].values.tolist() == [[200, 12.5]]


def test_a_run_yaml_pattern_with_an_epoch_and_no_step_counts_epochs(tmp_path: Path) -> None:
    # An audited Python-logging log ('Epoch 3/35, Train Loss: ...'): every value was
    # skipped as 'before any step', next to 'no line matched'.
    write(tmp_path, "Epoch 1/2, Train Loss: 1.63, Test Acc: 40.1%\n"
                    "Epoch 2/2, Train Loss: 1.20, Test Acc: 52.3%\n")
    (tmp_path / "run.yaml").write_text(
        "text_log:\n  patterns:\n"
        "    - 'Epoch (?P<epoch>\\d+)/2, Train Loss: (?P<loss>\\S+), Test Acc: "
        "(?P<test_acc>[\\d.]+)%'\n")
    run = load_run(tmp_path / "train.log")
    assert run.series("train", "loss")[["step", "epoch", "value"]].values.tolist() == [
        [1, 1.0, 1.63], [2, 2.0, 1.20]]
    assert run.series("test", "accuracy")["value"].tolist() == [40.1, 52.3]
    assert run.warnings == []


@pytest.mark.parametrize(
    ("text_log_yaml", "pattern"),
    [
        ("text_log: [1, 2]", r"key 'text_log': is not a mapping with 'patterns'"),
        ("text_log: {patterns: []}", r"key 'text_log': has no 'patterns' list"),
        ("text_log: {patterns: ['loss (?P<loss>']}",
         r"key 'text_log\.patterns\[0\]': is not a valid regular expression \(missing \), "),
        ("text_log: {patterns: ['step (?P<step>\\d+)']}",
         r"key 'text_log\.patterns\[0\]': has no named group for a value"),
        ("text_log: {patterns: [{regex: 'x (?P<a>\\d)', split: test}]}",
         r"key 'text_log\.patterns\[0\]': is not a regular expression, or a"),
    ],
)
def test_bad_run_yaml_patterns(tmp_path: Path, text_log_yaml: str, pattern: str) -> None:
    log = write(tmp_path, "iter 1: loss 2.0\n")
    (tmp_path / "run.yaml").write_text(text_log_yaml + "\n")
    with pytest.raises(InputError, match=pattern):
        text_log.load(log)


def test_values_before_any_step_are_skipped(tmp_path: Path) -> None:
    run = text_log.load(write(tmp_path, "Validation perplexity: 9.1\n"
                                        "Step 50/100; acc: 10.0; ppl: 20.0; xent: 3.0; lr: 1.0;\n"))
    assert run.series("train", "loss")["value"].tolist() == [3.0]
    assert run.warnings == ["1 value before any step skipped (no earlier line set the step)"]


def test_folder_with_one_log(tmp_path: Path) -> None:
    write(tmp_path, NANOGPT, name="out.txt")
    write(tmp_path, "just notes\n", name="notes.log")
    assert detect_format(tmp_path) == "text_log"
    assert text_log.load(tmp_path).meta["text_log_preset"] == "nanogpt"


def test_a_cut_last_line_is_left_out(tmp_path: Path) -> None:
    """'iter 20: loss 2.4' may be '2.4817' being written: not read as 2.4."""
    run = text_log.load(write(tmp_path, "iter 10: loss 2.5012\niter 20: loss 2.4"))
    assert run.series("train", "loss")["value"].tolist() == [2.5012]
    assert run.meta["in_progress"] is True
    assert run.warnings == [
        "the last line (2) has no line end: the run is still writing the log, or it was copied "
        "while being written; that line was left out"
    ]


@pytest.mark.parametrize(
    "lines",
    [
        ["Starting training on cuda", "2024-01-01 10:00:00 Ep 3 | tr_loss 0.52 | va_loss=0.61, "
         "acc: 88.5%", "2024-01-01 10:01:00 Ep 4 | tr_loss 0.48 | va_loss=0.59, acc: 89.0%"],
        ["[trainer] it=10 loss: 2.31 lr: 1e-4", "[trainer] it=20 loss: nan lr: 1e-4"],
        ["Global Step 100 Train Loss 1.25 (smoothed 1.3)", "Global Step 200 Train Loss 1.1 "
         "(smoothed 1.2)"],
    ],
)
def test_not_recognised_error_gives_a_pattern_that_reads_the_log(
    tmp_path: Path, lines: list[str]
) -> None:
    log = tmp_path / "out.log"
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatNotRecognisedError, match=r"first line with numbers is line \d") \
            as info:
        load_run(log)
    message = str(info.value)
    assert "\n" not in message
    first = next(line for line in lines if re.search(r"\d", line.split("]")[-1]))
    assert repr(first) in message
    # Copy the run.yaml text from the error, as a user would: it reads every line like it.
    copied = re.search(r"text_log: \{patterns: \['(.*)'\]\}", message).group(1)
    (tmp_path / "run.yaml").write_text("text_log: {patterns: ['" + copied + "']}\n")
    run = load_run(log)
    assert run.format == "text_log"
    numbers = {float(n) for n in re.findall(r"\d+\.?\d*(?:e-?\d+)?|nan", first)}
    at_first = run.scalars[run.scalars["step"] == run.scalars["step"].min()]["value"]
    assert len(at_first) and {v for v in at_first if v == v} <= numbers  # v == v: not NaN
    with_numbers = [line for line in lines if line is not lines[0] or line is first]
    assert run.scalars["step"].nunique() == len(with_numbers)


def test_the_hint_reads_the_line_the_log_repeats_with_its_position_and_names(
    tmp_path: Path,
) -> None:
    # As audited Python-logging logs: settings printed once, then a line per epoch with
    # "Epoch [i/N]" and two-word names; the file is named training.log, and its
    # timestamped lines with commas are not a CSV header.
    lines = ["2025-04-24 21:16:20,207 - INFO - focal_alpha: 1, batch: 64, seed: 7"]
    lines += [f"2025-04-24 21:17:{10 + i:02d},828 - INFO - Epoch [{i}/3], Train Loss: "
              f"{2.0 / i:.4f}, Val Loss: {2.2 / i:.4f}, Val Acc: {20.0 * i:.2f}%"
              for i in (1, 2, 3)]
    log = tmp_path / "training.log"
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatNotRecognisedError) as info:
        load_run(tmp_path)  # the folder: not taken for a CSV whose header lacks a step
    with pytest.raises(FormatNotRecognisedError) as info:
        load_run(log)
    message = str(info.value)
    assert "the line with numbers it repeats most (3 lines like it) is line 2" in message
    copied = re.search(r"text_log: \{patterns: \['(.*)'\]\}", message).group(1)
    (tmp_path / "run.yaml").write_text("text_log: {patterns: ['" + copied + "']}\n")
    run = load_run(log)
    assert run.series("train", "loss")[["step", "epoch", "value"]].values.tolist() == [
        [1, 1.0, 2.0], [2, 2.0, 1.0], [3, 3.0, 0.6667]]
    assert run.series("eval", "loss")["value"].tolist() == [2.2, 1.1, 0.7333]
    assert run.series("eval", "accuracy")["value"].tolist() == [20.0, 40.0, 60.0]


def test_a_file_path_with_a_line_number_is_not_a_named_number(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    log.write_text("/home/u/envs/x/lib/python3.9/site-packages/transformers/models/marian/"
                   "tokenization_marian.py:175: UserWarning: Recommended: pip install x.\n")
    with pytest.raises(FormatNotRecognisedError) as info:
        load_run(log)
    assert "text_log: {patterns" not in str(info.value)


def test_no_named_number_gives_no_pattern(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    log.write_text("hello\n12 34\n")
    with pytest.raises(FormatNotRecognisedError, match=r"recognises this file\. Supported") as info:
        load_run(log)
    assert "text_log: {patterns" not in str(info.value)
