"""Plain-text training logs, read line by line with named regular-expression presets.

Presets (:data:`PRESETS`) cover logs that tools print in a fixed form:

- ``nanogpt``: ``iter 120: loss 2.4812, time 35.12ms, mfu 12.34%`` and
  ``step 250: train loss 2.1043, val loss 2.1789``;
- ``opennmt``: OpenNMT-py's ``Step 50/100000; acc:  12.00; ppl: 26.87; xent: 3.29;
  lr: 1.00000; ...`` and the ``Validation perplexity: 5.45`` /
  ``Validation accuracy: 44.6`` lines after it (which belong to that step);
- ``hf_print``: the dicts a Hugging Face Trainer prints
  (``{'loss': 2.31, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}``,
  numbers possibly quoted, as transformers 5 prints them); each dict takes the
  step of the tqdm counter ``N/TOTAL`` redrawn after it when the capture has
  the bar (:mod:`.tqdm_steps`), else the rank of its training line;
- ``caffe``: ``Iteration 100 (4.7 iter/s, 21.2s/100 iters), loss = 0.22``,
  ``Iteration 100, lr = 0.0099`` and ``Test net output #0: accuracy = 0.98``.

A log in another form is read with patterns given in the run folder's run.yaml::

    text_log:
      patterns:
        - 'epoch (?P<epoch>\\d+) step (?P<step>\\d+) loss (?P<loss>\\S+)'
        - {regex: 'valid bleu (?P<bleu>\\S+)', split: eval}

Every named group other than ``step`` and ``epoch`` is a metric named by the
group (``val_loss`` is the eval loss; ``split`` sets the split of names without
a prefix). A pattern without a ``step`` group belongs to the last step seen.
The file is recognised when a preset (or a run.yaml pattern) matches enough
lines of its first 64 KiB (:data:`MIN_MATCHED_LINES`, or
more than :data:`MIN_MATCHED_SHARE` of them); the preset matching the most lines there
reads it.

(Over 500 lines: much of it is the preset table, which is data; splitting it
out would put each rule away from the reader that interprets it. The step
recovery for printed Trainer dicts lives in :mod:`.tqdm_steps`, the run facts
of a log's header in :mod:`.run_facts`.)
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlib.errors import InputError
from reportlib.ingest.logfile import read_log_head, read_log_text
from reportlib.ingest.run_facts import set_fact, text_facts
from reportlib.ingest.run_yaml import RUN_YAML, read_run_yaml
from reportlib.ingest.tidy import (
    LoggedBuilder,
    epoch_to_column,
    hf_summary_to_meta,
    listed,
    plural,
    tidy_scalars,
)
from reportlib.ingest.tqdm_steps import TQDM_COUNTER, steps_from_progress_bar
from reportlib.metrics import normalise_key
from reportlib.run import Run

NAME = "text_log"

#: A number as logs print it, NaN and inf included.
NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|inf|Inf|-inf)"

#: The run.yaml key holding user patterns.
RUN_YAML_KEY = "text_log"

#: File suffixes a folder is searched for (a run folder holding its text log).
LOG_SUFFIXES = (".log", ".txt", ".out")


@dataclass(frozen=True)
class LineRule:
    """One kind of line: a regex, and what its named groups are.

    ``names`` maps a group to its ``(split, metric, source key)``; other groups
    are named by :func:`reportlib.metrics.normalise_key` with ``split`` as the
    default, and their source key is the group's name. A
    ``step`` group sets the step; without one the values belong to the last
    step seen. Groups ``name`` and ``value`` together make one value whose
    metric is the text of ``name`` (Caffe's ``Test net output #0: accuracy = 0.98``).
    """

    pattern: re.Pattern[str]
    split: str = "train"
    names: dict[str, tuple[str, str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A named set of line rules, plus lines that carry run facts into meta."""

    name: str
    description: str
    rules: tuple[LineRule, ...]
    facts: tuple[tuple[re.Pattern[str], str], ...] = ()
    python_dicts: bool = False


def _rule(regex: str, split: str = "train", **names: tuple[str, str, str]) -> LineRule:
    return LineRule(re.compile(regex), split, dict(names))


PRESETS: tuple[Preset, ...] = (
    Preset(
        "nanogpt",
        "nanoGPT's train.py ('iter N: loss X', 'step N: train loss X, val loss Y')",
        (
            _rule(rf"^iter (?P<step>\d+): loss (?P<loss>{NUMBER})"),
            # The eval line's "train loss" is an estimate over eval batches at the
            # same step as the iteration's batch loss: its own metric, not a duplicate.
            _rule(
                rf"^step (?P<step>\d+): train loss (?P<train>{NUMBER}), val loss (?P<val>{NUMBER})",
                train=("train", "loss_estimate", "train loss"),
                val=("eval", "loss", "val loss"),
            ),
        ),
    ),
    Preset(
        "opennmt",
        "OpenNMT-py ('Step N/M; acc: ...; ppl: ...; xent: ...; lr: ...', 'Validation ...')",
        (
            _rule(
                rf"Step (?P<step>\d+)(?:/\s*\d+)?;\s*acc:\s*(?P<acc>{NUMBER});\s*"
                rf"ppl:\s*(?P<ppl>{NUMBER});\s*xent:\s*(?P<xent>{NUMBER});\s*lr:\s*(?P<lr>{NUMBER})",
                acc=("train", "accuracy", "acc"),
                ppl=("train", "perplexity", "ppl"),
                xent=("train", "loss", "xent"),
                lr=("train", "learning_rate", "lr"),
            ),
            _rule(
                rf"Validation perplexity:\s*(?P<ppl>{NUMBER})",
                ppl=("eval", "perplexity", "Validation perplexity"),
            ),
            _rule(
                rf"Validation accuracy:\s*(?P<acc>{NUMBER})",
                acc=("eval", "accuracy", "Validation accuracy"),
            ),
            _rule(
                rf"Validation (?:xent|loss):\s*(?P<xent>{NUMBER})",
                xent=("eval", "loss", "Validation xent"),
            ),
        ),
        facts=(
            (re.compile(r"Early Stop!"), "stopped_early"),
            (re.compile(r"Best model found at step (\d+)"), "best_step"),
        ),
    ),
    Preset(
        "hf_print",
        "the dicts a Hugging Face Trainer prints ({'loss': ..., 'epoch': ...})",
        (),
        python_dicts=True,
    ),
    Preset(
        "caffe",
        "Caffe's solver log ('Iteration N (...), loss = X', 'Test net output #0: ...')",
        (
            _rule(rf"Iteration (?P<step>\d+)(?: \([^)]*\))?, loss = (?P<loss>{NUMBER})"),
            _rule(rf"Iteration (?P<step>\d+), lr = (?P<lr>{NUMBER})"),
            _rule(r"Iteration (?P<step>\d+), Testing net"),
            _rule(rf"Test net output #\d+: (?P<name>\w+) = (?P<value>{NUMBER})", split="eval"),
        ),
    ),
)

DESCRIPTION = (
    "a plain-text log matched line by line by a preset ("
    + ", ".join(p.name for p in PRESETS)
    + ") or by patterns in run.yaml's text_log"
)

_HF_DICT = re.compile(r"\{'[^{}]*\}")

#: A printed dict or a tqdm counter, whichever comes first on a line.
_HF_EVENT = re.compile(_HF_DICT.pattern + "|" + TQDM_COUNTER.pattern)


#: A file is a text log when its best preset matches at least this many lines
#: of its first 64 KiB...
MIN_MATCHED_LINES = 3
#: ...or more than this share of its non-blank lines there (a log of one or two
#: lines). One line quoted in a README or a notes file is neither, so it does
#: not make that file a run; any log that prints a line per logging step is both.
MIN_MATCHED_SHARE = 0.5


def detect(path: Path) -> bool:
    """Whether a preset or a run.yaml pattern matches enough lines of the file's first 64 KiB.

    Enough: :data:`MIN_MATCHED_LINES`, or more than :data:`MIN_MATCHED_SHARE` of
    its non-blank lines. A folder is one when exactly one of its
    ``*.log``/``*.txt``/``*.out`` files is.
    """
    if path.is_dir():
        return _find_log_file(path) is not None
    return _matches_enough(path, read_log_head(path))


def _matches_enough(path: Path, head: str) -> bool:
    preset = _best_preset(path, head)
    if preset is None:
        return False
    lines = [line for line in head.replace("\r", "\n").split("\n") if line.strip()]
    count = sum(1 for line in lines if _line_matches(preset, line))
    return count >= MIN_MATCHED_LINES or count > MIN_MATCHED_SHARE * len(lines)


def load(path: Path) -> Run:
    """Read a text log (or the folder holding one) into a :class:`Run`.

    Returns
    -------
    A Run with format ``"text_log"``; ``meta["text_log_preset"]`` names the
    preset (or ``"run.yaml"``); a warning says how many lines matched.

    Raises
    ------
    InputError
        A folder without a recognisable log; an empty, non-UTF-8 or LFS-pointer
        file; invalid run.yaml patterns (naming the pattern).
    """
    path = Path(path)
    if path.is_dir():
        found = _find_log_file(path)
        if found is None:
            raise InputError(
                "holds no text log that a preset or a run.yaml pattern matches",
                path=path,
                hint="Point at the log file itself",
            )
        path = found
    text = read_log_text(path)
    custom = user_preset(path.parent)  # raises on invalid patterns, naming them
    preset = (
        _best_preset(path, text[: 64 * 1024])
        or _best_preset(path, text)
        or custom
        or Preset("none", "no preset", ())
    )
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut_last = bool(lines[-1].strip())  # no line end after it: the writer may be mid-line
    if cut_last:
        lines = lines[:-1]
    reader = _Reader(preset)
    for number, line in enumerate(lines, start=1):
        reader.feed(line, number)
    from_bar = (steps_from_progress_bar(reader.events, reader.steps, reader.epochs)
                if preset.python_dicts else None)
    logged = reader.logged()
    logged = epoch_to_column(logged)
    logged, summary = hf_summary_to_meta(logged)
    scalars, warnings = tidy_scalars(logged, names=reader.names)
    meta: dict[str, Any] = {"text_log_preset": preset.name, **reader.facts}
    if cut_last:
        meta["in_progress"] = True
        warnings.insert(
            0,
            f"the last line ({len(lines) + 1}) has no line end: the run is still writing the "
            "log, or it was copied while being written; that line was left out",
        )
    if summary:
        meta["train_summary"] = summary
    text_facts(meta, lines, path.name)
    if from_bar is not None:
        meta["max_steps"], meta["global_step"] = from_bar
        set_fact(meta, "steps_planned", from_bar[0], f"{path.name}: the progress bar's total")
        set_fact(meta, "steps_run", from_bar[1], f"{path.name}: the progress bar's last count")
        meta["step_source"] = "the Trainer's progress bar (N/TOTAL)"
        warnings.insert(
            0,
            "the Trainer's printed dicts carry no step: each took the step of the progress bar "
            f"(N/{from_bar[0]}) redrawn after it",
        )
    elif preset.python_dicts and reader.matched:
        meta["step_unit"] = "log line"
        warnings.insert(
            0,
            "the Trainer's printed logs carry no step: step N is the N-th training log line "
            "(eval lines take the step of the training line before them)",
        )
    if reader.bad_dicts:
        warnings.append(
            f"{plural(len(reader.bad_dicts), 'printed dict')} that could not be read skipped "
            f"(line {listed(reader.bad_dicts)})"
        )
    if reader.no_step:
        warnings.append(
            f"{plural(reader.no_step, 'value')} before any step skipped (no earlier line set "
            "the step)"
        )
    if scalars.empty:
        warnings.append(
            (f"{plural(reader.matched, 'line')} of the log matched the {preset.name} preset, "
             "but none gave a value the report could place" if reader.matched else
             f"no line of the log matched the {preset.name} preset: it holds no logged values")
            if preset.name != "none"
            else "no line matched a preset or a run.yaml pattern: the log holds no logged values; "
            "add text_log patterns to run.yaml"
        )
    return Run.from_log_file(path, NAME, scalars, meta=meta, warnings=warnings)


def user_preset(folder: Path) -> Preset | None:
    """The patterns of ``folder/run.yaml``'s ``text_log`` key, as a preset; None if none.

    Raises
    ------
    InputError
        run.yaml is invalid, or its text_log patterns are (naming the pattern).
    """
    path = folder / RUN_YAML
    if not path.is_file():
        return None
    config = read_run_yaml(path).get(RUN_YAML_KEY)
    if config is None:
        return None
    where = f"key '{RUN_YAML_KEY}'"
    if isinstance(config, str):
        config = {"patterns": [config]}
    if not isinstance(config, dict):
        raise InputError(
            "is not a mapping with 'patterns'",
            path=path,
            where=where,
            hint="Write text_log: {patterns: ['step (?P<step>\\d+) loss (?P<loss>\\S+)']}",
        )
    patterns = config.get("patterns", [config["pattern"]] if "pattern" in config else None)
    if not isinstance(patterns, list) or not patterns:
        raise InputError(
            "has no 'patterns' list",
            path=path,
            where=where,
            hint="Give one regular expression per kind of line, with named groups",
        )
    rules = []
    for index, item in enumerate(patterns):
        item_where = f"key '{RUN_YAML_KEY}.patterns[{index}]'"
        regex, split = (item, "train") if isinstance(item, str) else (None, "train")
        if isinstance(item, dict):
            regex, split = item.get("regex"), item.get("split", "train")
        if not isinstance(regex, str) or split not in ("train", "eval"):
            raise InputError(
                "is not a regular expression, or a {regex: ..., split: train|eval} mapping",
                path=path,
                where=item_where,
                hint="Quote the pattern in single quotes",
            )
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise InputError(
                f"is not a valid regular expression ({exc.msg} at position {exc.pos})",
                path=path,
                where=item_where,
                hint="Fix the pattern; test it with Python's re module",
            ) from exc
        if _nested_repetition(regex):
            # A run folder is not always the user's own: its run.yaml must not hang reportlib.
            raise InputError(
                "repeats a part that itself repeats, as in (a+)+: on a line that almost "
                "matches, such a pattern can run for hours",
                path=path,
                where=item_where,
                hint="Make the inner repetition possessive (a++) or atomic ((?>a+)), or "
                "drop one of the two",
            )
        if not set(compiled.groupindex) - {"step", "epoch"}:
            raise InputError(
                "has no named group for a value (only step/epoch)",
                path=path,
                where=item_where,
                hint="Name the value's group after the metric, e.g. (?P<loss>\\S+)",
            )
        rules.append(LineRule(compiled, split))
    return Preset("run.yaml", "patterns from run.yaml", tuple(rules))


# --- internals -----------------------------------------------------------------------------


def _nested_repetition(regex: str) -> bool:
    """Whether ``regex`` repeats without bound (``+``, ``*``, ``{2,}``) a part holding another
    unbounded repeat.

    That shape, ``(a+)+``, backtracks exponentially on a line that almost matches
    (the classic ReDoS); possessive and atomic repeats cannot backtrack and are
    allowed. Alternations of overlapping branches (``(a|a)+``) are not caught.
    """
    try:
        from re import _constants as constants
        from re import _parser as parser
    except ImportError:  # another Python's internals: skip the check rather than fail
        return False
    repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT}
    stops = {getattr(constants, "POSSESSIVE_REPEAT", None), getattr(constants, "ATOMIC_GROUP",
                                                                   None)}

    def walk(items: object, inside_repeat: bool) -> bool:
        for op, av in items:
            if op in stops:
                continue
            if op in repeats:
                low, high, body = av
                unbounded = high is constants.MAXREPEAT
                if unbounded and inside_repeat:
                    return True
                if walk(body, inside_repeat or unbounded):
                    return True
                continue
            for part in av if isinstance(av, (tuple, list)) else ():
                if isinstance(part, parser.SubPattern) and walk(part, inside_repeat):
                    return True
                if isinstance(part, list) and any(
                        isinstance(x, parser.SubPattern) and walk(x, inside_repeat)
                        for x in part):
                    return True
        return False

    try:
        return walk(parser.parse(regex), False)
    except Exception:  # noqa: BLE001 - a parser we do not own: never fail a valid pattern
        return False


