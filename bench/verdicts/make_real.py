"""Trains the real runs of the verdict benchmark: tiny torch models on the CPU, seeded.

Usage: OMP_NUM_THREADS=1 python bench/verdicts/make_real.py  (rewrites bench/verdicts/runs/real-*)

These are real trainings (every logged number is what the model did); the
*data* they train on is generated here, seeded:

- ``regression``: y = sin(2 x.w1) + 0.5 (x.w2)^2 + noise (sd 0.1), x ~ N(0, I_16),
  w1, w2 ~ N(0, I/16), for an MLP;
- ``sort``: six letters from "abcdefgh" -> the same letters sorted, for an MLP
  over one-hot positions (per-position cross-entropy). Its greedy outputs are
  written as prediction files, so the report scores chrF from them.

Each run trains in a few seconds with one thread (torch.set_num_threads(1)) and
writes its log in a format reportlib reads (HF ``trainer_state.json``,
Lightning ``metrics.csv`` + ``hparams.yaml``, JSON lines, the Trainer's printed
dicts). Shapes asked for (the labels themselves come from the logged values, by
``label.py``): healthy, overfitting (small data, high lr), diverging (lr warmed
up too high), NaN, plateaued (lr decayed to 0), still improving (stopped
early in its descent), resumed (a session cut and restarted from its
checkpoint: repeated steps in the log), interrupted (no end of training),
evaluated per epoch and every N steps, with and without predictions.
``shape.json`` records what each run was made to be, as a note; it is not a label.
"""

from __future__ import annotations

import copy
import math
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from writers import (  # noqa: E402
    write_hf_printed,
    write_jsonl,
    write_lightning_csv,
    write_predictions,
    write_trainer_state,
)

ROOT = Path(__file__).parent / "runs"
LETTERS = "abcdefgh"
SEQ = 6


def regression_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000)  # the same function for every run
    w1, w2 = torch.randn(16, generator=g) / 4, torch.randn(16, generator=g) / 4
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    y = torch.sin(2 * x @ w1) + 0.5 * (x @ w2) ** 2 + 0.1 * torch.randn(n, generator=g)
    return x, y


def sort_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, list[str], list[str]]:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(LETTERS), (n, SEQ), generator=g)
    target = torch.sort(idx, dim=1).values
    x = nn.functional.one_hot(idx, len(LETTERS)).float().reshape(n, -1)
    words = ["".join(LETTERS[i] for i in row) for row in idx.tolist()]
    sorted_words = ["".join(LETTERS[i] for i in row) for row in target.tolist()]
    return x, target, words, sorted_words


@dataclass
class Spec:
    """One run: the task, data size, model width, optimiser and schedule, logging."""

    name: str
    task: str = "regression"
    n_train: int = 2000
    hidden: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    schedule: str = "constant"  # constant | linear (to 0) | warmup_high (up, then cosine)
    epochs: int = 20
    batch: int = 32
    log_every: int = 10
    eval_every: int | None = None  # None: once per epoch
    fmt: str = "hf"  # hf | lightning | jsonl | hf_print
    stop_at: float | None = None  # fraction of the plan after which the run is killed
    resume: tuple[float, float] | None = None  # (checkpoint, crash) fractions of the plan
    predictions: str | None = None  # None | "step" | "epoch"
    weight_decay: float = 0.0
    clip: float | None = None  # gradient-norm clipping (the HF Trainer clips at 1.0)
    seed: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def make_model(spec: Spec, n_in: int, n_out: int) -> nn.Module:
    torch.manual_seed(spec.seed)
    return nn.Sequential(nn.Linear(n_in, spec.hidden), nn.ReLU(),
                         nn.Linear(spec.hidden, spec.hidden), nn.ReLU(),
                         nn.Linear(spec.hidden, n_out))


def lr_at(spec: Spec, step: int, total: int) -> float:
    if spec.schedule == "linear":
        return spec.lr * max(0.0, 1 - step / total)
    if spec.schedule == "warmup_high":  # warm up over 30% to lr, then cosine to 1% of it
        warm = int(0.3 * total)
        if step < warm:
            return spec.lr * step / warm
        cosine = 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))
        return spec.lr * (0.01 + 0.99 * cosine)
    return spec.lr


