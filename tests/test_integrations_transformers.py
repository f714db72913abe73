"""Tests of reportlib.integrations.transformers (ChrfCallback and helpers).

A tiny randomly initialised GPT-2 and a byte-level BPE tokenizer trained here on
a few lines are trained for two steps with an evaluation after each; the files
the callback writes and the eval_chrf it logs are checked against sacrebleu,
trainer_state.json and the TensorBoard event file. Needs the transformers extra.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tensorboard")

import sacrebleu  # noqa: E402
import torch  # noqa: E402
from tokenizers import ByteLevelBPETokenizer  # noqa: E402
from transformers import (  # noqa: E402
    DataCollatorForLanguageModeling,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
    Trainer,
    TrainerControl,
    TrainerState,
    TrainingArguments,
    set_seed,
)

from reportlib.errors import DependencyMissingError, ParameterError  # noqa: E402
from reportlib.integrations.transformers import (  # noqa: E402
    ChrfCallback,
    generate_predictions,
    predictions_filename,
)

EOS, PAD = "<|endoftext|>", "<|pad|>"
MAX_NEW_TOKENS = 4
RECORDS = [
    {"id": "add", "prompt": "def add(a, b):", "reference": "\n    return a + b\n"},
    {"id": "neg", "prompt": "def neg(x):", "reference": "\n    return -x\n"},
    {"id": 7, "prompt": "def first(items):", "reference": "\n    return items[0]\n"},
]
TRAIN_TEXTS = [r["prompt"] + r["reference"] for r in RECORDS] + [
    "def twice(x):\n    return x + x\n",
    "def last(items):\n    return items[-1]\n",
    "def square(x):\n    return x * x\n",
    "def empty():\n    return []\n",
    "def first_two(items):\n    return items[:2]\n",
]


def make_tokenizer() -> PreTrainedTokenizerFast:
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(TRAIN_TEXTS, vocab_size=300, min_frequency=1,
                            special_tokens=[EOS, PAD], show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token=EOS, pad_token=PAD)


def make_model(tokenizer: PreTrainedTokenizerFast) -> GPT2LMHeadModel:
    set_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=64, n_embd=16, n_layer=1, n_head=2,
                        eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    return GPT2LMHeadModel(config)


def tokenized(tokenizer: PreTrainedTokenizerFast, texts: list[str]) -> list[dict]:
    return [{"input_ids": tokenizer(t)["input_ids"] + [tokenizer.eos_token_id]} for t in texts]


def make_trainer(tmp: Path, tokenizer, *, report_to: list[str], **arg_overrides) -> Trainer:
    args = TrainingArguments(
        output_dir=str(tmp / "run"),
        per_device_train_batch_size=4,
        per_device_eval_batch_size=4,
        num_train_epochs=1,
        learning_rate=1e-2,
        eval_strategy="steps",
        eval_steps=1,
        logging_steps=1,
        save_strategy="no",
        report_to=report_to,
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
        **arg_overrides,
    )
    return Trainer(
        model=make_model(tokenizer),
        args=args,
        train_dataset=tokenized(tokenizer, TRAIN_TEXTS),
        eval_dataset=tokenized(tokenizer, [r["prompt"] + r["reference"] for r in RECORDS]),
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
        processing_class=tokenizer,
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def chrf_of(path: Path) -> float:
    """Corpus chrF of a prediction file against RECORDS, computed directly with sacrebleu."""
    by_id = {row["id"]: row["prediction"] for row in read_jsonl(path)}
    hyps = [by_id[r["id"]] for r in RECORDS]
    return sacrebleu.corpus_chrf(hyps, [[r["reference"] for r in RECORDS]]).score


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two training steps, evaluated after each, with TensorBoard on; state saved."""
    tmp = tmp_path_factory.mktemp("chrf_callback")
    tokenizer = make_tokenizer()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TENSORBOARD_LOGGING_DIR", str(tmp / "run" / "tb"))
        trainer = make_trainer(tmp, tokenizer, report_to=["tensorboard"])
        callback = ChrfCallback([r["prompt"] for r in RECORDS], [r["reference"] for r in RECORDS],
                                ids=[r["id"] for r in RECORDS], max_new_tokens=MAX_NEW_TOKENS,
                                batch_size=2).attach(trainer)
        trainer.train()
        trainer.save_state()
    return {"run": tmp / "run", "trainer": trainer, "callback": callback, "tokenizer": tokenizer}


