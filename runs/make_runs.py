"""Train the example runs of runs/ for real: a tiny GPT-2 on Python stdlib functions.

Not part of the quick start or CI; needs the transformers extra
(``pip install -e ".[examples]"``). See runs/README.md for the command,
what it produces and how long it took. Usage, from the repository root::

    python runs/make_runs.py --run all          # or --run tiny-codegen

What it does, reproducibly (fixed seeds, CPU, nothing downloaded):

1. builds a code-generation dataset from this Python's own standard library
   with ``ast``: prompt = a top-level function's ``def`` line(s) and docstring,
   reference = the rest of its body (3 to 25 lines); 500 examples drawn with a
   fixed seed, 450 train / 50 validation;
2. trains a 2,000-token byte-level BPE tokenizer on the 450 training texts
   (``tokenizers``);
3. trains a randomly initialised GPT-2 (2 layers, 4 heads, n_embd 128) with the
   transformers Trainer, TensorBoard logging and
   :class:`reportlib.integrations.transformers.ChrfCallback`, which writes
   ``references.jsonl`` and ``predictions/step-XXXXXX.jsonl`` and logs
   ``eval_chrf`` at each evaluation;
4. keeps trainer_state.json, the TensorBoard events (``tb/``), run.yaml,
   references.jsonl and predictions/; no weights or optimizer state are saved.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import random
import shutil
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

SEED = 1234
"""One seed for the data split, the initial weights and the data order."""

DATASET_SIZE = 500
"""Examples drawn from the ~1,000 candidates: the size the issue asks for."""

EVAL_SIZE = 50
"""Validation examples: enough for a corpus chrF that moves, few enough to
generate for at every epoch on one CPU thread in seconds."""

MIN_BODY_LINES, MAX_BODY_LINES = 3, 25
"""Bodies shorter than 3 lines are mostly ``return x``; longer than 25 do not
fit the context together with their docstring."""

MAX_EXAMPLE_CHARS = 1200
"""Prompt + body characters: keeps an example under the 512-token context of the
model with this tokenizer (about 3 characters per token), so nothing is cut."""

VOCAB_SIZE = 2000
"""Byte-level BPE vocabulary: small enough for a 0.7 M-parameter model to learn
its embeddings from 450 examples."""

MAX_LENGTH = 512
"""Context length (n_positions) and truncation length of training texts."""

MAX_NEW_TOKENS = 64
"""Tokens generated per validation prompt at each evaluation."""

EOS = "<|endoftext|>"
PAD = "<|pad|>"
"""A pad token distinct from EOS, so the collator does not mask the EOS labels
and the model learns where a body ends."""

SKIP_PARTS = frozenset({"test", "tests", "idle_test", "site-packages", "lib2to3", "turtledemo",
                        "__pycache__"})
"""Stdlib folders left out: test suites and third-party code are not stdlib functions."""


@dataclass(frozen=True)
class RunSpec:
    """The settings of one example run."""

    name: str
    title: str
    train_size: int
    epochs: int
    learning_rate: float
    logging_steps: int
    batch_size: int = 8
    warmup_steps: int = 20
    notes: str = ""


RUNS: dict[str, RunSpec] = {
    spec.name: spec
    for spec in (
        RunSpec(
            name="tiny-codegen",
            title="Tiny GPT-2 on stdlib functions, 10 epochs",
            train_size=450,
            epochs=10,
            learning_rate=1e-3,
            logging_steps=10,
            notes=("A tiny randomly initialised GPT-2 (2 layers, about 0.7 M parameters) trained "
                   "on CPU for 10 epochs on 450 Python stdlib functions; its numbers are real but "
                   "low: it learns Python's look, not what the docstring asks for."),
        ),
        RunSpec(
            name="tiny-codegen-overfit",
            title="Tiny GPT-2 on 60 stdlib functions, 40 epochs (overfits)",
            train_size=60,
            epochs=40,
            learning_rate=3e-3,
            logging_steps=4,
            notes=("The same tiny randomly initialised GPT-2, trained on CPU on only the first 60 "
                   "of the 450 training examples for 40 epochs at learning rate 3e-3, so that it "
                   "overfits for real: validation loss reaches a minimum and then rises. Same 50 "
                   "validation examples as tiny-codegen. Its numbers are real."),
        ),
    )
}


def extract_examples(stdlib_dir: Path) -> list[dict[str, str]]:
    """Every top-level function of the stdlib with a docstring and a short body.

    Returns dicts ``{"id": "<file>:<name>", "prompt": the def line(s) and the
    docstring, "reference": a line break then the body after the docstring}``
    in a stable order (sorted paths); prompt + reference is the function's source.
    """
    examples: list[dict[str, str]] = []
    seen: set[str] = set()
    for path in sorted(stdlib_dir.rglob("*.py")):
        rel = path.relative_to(stdlib_dir)
        if SKIP_PARTS.intersection(rel.parts):
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # a few stdlib files are templates or in other encodings
        lines = source.splitlines(keepends=True)
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or ast.get_docstring(node) is None:
                continue
            if len(node.body) < 2:
                continue
            doc = node.body[0]
            # The prompt stops at the docstring's closing quotes and the reference
            # starts with the line break: byte-level BPE merges a line break with
            # the next line's indentation, so splitting after the break would
            # leave the prompt ending in a token never seen before an indented line.
            prompt = "".join(lines[node.lineno - 1 : doc.end_lineno]).rstrip("\r\n")
            body = "".join(lines[doc.end_lineno : node.end_lineno]).lstrip("\r\n")
            reference = "\n" + body
            n_lines = len(body.splitlines())
            example_id = f"{rel.as_posix()}:{node.name}"
            if not MIN_BODY_LINES <= n_lines <= MAX_BODY_LINES or example_id in seen:
                continue
            if len(prompt) + len(reference) > MAX_EXAMPLE_CHARS:
                continue
            seen.add(example_id)
            examples.append({"id": example_id, "prompt": prompt, "reference": reference})
    return examples


def make_split(examples: list[dict[str, str]]) -> tuple[list[dict], list[dict]]:
    """Draw DATASET_SIZE examples with SEED; the last EVAL_SIZE are validation."""
    if len(examples) < DATASET_SIZE:
        raise SystemExit(f"only {len(examples)} candidate functions, need {DATASET_SIZE}")
    drawn = random.Random(SEED).sample(examples, DATASET_SIZE)
    return drawn[: DATASET_SIZE - EVAL_SIZE], drawn[DATASET_SIZE - EVAL_SIZE :]


def train_tokenizer(texts: list[str]):
    """A byte-level BPE tokenizer trained on ``texts``, wrapped for transformers."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=VOCAB_SIZE, min_frequency=2,
                            special_tokens=[EOS, PAD], show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token=EOS,
                                   bos_token=EOS, pad_token=PAD)