def train(spec: Spec) -> dict[str, Any]:
    """Train one run; returns its logged points and facts."""
    torch.set_num_threads(1)
    if spec.task == "regression":
        x, y = regression_data(spec.n_train, spec.seed)
        vx, vy = regression_data(300, 999)
        model = make_model(spec, 16, 1)

        def loss_of(m: nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return nn.functional.mse_loss(m(a).squeeze(-1), b)
    else:
        x, y, _, _ = sort_data(spec.n_train, spec.seed)
        vx, vy, v_words, v_sorted = sort_data(64, 999)
        model = make_model(spec, SEQ * len(LETTERS), SEQ * len(LETTERS))

        def loss_of(m: nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            logits = m(a).reshape(len(a), SEQ, len(LETTERS))
            return nn.functional.cross_entropy(logits.reshape(-1, len(LETTERS)), b.reshape(-1))

    steps_per_epoch = math.ceil(spec.n_train / spec.batch)
    total = steps_per_epoch * spec.epochs
    opt_cls = torch.optim.Adam if spec.optimizer == "adam" else torch.optim.SGD
    kwargs = {"momentum": 0.9} if spec.optimizer == "sgd" else {}
    opt = opt_cls(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay, **kwargs)
    g = torch.Generator().manual_seed(spec.seed + 1)
    train_points: list[dict[str, Any]] = []
    eval_points: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []  # every point, in the order it was logged
    predictions: dict[int, list[str]] = {}
    running: list[float] = []
    step = 0
    checkpoint = None
    crash_step = int(spec.resume[1] * total) if spec.resume else None
    resumed = False
    stop_step = int(spec.stop_at * total) if spec.stop_at else None

    def evaluate(at: int) -> None:
        model.eval()
        with torch.no_grad():
            point: dict[str, Any] = {"epoch": round(at / steps_per_epoch, 4),
                                     "eval_loss": float(loss_of(model, vx, vy)), "step": at}
            if spec.task == "sort":
                pred = model(vx).reshape(len(vx), SEQ, len(LETTERS)).argmax(-1)
                point["eval_accuracy"] = float((pred == vy).float().mean())
                if spec.predictions:
                    key = at if spec.predictions == "step" else round(at / steps_per_epoch)
                    predictions[key] = ["".join(LETTERS[i] for i in row) for row in pred.tolist()]
        eval_points.append(point)
        lines.append(point)
        model.train()

    started = time.perf_counter()
    while step < total:
        perm = torch.randperm(spec.n_train, generator=g)
        for start in range(0, spec.n_train, spec.batch):
            if step >= total:
                break
            batch = perm[start:start + spec.batch]
            for group in opt.param_groups:
                group["lr"] = lr_at(spec, step, total)
            loss = loss_of(model, x[batch], y[batch])
            opt.zero_grad()
            loss.backward()
            grad_norm = float(nn.utils.clip_grad_norm_(model.parameters(), spec.clip or math.inf))
            opt.step()
            step += 1
            running.append(float(loss.detach()))
            if step % spec.log_every == 0:
                train_points.append({"epoch": round(step / steps_per_epoch, 4),
                                     "grad_norm": grad_norm,
                                     "learning_rate": lr_at(spec, step, total),
                                     "loss": sum(running) / len(running), "step": step})
                lines.append(train_points[-1])
                running = []
            per_epoch = spec.eval_every is None and step % steps_per_epoch == 0
            if per_epoch or (spec.eval_every and step % spec.eval_every == 0):
                evaluate(step)
            if spec.resume and not resumed and step == int(spec.resume[0] * total):
                checkpoint = ({k: v.clone() for k, v in model.state_dict().items()},
                              copy.deepcopy(opt.state_dict()), g.get_state(), step)
            if crash_step is not None and not resumed and step == crash_step and checkpoint:
                # the session dies here; a new one restarts from the checkpoint and logs
                # the steps after it again (an appended log keeps both sessions' lines)
                model.load_state_dict(checkpoint[0])
                opt.load_state_dict(checkpoint[1])
                g.set_state(checkpoint[2])
                step, resumed, running = checkpoint[3], True, []
                break
            if stop_step is not None and step >= stop_step:
                break
        if stop_step is not None and step >= stop_step:
            break
    if resumed:  # trainer_state.json keeps one value per step: the last session's
        train_points = list({p["step"]: p for p in train_points}.values())
        eval_points = list({p["step"]: p for p in eval_points}.values())
    return {"train": train_points, "evals": eval_points, "lines": lines,
            "predictions": predictions, "step": step, "total": total,
            "steps_per_epoch": steps_per_epoch, "seconds": time.perf_counter() - started,
            "interrupted": stop_step is not None,
            "valid": (v_words, v_sorted) if spec.task == "sort" else None}


def write(spec: Spec, out: dict[str, Any]) -> None:
    folder = ROOT / spec.name
    shutil.rmtree(folder, ignore_errors=True)
    epoch = round(out["step"] / out["steps_per_epoch"], 4)
    if spec.fmt == "hf":
        summary = None if out["interrupted"] else {
            "train_runtime": round(out["seconds"], 4),
            "train_samples_per_second": round(spec.n_train * spec.epochs / out["seconds"], 3),
            "train_steps_per_second": round(out["total"] / out["seconds"], 3),
            "train_loss": sum(p["loss"] for p in out["train"]) / max(1, len(out["train"]))}
        write_trainer_state(folder, out["train"], out["evals"], max_steps=out["total"],
                            num_train_epochs=spec.epochs, logging_steps=spec.log_every,
                            eval_steps=spec.eval_every, batch_size=spec.batch, summary=summary,
                            global_step=out["step"], epoch=epoch, digits=None)
    elif spec.fmt == "lightning":
        rows = [{"epoch": int((p["step"] - 1) // out["steps_per_epoch"]), "step": p["step"] - 1,
                 "train_loss": p["loss"], "lr-Adam": p["learning_rate"]} for p in out["train"]]
        rows += [{"epoch": int((p["step"] - 1) // out["steps_per_epoch"]), "step": p["step"] - 1,
                  "val_loss": p["eval_loss"],
                  **({"val_acc": p["eval_accuracy"]} if "eval_accuracy" in p else {})}
                 for p in out["evals"]]
        rows.sort(key=lambda r: (r["step"], "val_loss" in r))
        write_lightning_csv(folder, rows, {"lr": spec.lr, "hidden": spec.hidden,
                                           "max_epochs": spec.epochs, "batch_size": spec.batch,
                                           "n_train": spec.n_train, **spec.extra})
    elif spec.fmt == "jsonl":
        # lines in the order they were written: a resumed run's second session comes
        # after the first one's lines, with the same steps again
        keep = ("step", "epoch", "loss", "learning_rate", "eval_loss")
        write_jsonl(folder, [{k: p[k] for k in keep if k in p} for p in out["lines"]])
    elif spec.fmt == "hf_print":
        points = [{**{k: v for k, v in p.items() if k != "step"}, "step": p["step"]}
                  for p in sorted(out["train"] + out["evals"], key=lambda p: p["step"])]
        write_hf_printed(folder, points, out["total"],
                         header=[f"train examples={spec.n_train} eval examples=300"])
    if spec.predictions and out["valid"]:
        words, sorted_words = out["valid"]
        refs = [(i, words[i], sorted_words[i]) for i in range(len(words))]
        write_predictions(folder, refs, out["predictions"], by=spec.predictions)
    (folder / "shape.json").write_text(
        '{"how": "REAL: trained by bench/verdicts/make_real.py", "made_to_be": '
        f'"{spec.note}", "train_seconds": {out["seconds"]:.2f}}}\n')


SPECS: list[Spec] = [
    Spec("real-healthy-hf", epochs=25, note="healthy, eval per epoch"),
    Spec("real-healthy-lightning", fmt="lightning", epochs=25, seed=1, note="healthy, Lightning"),
    Spec("real-overfit-hf", n_train=64, hidden=256, lr=1e-2, epochs=300, batch=16, log_every=20,
         eval_every=40, note="overfitting: 64 examples, lr 1e-2, eval every 40 steps"),
    Spec("real-overfit-lightning", task="sort", n_train=120, hidden=256, lr=5e-3, epochs=250,
         batch=16, log_every=16, fmt="lightning", extra={"train_examples": 120},
         note="overfitting on the sort task, Lightning"),
    Spec("real-diverge-hf", optimizer="sgd", lr=0.5, schedule="warmup_high", epochs=20, clip=1.0,
         note="lr warmed up too high (SGD momentum 0.9, peak 0.5, clipped at 1), then cosine"),
    Spec("real-diverge-hf-2", optimizer="sgd", lr=2.0, schedule="warmup_high", epochs=20,
         clip=1.0, note="lr warmed up far too high (peak 2.0, clipped at 1), then cosine"),
    Spec("real-diverge-stuck", optimizer="sgd", lr=1.0, schedule="warmup_high", epochs=20,
         clip=1.0, seed=15, note="lr warmed up too high (peak 1.0): stuck high after"),
    Spec("real-nan-jsonl", optimizer="sgd", lr=3.0, schedule="warmup_high", epochs=10,
         fmt="jsonl", seed=3, note="SGD lr warmed up to 3.0: the loss overflows to NaN midway"),
    Spec("real-plateau-hf", lr=3e-3, schedule="linear", epochs=60, seed=4,
         note="lr decayed linearly to 0 over 60 epochs: converged"),
    Spec("real-still-improving-hf", optimizer="sgd", lr=2e-3, epochs=8, seed=5,
         note="small lr, stopped while the loss still falls"),
    Spec("real-still-improving-print", optimizer="sgd", lr=2e-3, epochs=8, seed=6, fmt="hf_print",
         note="the same shape as printed Trainer dicts with a tqdm bar"),
    Spec("real-resumed-jsonl", epochs=20, resume=(0.4, 0.55), fmt="jsonl", seed=7,
         note="resumed: checkpoint at 40%, crash at 55%, steps 40-55% logged twice"),
    Spec("real-interrupted-hf", epochs=30, stop_at=0.45, seed=8,
         note="interrupted at 45% of a 30-epoch plan (no end-of-training entry)"),
    Spec("real-sort-epoch-preds", task="sort", n_train=3000, lr=2e-3, epochs=12,
         predictions="epoch", seed=9, note="sort task, eval per epoch, predictions named by epoch"),
    Spec("real-sort-lightning-epoch-preds", task="sort", n_train=3000, lr=2e-3, epochs=8,
         fmt="lightning", predictions="epoch", seed=16,
         note="sort task in a Lightning log (epochs from 0), predictions named by epoch (from 1)"),
    Spec("real-sort-step-preds", task="sort", n_train=3000, lr=2e-3, epochs=12, eval_every=100,
         predictions="step", seed=10, note="sort task, eval every 100 steps, predictions by step"),
    Spec("real-sort-overfit-preds", task="sort", n_train=150, hidden=256, lr=5e-3, epochs=150,
         batch=16, eval_every=50, log_every=10, predictions="step", seed=11,
         note="sort task overfitting, with predictions"),
    Spec("real-noisy-sgd-hf", optimizer="sgd", lr=1e-2, batch=4, epochs=6, log_every=25, seed=12,
         note="batch 4: a noisy per-step loss"),
    Spec("real-tiny-steps-hf", n_train=500, epochs=3, log_every=40, seed=13,
         note="a short run: few logged points"),
    Spec("real-weight-decay-hf", lr=3e-3, weight_decay=1e-2, epochs=30, seed=14,
         note="healthy with weight decay, eval per epoch"),
]


def main(names: list[str]) -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    for spec in SPECS:
        if names and spec.name not in names:
            continue
        out = train(spec)
        write(spec, out)
        print(f"{spec.name}: {out['step']}/{out['total']} steps, {len(out['evals'])} evaluations, "
              f"{out['seconds']:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
