"""Write a run's logged values in the formats reportlib reads (for the verdict benchmark).

Used by ``make_synthetic.py`` (generated curves) and ``make_real.py`` (real
CPU trainings). Each writer takes plain lists of points and writes the files a
real tool writes, in its layout:

- :func:`write_trainer_state`: Hugging Face Trainer's ``trainer_state.json``;
- :func:`write_lightning_csv`: Lightning's CSVLogger ``metrics.csv`` (+ ``hparams.yaml``);
- :func:`write_jsonl`: one JSON object per line (``{"step": ..., "loss": ...}``);
- :func:`write_hf_printed`: the Trainer's printed dicts with its tqdm bar (stdout+stderr).

A point is a dict: ``step``, ``epoch`` and the values under the names the tool
would log (``loss``, ``eval_loss``, ``eval_chrf``...). NaN and inf are written
as the tools write them (``NaN``/``Infinity`` in JSON, ``nan``/``inf`` in CSV).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

Point = dict[str, Any]


def _clean(value: Any, digits: int | None) -> Any:
    if isinstance(value, float) and math.isfinite(value) and digits is not None:
        return float(f"{value:.{digits}g}")
    return value


def write_trainer_state(
    folder: Path,
    train: list[Point],
    evals: list[Point],
    *,
    max_steps: int,
    num_train_epochs: float,
    logging_steps: int,
    eval_steps: int | None = None,
    batch_size: int = 8,
    summary: dict[str, float] | None = None,
    global_step: int | None = None,
    epoch: float | None = None,
    digits: int | None = 6,
    best: tuple[int, float] | None = None,
) -> Path:
    """A ``trainer_state.json`` whose log_history interleaves train and eval entries by step.

    ``summary`` (train_runtime, train_samples_per_second...) is the Trainer's
    last entry at the end of training; leave it out for a checkpoint or an
    interrupted run, with ``global_step``/``epoch`` where it stopped.
    """
    folder.mkdir(parents=True, exist_ok=True)
    entries = [{k: _clean(v, digits) for k, v in p.items()} for p in train + evals]
    # eval entries come after the train entry of the same step, as the Trainer logs them
    entries.sort(key=lambda e: (e["step"], any(k.startswith("eval_") for k in e)))
    last_step = global_step if global_step is not None else max_steps
    last_epoch = epoch if epoch is not None else float(num_train_epochs)
    if summary is not None:
        entries.append({"epoch": last_epoch, "step": last_step, **summary})
    state: dict[str, Any] = {
        "best_global_step": best[0] if best else None,
        "best_metric": best[1] if best else None,
        "best_model_checkpoint": f"out/checkpoint-{best[0]}" if best else None,
        "epoch": last_epoch,
        "eval_steps": eval_steps or 500,
        "global_step": last_step,
        "is_hyper_param_search": False,
        "is_local_process_zero": True,
        "is_world_process_zero": True,
        "log_history": entries,
        "logging_steps": logging_steps,
        "max_steps": max_steps,
        "num_input_tokens_seen": 0,
        "num_train_epochs": num_train_epochs,
        "save_steps": 500,
        "total_flos": 0.0,
        "train_batch_size": batch_size,
        "trial_name": None,
        "trial_params": None,
    }
    path = folder / "trainer_state.json"
    path.write_text(json.dumps(state, indent=2) + "\n")
    return path


def write_lightning_csv(
    folder: Path, rows: list[Point], hparams: dict[str, Any] | None = None
) -> Path:
    """``metrics.csv`` with Lightning's sparse rows (one per log call), ``hparams.yaml`` beside."""
    folder.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns and key not in ("epoch", "step"):
                columns.append(key)
    header = ["epoch", "step", *columns]
    path = folder / "metrics.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _csv(row.get(c)) for c in header])
    if hparams is not None:
        lines = [f"{key}: {json.dumps(value)}" for key, value in hparams.items()]
        (folder / "hparams.yaml").write_text("\n".join(lines) + "\n")
    return path


def _csv(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return str(value)


def write_jsonl(folder: Path, points: list[Point], name: str = "metrics.jsonl") -> Path:
    """One JSON object per line, in the order given (repeated steps kept: a resumed run)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(p) + "\n" for p in points))
    return path


def write_hf_printed(
    folder: Path, points: list[Point], max_steps: int, header: list[str] | None = None,
    name: str = "train.log",
) -> Path:
    """The Trainer's printed dicts as ``python -u train.py > train.log 2>&1`` captures them.

    Each dict is preceded by the bar's clearing and followed by the bar redrawn
    at the dict's step, as ``tqdm.write`` does; the values are printed
    as transformers 5 prints them (4 significant digits, quoted).
    """
    folder.mkdir(parents=True, exist_ok=True)
    parts = [line + "\n" for line in (header or [])]
    parts.append(f"\r  0%|          | 0/{max_steps} [00:00<?, ?it/s]")
    for point in points:
        shown = {k: f"{v:.4g}" for k, v in point.items() if k != "step"}
        step = point["step"]
        percent = int(100 * step / max_steps)
        parts.append(f"\r{' ' * 40}\r{shown}\n")
        parts.append(f"\r{percent:3d}%|#         | {step}/{max_steps} [00:01<00:01, 9.9it/s]")
    parts.append("\n")
    path = folder / name
    path.write_text("".join(parts))
    return path


def write_predictions(
    folder: Path, references: list[tuple[str, str, str]], predictions: dict[int, list[str]],
    *, by: str = "step",
) -> None:
    """``references.jsonl`` (id, prompt, reference), ``predictions/<by>-N.jsonl`` per checkpoint."""
    (folder / "predictions").mkdir(parents=True, exist_ok=True)
    (folder / "references.jsonl").write_text("".join(
        json.dumps({"id": i, "prompt": p, "reference": r}) + "\n" for i, p, r in references))
    for key, texts in predictions.items():
        name = f"step-{key:06d}.jsonl" if by == "step" else f"epoch-{key:02d}.jsonl"
        (folder / "predictions" / name).write_text("".join(
            json.dumps({"id": ref[0], "prediction": text}) + "\n"
            for ref, text in zip(references, texts, strict=True)))


def write_labels(folder: Path, labels: dict[str, Any], how: str) -> None:
    """``shape.json``: what the generator or trainer made, for ``label.py``."""
    (folder / "shape.json").write_text(json.dumps({"how": how, "labels": labels}, indent=2) + "\n")