def _find_log_file(folder: Path) -> Path | None:
    candidates = [
        p for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in LOG_SUFFIXES and _matches_enough(p, read_log_head(p))
    ]
    return candidates[0] if len(candidates) == 1 else None


def _best_preset(path: Path, head: str) -> Preset | None:
    """The preset (run.yaml's patterns first) matching the most lines of ``head``; None if none."""
    try:
        custom = user_preset(path.parent)
    except InputError:
        custom = None  # load() reports it; detection only answers "not mine"
    best, best_count = None, 0
    lines = head.replace("\r", "\n").split("\n")
    for preset in (custom, *PRESETS) if custom is not None else PRESETS:
        count = sum(1 for line in lines if _line_matches(preset, line))
        if count > best_count or (preset is custom and count):
            best, best_count = preset, count
            if preset is custom:
                break
    return best


def _line_matches(preset: Preset, line: str) -> bool:
    if preset.python_dicts:
        return _HF_DICT.search(line) is not None
    return any(r.pattern.search(line) for r in preset.rules)


class _Reader(LoggedBuilder):
    """Feeds lines through one preset's rules, collecting values in order."""

    def __init__(self, preset: Preset) -> None:
        super().__init__()
        self.preset = preset
        self.step: int | None = None
        self.epoch = math.nan
        self.names: dict[str, tuple[str, str]] = {}
        self.facts: dict[str, Any] = {}
        self.matched = 0
        self.no_step = 0
        self.bad_dicts: list[int] = []
        self.train_lines = 0
        # In order: ("bar", n, total) for a tqdm counter, ("dict", first, end, kind)
        # for a printed dict whose values are self.steps[first:end].
        self.events: list[tuple[Any, ...]] = []

    def feed(self, line: str, number: int) -> None:
        for pattern, fact in self.preset.facts:
            match = pattern.search(line)
            if match:
                self.facts[fact] = int(match.group(1)) if match.groups() else True
        if self.preset.python_dicts:
            for found in _HF_EVENT.finditer(line):
                if found.group(1) is not None:  # a tqdm counter N/TOTAL
                    self.events.append(("bar", int(found.group(1)), int(found.group(2))))
                else:
                    self._python_dict(found.group(0), number)
            return
        for rule in self.preset.rules:
            match = rule.pattern.search(line)
            if match:
                self.matched += 1
                self._rule(rule, match)

    def _rule(self, rule: LineRule, match: re.Match[str]) -> None:
        groups = match.groupdict()
        if groups.get("step") is not None:
            self.step = int(groups["step"])
        if groups.get("epoch") is not None:
            self.epoch = float(groups["epoch"])
            if "step" not in rule.pattern.groupindex and self.epoch.is_integer():
                # A pattern that captures the epoch and no step counts epochs: the
                # epoch's number is the step too, as a suggested pattern makes it.
                self.step = int(self.epoch)
        if "name" in groups and "value" in groups:
            name = groups["name"]
            curve = (rule.split, normalise_key(name, rule.split)[1])
            self._add(f"{rule.split} {name}", groups["value"], curve)
            return
        for group, text in groups.items():
            if group in ("step", "epoch") or text is None:
                continue
            if group in rule.names:
                split, metric, label = rule.names[group]
                self._add(label, text, (split, metric))
            else:
                self._add(group, text, normalise_key(group, rule.split))

    def _python_dict(self, text: str, number: int) -> None:
        try:
            record = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            self.bad_dicts.append(number)
            return
        if not isinstance(record, dict):
            return
        self.matched += 1
        values = {}
        for key, raw in record.items():
            try:
                values[str(key)] = float(raw)
            except (TypeError, ValueError):
                continue
        if "epoch" in values:
            self.epoch = values.pop("epoch")
        is_summary = "train_runtime" in values
        is_eval = any(normalise_key(k)[0] == "eval" for k in values)
        if not is_eval and not is_summary:
            self.train_lines += 1
        self.step = self.train_lines
        first = len(self.steps)
        for key, value in values.items():
            curve = normalise_key(key, "eval" if is_eval else "train")
            self._add(key, value, None if is_summary else curve)
        kind = "summary" if is_summary else "eval" if is_eval else "train"
        self.events.append(("dict", first, len(self.steps), kind))

    def _add(self, key: str, raw: str | float, curve: tuple[str, str] | None) -> None:
        if self.step is None:
            self.no_step += 1
            return
        if curve is not None:
            self.names.setdefault(key, curve)
        self.add(key, self.step, float(raw), self.epoch)


