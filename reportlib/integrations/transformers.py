"""A Hugging Face ``TrainerCallback`` that records what a reportlib report needs.

At each evaluation, :class:`ChrfCallback` generates outputs for a fixed list of
validation prompts, writes them in reportlib's run-folder convention
(docs/architecture.md)::

    <run_dir>/references.jsonl                 {"id", "prompt", "reference"}, once
    <run_dir>/predictions/step-000630.jsonl    {"id", "prediction"}, per evaluation

and computes corpus chrF with sacrebleu, logged as ``eval_chrf`` in the same
log entry as ``eval_loss``: it lands in ``trainer_state.json``'s
``log_history``, in the metrics ``Trainer.evaluate()`` returns (so
``metric_for_best_model="eval_chrf"`` works) and in every reporting
integration (TensorBoard, ...) that runs after it. Use :meth:`ChrfCallback.attach`
so that it runs first::

    callback = ChrfCallback(prompts, references, max_new_tokens=64)
    trainer = Trainer(model=model, args=args, ...)
    callback.attach(trainer)
    trainer.train()
    trainer.save_state()   # writes trainer_state.json into args.output_dir

Needs the ``transformers`` extra: ``pip install reportlib[transformers]``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reportlib.errors import DependencyMissingError, ParameterError
from reportlib.outputs import atomic_file

try:
    import torch
    from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
except ImportError as exc:  # pragma: no cover - exercised with a patched import system
    raise DependencyMissingError(
        f"reportlib.integrations.transformers needs torch and transformers ({exc})",
        hint="pip install reportlib[transformers]",
    ) from exc

from sacrebleu.metrics import CHRF

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_NEW_TOKENS",
    "PREDICTIONS_DIRNAME",
    "REFERENCES_FILENAME",
    "ChrfCallback",
    "generate_predictions",
    "predictions_filename",
]

DEFAULT_MAX_NEW_TOKENS = 64
"""Tokens generated per prompt. Enough for a short function body or sentence,
while keeping one evaluation of ~50 prompts to seconds for a small model on a CPU."""

DEFAULT_BATCH_SIZE = 16
"""Prompts generated together. Left padding makes batches give the same greedy
outputs as one prompt at a time; 16 keeps padding waste and memory modest."""

REFERENCES_FILENAME = "references.jsonl"
"""Name of the references file in a run folder (the convention of docs/architecture.md)."""

PREDICTIONS_DIRNAME = "predictions"
"""Folder of per-checkpoint prediction files (the convention of docs/architecture.md)."""


def predictions_filename(step: int) -> str:
    """The prediction file name for an optimizer step: ``step-000630.jsonl``.

    Raises
    ------
    ParameterError
        If ``step`` is negative.
    """
    if step < 0:
        raise ParameterError(f"step must be >= 0, got {step}", where="predictions_filename")
    return f"step-{step:06d}.jsonl"


def _write_jsonl_atomically(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Write records as JSON lines, atomically (:func:`reportlib.outputs.atomic_file`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _text_tokenizer(processing_class: Any) -> Any:
    """The text tokenizer inside a processor (or the tokenizer itself)."""
    return getattr(processing_class, "tokenizer", processing_class)


def generate_predictions(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    do_sample: bool = False,
    generation_kwargs: Mapping[str, Any] | None = None,
) -> list[str]:
    """Generate one output per prompt, in order, batched with left padding.

    For a decoder-only model the prompt is cut off the output, so each string
    is only what the model added; special tokens are dropped. The model is put
    in eval mode for the call and restored to its previous mode afterwards; the
    tokenizer's padding side and pad token are restored too. With
    ``do_sample=True`` the global torch RNG is forked, so evaluating does not
    change the course of training.

    Parameters
    ----------
    model:
        A transformers model with ``generate()``.
    tokenizer:
        Its tokenizer (a processor with a ``.tokenizer`` is accepted).
    prompts:
        The input texts, exactly as the model should see them.
    max_new_tokens, batch_size:
        Generation length and number of prompts per ``generate()`` call (>= 1).
    do_sample:
        False (default) for greedy decoding.
    generation_kwargs:
        Extra keyword arguments for ``model.generate()`` (``num_beams``...).

    Returns
    -------
    list of str, one per prompt.

    Raises
    ------
    ParameterError
        If ``max_new_tokens`` or ``batch_size`` is below 1, or the tokenizer has
        neither a pad token nor an end-of-sequence token.
    """
    if max_new_tokens < 1:
        raise ParameterError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if batch_size < 1:
        raise ParameterError(f"batch_size must be >= 1, got {batch_size}")
    tok = _text_tokenizer(tokenizer)
    if tok.pad_token is None and tok.eos_token is None:
        raise ParameterError(
            "the tokenizer has neither a pad token nor an end-of-sequence token",
            hint="set tokenizer.pad_token before training",
        )
    encoder_decoder = bool(getattr(getattr(model, "config", None), "is_encoder_decoder", False))
    saved_side, saved_pad = tok.padding_side, tok.pad_token
    was_training = model.training
    outputs: list[str] = []
    try:
        # Left padding: a decoder-only model continues from the last real token.
        tok.padding_side = "right" if encoder_decoder else "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token  # only for batching; masked by the attention mask
        model.eval()
        extra = dict(generation_kwargs or {})
        with torch.no_grad(), torch.random.fork_rng(devices=[], enabled=do_sample):
            for start in range(0, len(prompts), batch_size):
                batch = list(prompts[start : start + batch_size])
                enc = tok(batch, return_tensors="pt", padding=True)
                enc = {k: v.to(model.device) for k, v in enc.items()}
                generated = model.generate(
                    **enc,
                    max_new_tokens=max_new_tokens,
                    do_sample=do_sample,
                    pad_token_id=tok.pad_token_id,
                    **extra,
                )
                if not encoder_decoder:
                    generated = generated[:, enc["input_ids"].shape[1] :]
                outputs.extend(tok.batch_decode(generated, skip_special_tokens=True))
    finally:
        tok.padding_side = saved_side
        if saved_pad is None:
            tok.pad_token = None
        if was_training:
            model.train()
    return outputs


class ChrfCallback(TrainerCallback):
    """Generate for validation prompts at each evaluation; save them; log chrF.

    Parameters
    ----------
    prompts, references:
        The validation inputs (exactly as the model should see them) and the
        expected outputs, same length, at least one.
    ids:
        One unique id per prompt (str or int); default ``0..n-1``.
    run_dir:
        The run folder to write into; default ``args.output_dir``.
    tokenizer:
        Default: the Trainer's ``processing_class``.
    max_new_tokens, batch_size, do_sample, generation_kwargs:
        Generation settings, see :func:`generate_predictions` (greedy by default).
    metric_key_prefix:
        The prefix of the evaluation to follow (``"eval"``; ``"eval_<name>"``
        for one of several eval datasets). The callback acts on log entries
        holding ``<prefix>_runtime`` and logs ``<prefix>_<metric_name>``.
    metric_name:
        Default ``"chrf"``.

    Attributes
    ----------
    chrf:
        The sacrebleu ``CHRF`` metric used (default settings: chrF2, char order 6).
    history:
        ``(step, score)`` of every evaluation so far.

    Raises
    ------
    ParameterError
        On empty or mismatched ``prompts``/``references``/``ids``, duplicate ids,
        or a generation setting out of range.
    """

    def __init__(
        self,
        prompts: Sequence[str],
        references: Sequence[str],
        *,
        ids: Sequence[str | int] | None = None,
        run_dir: str | os.PathLike[str] | None = None,
        tokenizer: Any = None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        do_sample: bool = False,
        generation_kwargs: Mapping[str, Any] | None = None,
        metric_key_prefix: str = "eval",
        metric_name: str = "chrf",
    ) -> None:
        if isinstance(prompts, str) or isinstance(references, str):
            raise ParameterError(
                "prompts and references must be sequences of strings, not one string"
            )
        if len(prompts) == 0:
            raise ParameterError("prompts is empty: give at least one validation prompt")
        if len(prompts) != len(references):
            raise ParameterError(
                f"prompts and references differ in length ({len(prompts)} != {len(references)})"
            )
        ids = list(range(len(prompts))) if ids is None else list(ids)
        if len(ids) != len(prompts):
            raise ParameterError(f"ids and prompts differ in length ({len(ids)} != {len(prompts)})")
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise ParameterError(f"ids must be unique; {dup!r} appears more than once")
        if max_new_tokens < 1:
            raise ParameterError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if batch_size < 1:
            raise ParameterError(f"batch_size must be >= 1, got {batch_size}")
        self.prompts = [str(p) for p in prompts]
        self.references = [str(r) for r in references]
        self.ids = ids
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.do_sample = do_sample
        self.generation_kwargs = dict(generation_kwargs or {})
        self.metric_key_prefix = metric_key_prefix
        self.metric_key = f"{metric_key_prefix}_{metric_name}"
        self.chrf = CHRF()
        self.history: list[tuple[int, float]] = []
        self._attached = False
        self._references_written = False

    def attach(self, trainer: Any) -> ChrfCallback:
        """Add this callback to ``trainer`` as its first callback, and return it.

        The Trainer puts reporting integrations (TensorBoard, W&B...) before the
        callbacks passed to it, and they write each log entry as soon as they see
        it; running first is what puts ``eval_chrf`` in their records too.
        """
        callbacks = trainer.callback_handler.callbacks
        if self in callbacks:
            callbacks.remove(self)
        callbacks.insert(0, self)
        self._attached = True
        return self

    def _run_dir(self, args: TrainingArguments) -> Path:
        return self.run_dir if self.run_dir is not None else Path(args.output_dir)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        """Warn if reporting integrations may miss ``eval_chrf`` (callback not attached first)."""
        report_to = [r for r in (args.report_to or []) if r != "none"]
        if report_to and not self._attached:
            warnings.warn(
                f"ChrfCallback was passed to the Trainer, so {', '.join(report_to)} logs each "
                f"evaluation before it adds {self.metric_key}; call callback.attach(trainer) "
                "instead to have it there too (trainer_state.json gets it either way)",
                stacklevel=2,
            )

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """On an evaluation's log entry: generate, write predictions, add the chrF score.

        Raises
        ------
        ParameterError
            If no tokenizer is available, or the entry already holds the metric key.
        """
        if logs is None or f"{self.metric_key_prefix}_runtime" not in logs:
            return
        if not state.is_world_process_zero:
            return
        if self.metric_key in logs:
            raise ParameterError(
                f"the evaluation already logged {self.metric_key!r} (compute_metrics?)",
                hint="pass metric_name= to ChrfCallback to log under another name",
            )
        tokenizer = self.tokenizer if self.tokenizer is not None else kwargs.get("processing_class")
        if tokenizer is None:
            raise ParameterError(
                "ChrfCallback has no tokenizer: the Trainer has no processing_class",
                hint="pass tokenizer= to ChrfCallback or processing_class= to the Trainer",
            )
        run_dir = self._run_dir(args)
        if not self._references_written:
            _write_jsonl_atomically(
                run_dir / REFERENCES_FILENAME,
                [
                    {"id": i, "prompt": p, "reference": r}
                    for i, p, r in zip(self.ids, self.prompts, self.references, strict=True)
                ],
            )
            self._references_written = True
        predictions = generate_predictions(
            kwargs["model"],
            tokenizer,
            self.prompts,
            max_new_tokens=self.max_new_tokens,
            batch_size=self.batch_size,
            do_sample=self.do_sample,
            generation_kwargs=self.generation_kwargs,
        )
        _write_jsonl_atomically(
            run_dir / PREDICTIONS_DIRNAME / predictions_filename(state.global_step),
            [{"id": i, "prediction": p} for i, p in zip(self.ids, predictions, strict=True)],
        )
        score = float(self.chrf.corpus_score(predictions, [self.references]).score)
        self.history.append((state.global_step, score))
        # `logs` is the dict the Trainer returns from evaluate() and passes to the
        # callbacks after this one; log_history already holds a copy of it.
        logs[self.metric_key] = score
        entry = state.log_history[-1] if state.log_history else None
        if entry is not None and entry.get("step") == state.global_step and all(
            k in entry for k in logs if k != self.metric_key
        ):
            entry[self.metric_key] = score
        else:
            state.log_history.append({self.metric_key: score, "step": state.global_step})
