"""Real steps for a Hugging Face Trainer's printed logs, from its tqdm progress bar.

A Trainer's printed dicts (``{'loss': 2.31, ..., 'epoch': 0.5}``) carry no
step, but when stdout and stderr were captured together the training bar
``38/114 [00:00<00:00, ...]`` is printed around them, and its counter is the
optimizer step. :mod:`reportlib.ingest.text_log` records the bars and dicts in
order; :func:`steps_from_progress_bar` turns them into steps.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from reportlib.run import MAX_STEP

#: tqdm's counter as its default bar prints it: ``| 38/114 [00:00<00:00, ...]``.
TQDM_COUNTER = re.compile(r"\|\s*(\d+)/(\d+)\s*\[")


def steps_from_progress_bar(
    events: list[tuple[Any, ...]], value_steps: list[int], epochs: list[float]
) -> tuple[int, int] | None:
    """Give each printed dict the real step from the Trainer's tqdm counter, when printed.

    The Trainer prints a dict with ``tqdm.write``, which clears the bar,
    prints, then redraws the bar with the step reached: the first counter
    *after* a dict is its step (the one before it may be stale, drawn at an
    earlier step). The training bar is the first bar printed (the Trainer
    opens it before anything else); evaluation bars have another total. A
    dict with no counter after it takes ``epoch x steps per epoch`` (the
    ratio seen on the dicts that have a counter after them, or, when none
    has, before them), else the counter before it.

    Parameters
    ----------
    events:
        In log order: ``("bar", n, total)`` for each tqdm counter and
        ``("dict", first, end, kind)`` for each printed dict, whose values are
        ``value_steps[first:end]``.
    value_steps, epochs:
        The step and epoch of every value read so far (the step a placeholder).

    Returns
    -------
    (total of the training bar, last training counter), with ``value_steps``
    rewritten in place; None (nothing changed) when the log has no bar or the
    recovered steps would go backwards (a capture that mixed the two
    streams out of order).
    """
    # a counter past int64 is no step (the step column would wrap): not a bar
    events = [e for e in events if e[0] != "bar" or max(e[1], e[2]) <= MAX_STEP]
    bars = [e for e in events if e[0] == "bar"]
    dicts = [i for i, e in enumerate(events) if e[0] == "dict" and e[1] < e[2]]
    with_values = set(dicts)
    if not bars or not dicts:
        return None
    total = bars[0][2]
    after: dict[int, int] = {}
    before: dict[int, int] = {}
    last_bar: int | None = None
    pending: list[int] = []
    for index, event in enumerate(events):
        if event[0] == "bar":
            if event[2] != total:
                continue
            for waiting in pending:
                after[waiting] = event[1]
            pending, last_bar = [], event[1]
        else:
            pending = [index] if index in with_values else []
            if last_bar is not None and index in with_values:
                before[index] = last_bar
            last_bar = None  # "before" means since the previous dict
    dict_epoch = {i: epochs[events[i][1]] for i in dicts}
    # Without any counter after a dict (a capture that kept one bar per dict),
    # the counters before them are the only evidence of steps per epoch.
    known = after or before
    ratios = [known[i] / dict_epoch[i] for i in known
              if math.isfinite(dict_epoch[i]) and dict_epoch[i] > 0]
    ratio = float(np.median(ratios)) if ratios else None
    steps: list[int] = []
    for index in dicts:
        if index in after:
            steps.append(after[index])
        elif ratio is not None and 0 <= dict_epoch[index] * ratio <= MAX_STEP:
            steps.append(round(dict_epoch[index] * ratio))
        elif index in before:
            steps.append(before[index])
        else:
            return None
    if any(b < a for a, b in zip(steps, steps[1:], strict=False)):
        return None
    for index, step in zip(dicts, steps, strict=True):
        _, first, end, _ = events[index]
        value_steps[first:end] = [step] * (end - first)
    return total, max(steps[-1], max(b[1] for b in bars if b[2] == total))


__all__ = ["TQDM_COUNTER", "steps_from_progress_bar"]