# --- the not-recognised hint ----------------------------------------------------------------

#: A name followed by a number, as logs print them: ``loss 0.52``, ``loss=0.52``,
#: ``loss: 0.52``, ``Epoch 3``.
_NAMED_NUMBER = re.compile(
    # Two words before ":" or "=" ("Train Loss: 1.94"), else one ("loss 0.52"); or a
    # position out of a total ("Epoch [1/50]", "iter 3/100").
    r"(?:(?P<name>(?:[A-Za-z][\w/.\-]* )?[A-Za-z][\w/.\-]*?)(?P<sep>\s*[:=]\s*)"
    r"|(?P<name1>[A-Za-z][\w/.\-]*?)(?P<sep1>\s+))"
    r"(?P<number>[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf))(?![\w.])"
    r"|(?P<name2>[A-Za-z]+)(?P<sep2>\s*\[\s*|\s+)(?P<number2>\d+)(?P<total>\s*/\s*\d+\s*\]?)"
)
#: What the pattern captures a number with (a group run.yaml's reader turns into a
#: float): short enough to copy, and it stops at the ``,`` ``|`` ``%`` after a value.
_NUMBER_GROUP = r"[-+.\w]+"
#: Names that are the step or the epoch, whatever case (the reader's position groups).
_POSITION_NAMES = {"step": "step", "iter": "step", "iteration": "step", "it": "step",
                   "global_step": "step", "num_updates": "step", "epoch": "epoch", "ep": "epoch"}