def test_references_written_once_with_ids_prompts_references(trained):
    assert read_jsonl(trained["run"] / "references.jsonl") == RECORDS


def test_one_prediction_file_per_evaluation(trained):
    files = sorted(p.name for p in (trained["run"] / "predictions").iterdir())
    assert files == ["step-000001.jsonl", "step-000002.jsonl"]
    for name in files:
        rows = read_jsonl(trained["run"] / "predictions" / name)
        assert [row["id"] for row in rows] == [r["id"] for r in RECORDS]
        assert all(isinstance(row["prediction"], str) for row in rows)


@pytest.mark.parametrize("step", [1, 2])
def test_eval_chrf_is_sacrebleu_of_the_files_in_the_eval_loss_entry(trained, step):
    state = json.loads((trained["run"] / "trainer_state.json").read_text(encoding="utf-8"))
    entries = [e for e in state["log_history"] if "eval_chrf" in e and e["step"] == step]
    assert len(entries) == 1
    assert "eval_loss" in entries[0]  # same entry, not a separate log line
    expected = chrf_of(trained["run"] / "predictions" / predictions_filename(step))
    assert entries[0]["eval_chrf"] == pytest.approx(expected, abs=1e-9)


def test_train_entries_get_no_chrf(trained):
    train_entries = [e for e in trained["trainer"].state.log_history if "loss" in e]
    assert train_entries and all("eval_chrf" not in e for e in train_entries)


def test_tensorboard_event_file_has_eval_chrf(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(trained["run"] / "tb"))
    acc.Reload()
    assert "eval/chrf" in acc.Tags()["scalars"]
    events = acc.Scalars("eval/chrf")
    assert [e.step for e in events] == [1, 2]
    for event in events:
        path = trained["run"] / "predictions" / predictions_filename(event.step)
        assert event.value == pytest.approx(chrf_of(path), abs=1e-4)  # stored as float32


def test_last_predictions_match_unbatched_greedy_generation(trained):
    """Left-padded batches must give what the model generates for each prompt alone."""
    model, tok = trained["trainer"].model, trained["tokenizer"]
    model.eval()
    expected = []
    with torch.no_grad():
        for r in RECORDS:
            enc = tok(r["prompt"], return_tensors="pt")
            out = model.generate(**enc, max_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                                 pad_token_id=tok.pad_token_id)
            new_tokens = out[0, enc["input_ids"].shape[1]:]
            expected.append(tok.decode(new_tokens, skip_special_tokens=True))
    rows = read_jsonl(trained["run"] / "predictions" / "step-000002.jsonl")
    assert [row["prediction"] for row in rows] == expected
    assert trained["callback"].history[-1] == (2, pytest.approx(chrf_of(
        trained["run"] / "predictions" / "step-000002.jsonl")))


def test_evaluate_alone_returns_chrf_and_writes_into_run_dir(tmp_path):
    tokenizer = make_tokenizer()
    trainer = make_trainer(tmp_path, tokenizer, report_to=[])
    run_dir = tmp_path / "elsewhere"
    ChrfCallback([r["prompt"] for r in RECORDS], [r["reference"] for r in RECORDS],
                 run_dir=run_dir, max_new_tokens=2).attach(trainer)
    metrics = trainer.evaluate()
    assert [row["id"] for row in read_jsonl(run_dir / "references.jsonl")] == [0, 1, 2]
    preds = [row["prediction"] for row in read_jsonl(run_dir / "predictions" / "step-000000.jsonl")]
    expected = sacrebleu.corpus_chrf(preds, [[r["reference"] for r in RECORDS]]).score
    assert metrics["eval_chrf"] == pytest.approx(expected, abs=1e-9)
    assert not (tmp_path / "run" / "references.jsonl").exists()


def test_generate_predictions_restores_model_and_tokenizer_state():
    tokenizer = make_tokenizer()
    tokenizer.padding_side = "right"
    model = make_model(tokenizer)
    model.train()
    outputs = generate_predictions(model, tokenizer, [r["prompt"] for r in RECORDS],
                                   max_new_tokens=3, batch_size=2)
    assert len(outputs) == len(RECORDS)
    assert model.training
    assert tokenizer.padding_side == "right"


def test_generate_predictions_uses_eos_when_no_pad_token_and_restores_it():
    tokenizer = make_tokenizer()
    tokenizer.pad_token = None
    model = make_model(tokenizer)
    outputs = generate_predictions(model, tokenizer, [r["prompt"] for r in RECORDS],
                                   max_new_tokens=2, batch_size=3)
    assert len(outputs) == len(RECORDS)
    assert tokenizer.pad_token is None