class TokenizedExamples:
    """A torch-style dataset: prompt + body + EOS, truncated to MAX_LENGTH."""

    def __init__(self, tokenizer, examples: list[dict[str, str]]) -> None:
        self.items = []
        for ex in examples:
            ids = tokenizer(ex["prompt"] + ex["reference"], add_special_tokens=False)["input_ids"]
            ids = (ids + [tokenizer.eos_token_id])[:MAX_LENGTH]
            self.items.append({"input_ids": ids})

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        return self.items[i]


def train_run(spec: RunSpec, out_dir: Path, threads: int) -> None:
    """Train one run into ``out_dir / spec.name`` (emptied first)."""
    import torch
    import transformers
    import yaml
    from transformers import (
        DataCollatorForLanguageModeling,
        GPT2Config,
        GPT2LMHeadModel,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from reportlib.integrations.transformers import ChrfCallback

    torch.set_num_threads(threads)
    run_dir = out_dir / spec.name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    # The TensorBoard callback reads this when the Trainer is built; a fixed name
    # instead of its default runs/<date>_<host>/.
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(run_dir / "tb")

    stdlib_dir = Path(sysconfig.get_paths()["stdlib"])
    train_all, valid = make_split(extract_examples(stdlib_dir))
    tokenizer = train_tokenizer([ex["prompt"] + ex["reference"] for ex in train_all])
    train = train_all[: spec.train_size]
    longest_prompt = max(len(tokenizer(ex["prompt"])["input_ids"]) for ex in valid)
    if longest_prompt + MAX_NEW_TOKENS > MAX_LENGTH:
        raise SystemExit(f"a validation prompt has {longest_prompt} tokens: too long for the "
                         "context")

    set_seed(SEED)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=MAX_LENGTH, n_embd=128, n_layer=2,
                        n_head=4, bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = GPT2LMHeadModel(config)
    n_params = sum(p.numel() for p in model.parameters())

    args = TrainingArguments(
        output_dir=str(run_dir),
        num_train_epochs=spec.epochs,
        per_device_train_batch_size=spec.batch_size,
        per_device_eval_batch_size=EVAL_SIZE,
        learning_rate=spec.learning_rate,
        warmup_steps=spec.warmup_steps,
        eval_strategy="epoch",
        logging_strategy="steps",
        logging_steps=spec.logging_steps,
        save_strategy="no",
        report_to=["tensorboard"],
        seed=SEED,
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    callback = ChrfCallback(
        [ex["prompt"] for ex in valid],
        [ex["reference"] for ex in valid],
        ids=[ex["id"] for ex in valid],
        max_new_tokens=MAX_NEW_TOKENS,
        batch_size=25,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=TokenizedExamples(tokenizer, train),
        eval_dataset=TokenizedExamples(tokenizer, valid),
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
        processing_class=tokenizer,
    )
    callback.attach(trainer)
    start = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - start
    trainer.save_state()

    for pattern in ("checkpoint-*", "*.safetensors", "*.bin", "*.pt", "*.pth"):
        for leftover in run_dir.glob(pattern):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()

    meta = {
        "title": spec.title,
        "model": {"name": "gpt2-tiny", "architecture": "GPT2LMHeadModel", "parameters": n_params,
                  "n_layer": config.n_layer, "n_head": config.n_head, "n_embd": config.n_embd},
        "dataset": {"name": "python-stdlib-functions (generated by runs/make_runs.py)",
                    "size": spec.train_size + len(valid), "train_size": spec.train_size,
                    "eval_size": len(valid)},
        "epochs": spec.epochs,
        "seed": SEED,
        "learning_rate": spec.learning_rate,
        "wall_time_seconds": round(wall, 1),
        "notes": (f"{spec.notes} Trained with torch {torch.__version__}, transformers "
                  f"{transformers.__version__} on Python {platform.python_version()}'s stdlib, "
                  f"{threads} CPU thread(s); wall time includes evaluation and greedy generation "
                  f"of {MAX_NEW_TOKENS} new tokens for each of the {len(valid)} validation prompts "
                  "at every epoch."),
        "generated_by": f"runs/make_runs.py --run {spec.name}",
    }
    with open(run_dir / "run.yaml", "w", encoding="utf-8") as handle:
        yaml.safe_dump(meta, handle, sort_keys=False, allow_unicode=True, width=100)
    print(f"{spec.name}: {n_params} parameters, {wall:.1f} s, chrF by step: {callback.history}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--run NAME|all``, ``--out DIR``, ``--threads N``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", choices=[*RUNS, "all"], default="all")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write the run folders into (default: runs/)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    opts = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may come from a model hub
    out_dir = Path(os.path.relpath(opts.out)) if opts.out.is_absolute() else opts.out
    names = list(RUNS) if opts.run == "all" else [opts.run]
    for name in names:
        train_run(RUNS[name], out_dir, opts.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