#: Longest name a hint's pattern reads a number by: longer is a path or a sentence.
MAX_NAME_CHARS = 32
#: Longest line quoted in the hint (and built into its pattern): one line of error.
HINT_LINE_CHARS = 160


def pattern_for_line(line: str) -> str | None:
    """A run.yaml ``text_log`` pattern that reads ``line``'s named numbers; None if it has none.

    Each ``name <number>`` (or ``name=<number>``, ``name: <number>``) becomes a
    named group; step and epoch names become the ``step`` and ``epoch`` groups.
    The pattern starts at the first name (timestamps before it are not matched).
    """
    # A name is a word or two ("Train Loss", "val/acc"), not a file path ("...py:175").
    matches = [m for m in _NAMED_NUMBER.finditer(line)
               if len(m.group("name") or m.group("name1") or m.group("name2")) <= MAX_NAME_CHARS]
    if not matches:
        return None
    parts, used, end = [], set(), matches[0].start()
    groups: dict[str, int] = {}  # group name -> its index in parts
    for match in matches:
        literal = line[end: match.start()]
        parts.append(_literal(literal))
        of_total = match.group("name2") is not None
        name = match.group("name") or match.group("name1") or match.group("name2")
        separator = match.group("sep") or match.group("sep1") or match.group("sep2")
        group = _POSITION_NAMES.get(name.lower()) or re.sub(r"\W", "_", name).strip("_") or "value"
        if group[0].isdigit():
            group = "v_" + group
        base, count = group, 2
        while group in used:
            group, count = f"{base}_{count}", count + 1
        used.add(group)
        parts.append(re.escape(name).replace(r"\ ", r"\s+")
                     + (r"\s*" + re.escape(separator.strip()) + r"\s*"
                        if separator.strip() else r"\s+"))
        inner = r"\d+" if of_total else _NUMBER_GROUP
        groups[group] = len(parts)
        parts.append(f"(?P<{group}>{inner})")
        if of_total:  # "Epoch [1/50]": the position, then the total as written
            parts.append(r"\s*/\s*\d+" + (r"\s*\]" if "]" in match.group("total") else ""))
        end = match.end()
    if not set(used) - {"step", "epoch"}:
        return None
    if "epoch" in used and "step" not in used:
        # A line without a step counts epochs: the epoch's number is its step too.
        index = groups["epoch"]
        parts[index] = parts[index].replace("(?P<epoch>", "(?P<epoch>(?P<step>", 1) + ")"
    return "".join(parts)