def test_attach_puts_the_callback_first_once(tmp_path):
    trainer = make_trainer(tmp_path, make_tokenizer(), report_to=[])
    callback = ChrfCallback(["a"], ["b"])
    callback.attach(trainer)
    callback.attach(trainer)
    callbacks = trainer.callback_handler.callbacks
    assert callbacks[0] is callback
    assert sum(cb is callback for cb in callbacks) == 1


@pytest.mark.parametrize(
    ("report_to", "warns"),
    [(["tensorboard"], True), ([], False), (["none"], False)],
)
def test_warns_when_not_attached_and_a_reporter_would_miss_chrf(
    tmp_path, report_to, warns, recwarn
):
    args = TrainingArguments(output_dir=str(tmp_path), report_to=report_to)
    ChrfCallback(["a"], ["b"]).on_train_begin(args, TrainerState(), TrainerControl())
    messages = [str(w.message) for w in recwarn.list if "attach(trainer)" in str(w.message)]
    assert bool(messages) is warns


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"prompts": [], "references": []}, "prompts is empty"),
        ({"prompts": ["a", "b"], "references": ["a"]}, r"differ in length \(2 != 1\)"),
        ({"prompts": "abc", "references": "abc"}, "not one string"),
        ({"prompts": ["a"], "references": ["b"], "ids": [1, 2]}, r"ids and prompts differ"),
        ({"prompts": ["a", "b"], "references": ["c", "d"], "ids": ["x", "x"]}, "'x' appears more"),
        ({"prompts": ["a"], "references": ["b"], "max_new_tokens": 0}, "max_new_tokens must be"),
        ({"prompts": ["a"], "references": ["b"], "batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_callback_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        ChrfCallback(kwargs.pop("prompts"), kwargs.pop("references"), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"max_new_tokens": 0}, "max_new_tokens must be >= 1"), ({"batch_size": -1}, "batch_size")],
)
def test_generate_predictions_rejects_bad_parameters(kwargs, match):
    tokenizer = make_tokenizer()
    with pytest.raises(ParameterError, match=match):
        generate_predictions(make_model(tokenizer), tokenizer, ["def f():"], **kwargs)


def test_generate_predictions_needs_a_pad_or_eos_token():
    tokenizer = make_tokenizer()
    model = make_model(tokenizer)
    tokenizer.pad_token = None
    tokenizer.eos_token = None
    with pytest.raises(ParameterError, match="neither a pad token nor an end-of-sequence"):
        generate_predictions(model, tokenizer, ["def f():"])


@pytest.mark.parametrize(
    ("logs", "kwargs", "match"),
    [
        ({"eval_runtime": 1.0}, {"processing_class": None}, "has no tokenizer"),
        ({"eval_runtime": 1.0, "eval_chrf": 3.0}, {}, "already logged 'eval_chrf'"),
    ],
)
def test_on_log_errors(tmp_path, logs, kwargs, match):
    args = TrainingArguments(output_dir=str(tmp_path), report_to=[])
    with pytest.raises(ParameterError, match=match):
        ChrfCallback(["a"], ["b"]).on_log(args, TrainerState(), TrainerControl(), logs=logs,
                                          model=None, **kwargs)


def test_on_log_ignores_train_entries(tmp_path):
    args = TrainingArguments(output_dir=str(tmp_path), report_to=[])
    logs = {"loss": 2.0, "learning_rate": 1e-3}
    ChrfCallback(["a"], ["b"]).on_log(args, TrainerState(), TrainerControl(), logs=logs,
                                      model=None, processing_class=None)
    assert logs == {"loss": 2.0, "learning_rate": 1e-3}
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("step", "name"),
    [(0, "step-000000.jsonl"), (630, "step-000630.jsonl"), (1234567, "step-1234567.jsonl")],
)
def test_predictions_filename(step, name):
    assert predictions_filename(step) == name


def test_predictions_filename_rejects_negative_step():
    with pytest.raises(ParameterError, match="step must be >= 0, got -1"):
        predictions_filename(-1)


@pytest.mark.parametrize("missing", ["transformers", "torch"])
def test_import_without_the_extra_names_the_install_command(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import <missing>` fail
    monkeypatch.delitem(sys.modules, "reportlib.integrations.transformers")
    with pytest.raises(DependencyMissingError, match=r"pip install reportlib\[transformers\]"):
        importlib.import_module("reportlib.integrations.transformers")