def not_recognised_hint(path: Path) -> tuple[str, str] | None:
    """For an unrecognised text file: the line with named numbers it repeats most (the
    first, on a tie), and a pattern for it.

    Returns ``(where, hint)``: "its first line with numbers is line N: '...'" (or
    "the line with numbers it repeats most ..."), and the run.yaml text to copy.
    None when the file is not a text log (another suffix, undecodable) or no line
    names a number.
    """
    if path.suffix not in (*LOG_SUFFIXES, "") or not path.is_file():
        return None
    try:
        head = read_log_head(path)
    except InputError:
        return None
    lines = head.splitlines()
    candidates = []  # (line number, line as shown, its pattern), in log order
    for number, line in enumerate(lines, start=1):
        shown = line.strip()[:HINT_LINE_CHARS]
        pattern = pattern_for_line(shown)
        if pattern is not None:
            candidates.append((number, shown, pattern))
    if not candidates:
        return None
    # The kind of line the log repeats most (a training loop's), not a settings line
    # printed once before it ("focal_alpha: 1"); the first of them on a tie.
    reads = {pattern: sum(1 for line in lines if re.search(pattern, line))
             for pattern in {c[2] for c in candidates}}
    number, shown, pattern = max(candidates, key=lambda c: (reads[c[2]], -c[0]))
    where = (f"its first line with numbers is line {number}: {shown!r}"
             if number == candidates[0][0] else
             f"the line with numbers it repeats most ({reads[pattern]} lines like it) is line "
             f"{number}: {shown!r}")
    quoted = pattern.replace("'", "''")  # a YAML single-quoted string
    return (where, f"To read lines like it, put in run.yaml beside it: "
                   f"text_log: {{patterns: ['{quoted}']}}")


def _literal(text: str) -> str:
    """Text between two values as a regex: escaped, runs of spaces as ``\\s*``."""
    return r"\s*".join(re.escape(part) for part in re.split(r"\s+", text)) if text.strip() \
        else (r"\s*" if text else "")
