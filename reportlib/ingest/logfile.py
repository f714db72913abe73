"""Reading a log file's text, with one-line errors for the ways it goes wrong.

Every ingest module reads its files through :func:`read_log_text`, so a Git LFS
pointer, an empty file or a binary file gets the same clear message whatever
the format.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlib.errors import InputError
from reportlib.run import MAX_STEP

#: The first line of every Git LFS pointer file (https://git-lfs.com/spec/v1).
LFS_POINTER_PREFIX = "version https://git-lfs.github.com/spec/v1"

#: How many bytes :func:`read_log_head` reads to recognise a format. 64 KiB holds
#: the header or first records of every log format reportlib knows (a Trainer's
#: trainer_state.json writes its keys sorted, so "log_history" comes after a
#: dozen short keys), while a multi-gigabyte log is never read whole just to
#: be recognised.
HEAD_BYTES = 64 * 1024

NEWLINE = b"\n"

#: How deeply the values of a log or run.yaml may nest. Real logs nest a few
#: levels (a Trainer's ``stateful_callbacks`` four); anything much deeper is
#: damage or an attack, and the writers of summary.json and of the notebook
#: recurse through what they are given.
MAX_NESTING_DEPTH = 64

#: How many values a run's metadata (a log's top-level facts, run.yaml) may
#: hold once YAML aliases are expanded: a run.yaml is a page of hand-written
#: facts, while a few nested aliases can expand to billions of values.
MAX_META_VALUES = 100_000

#: The rest of a JSON text after the point where the parser gave up, when the
#: file was cut inside a number or a literal (``1.``, ``-``, ``Na``, ``tr``).
_CUT_TOKEN = re.compile(
    r"-?(?:\d+\.?\d*(?:[eE][-+]?\d*)?|I|In|Inf|Infi|Infin|Infini|Infinit)?"
    r"|\.\d*(?:[eE][-+]?\d*)?|[eE][-+]?\d*"
)
_CUT_LITERALS = ("NaN", "true", "false", "null")
#: The rest of a JSON text cut inside a ``\\u00e9`` escape.
_CUT_ESCAPE = re.compile(r"\\?u[0-9a-fA-F]{0,4}")
#: JSON parser messages that mean "something more was expected here".
_EXPECTING = ("Expecting", "Unterminated string", "Invalid \\uXXXX escape")


def json_ends_early(text: str, error: json.JSONDecodeError) -> bool:
    """Whether ``error`` (from parsing ``text``) means the JSON was cut short.

    True when the parser ran out of text: the error is at the end, inside a
    string that never closes, or inside a last number or literal (``1.``,
    ``Na``): a file copied while it was written, or truncated.
    """
    if error.pos >= len(text.rstrip()):
        return True
    if not error.msg.startswith(_EXPECTING):
        return False
    if error.msg.startswith("Unterminated string"):
        return True
    rest = text[error.pos:].rstrip()
    if error.msg.startswith("Invalid \\uXXXX escape"):
        return bool(_CUT_ESCAPE.fullmatch(rest))
    return bool(_CUT_TOKEN.fullmatch(rest)) or any(
        word.startswith(rest) for word in _CUT_LITERALS
    )


def check_nesting(value: Any, *, path: Path, where: str | None = None) -> None:
    """Raise :class:`InputError` when ``value`` nests too deeply or holds too many values.

    Parameters
    ----------
    value:
        Parsed JSON or YAML (dicts, lists, scalars), e.g. a run's metadata.
    path, where:
        The file (and the place in it) to name in the error.

    Raises
    ------
    InputError
        Nesting deeper than :data:`MAX_NESTING_DEPTH` (a YAML value that
        contains itself is infinitely deep), or more than
        :data:`MAX_META_VALUES` values (YAML aliases expanding exponentially).
    """
    stack = [(value, 1)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_META_VALUES:
            raise InputError(
                f"holds more than {MAX_META_VALUES:,} values (YAML aliases that expand "
                "exponentially?)",
                path=path,
                where=where,
                hint="Write the facts out plainly, without nested aliases",
            )
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_NESTING_DEPTH:
            raise InputError(
                f"nests values more than {MAX_NESTING_DEPTH} levels deep (or a value "
                "contains itself)",
                path=path,
                where=where,
                hint="Flatten that structure; a log's facts need only a few levels",
            )
        stack.extend((child, depth + 1) for child in children)


def replace_lone_surrogates(value: Any) -> int:
    """Replace, in place, lone surrogates in the strings of parsed JSON/YAML.

    JSON's ``"\\ud800"`` escape and YAML's escaped surrogate pairs give Python
    strings that no output can encode as UTF-8. Pairs are joined into the
    character they encode; a lone surrogate becomes U+FFFD. Dict keys are
    repaired too (metric names). Walks iteratively, so any depth is safe.

    Returns
    -------
    How many strings were changed.
    """
    changed = 0

    def repaired(text: str) -> str:
        nonlocal changed
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            changed += 1
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return text

    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            pairs = list(item.items())
            item.clear()
            for key, child in pairs:
                if isinstance(child, str):
                    child = repaired(child)
                item[repaired(key) if isinstance(key, str) else key] = child
                if isinstance(child, (dict, list)):
                    stack.append(child)
        elif isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, str):
                    item[index] = repaired(child)
                elif isinstance(child, (dict, list)):
                    stack.append(child)
    return changed


def is_lfs_pointer(text: str) -> bool:
    """Whether ``text`` (a file's content or its first bytes) is a Git LFS pointer."""
    return text.lstrip("\ufeff").startswith(LFS_POINTER_PREFIX)


def lfs_pointer_error(path: Path, *, error: type[InputError] = InputError) -> InputError:
    """The error for a Git LFS pointer found where a log file should be."""
    return error(
        "is a Git LFS pointer, not the file itself",
        path=path,
        hint="Run `git lfs pull` in the repository it came from (or download the real file), "
        "then try again",
    )


def json_number(raw: Any) -> float | None:
    """A logged value as float (numbers written as text too); None when not a number."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        try:
            return float(raw)
        except OverflowError:
            return math.copysign(math.inf, raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def whole_step(raw: Any, path: Path, line: int, key: str) -> int:
    """``raw`` (a step, epoch or iteration count) as an int; InputError naming the line if it
    is not a whole number from 0 to :data:`~reportlib.run.MAX_STEP`."""
    value = json_number(raw)
    if value is None or not math.isfinite(value) or value != int(value) or value < 0 \
            or value > MAX_STEP:
        raise InputError(
            f"'{key}' is {raw!r}, not a whole number of steps",
            path=path,
            where=f"line {line}",
            hint=f"Fix that line's {key}",
        )
    return int(value)


def first_log_file(folder: Path, names: Iterable[str], is_log: Callable[[Path], bool]
                   ) -> Path | None:
    """The first of ``names`` in ``folder`` that is a file ``is_log`` accepts (a reader's log)."""
    for name in names:
        candidate = folder / name
        if candidate.is_file() and is_log(candidate):
            return candidate
    return None


def read_log_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first ``size`` bytes of ``path`` as text, for format detection.

    Undecodable bytes are replaced rather than raised on: detection must answer
    "not mine", not fail. Returns ``""`` when the file cannot be opened.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(size)
    except OSError:
        return ""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def read_log_text(path: Path, *, error: type[InputError] = InputError,
                  empty_ok: bool = False) -> str:
    """Read a whole log file as UTF-8 text.

    Parameters
    ----------
    path:
        The file to read.
    error:
        The exception raised (an :class:`InputError` subclass, e.g.
        :class:`~reportlib.errors.PredictionsError` for prediction files).
    empty_ok:
        Return ``""`` for an empty file instead of raising.

    Returns
    -------
    The text, without a leading byte-order mark.

    Raises
    ------
    InputError
        When the file cannot be read, is empty, is not UTF-8 text, or is a Git LFS
        pointer (the message then says to run ``git lfs pull``).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(
            f"cannot be read ({exc.strerror or exc})",
            path=path,
            hint="Check that it is a file and that you may read it",
        ) from exc
    if not data.strip():
        if empty_ok:
            return ""
        raise error(
            "is empty",
            path=path,
            hint="The run may have crashed before writing it; point at a complete copy",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and exc.reason == "unexpected end of data":
            # Cut inside a character: a truncated file, which the format's parser
            # reports (or repairs) better than "not UTF-8" would.
            text = data[: exc.start].decode("utf-8", errors="replace")
        else:
            raise error(
                f"is not UTF-8 text (byte {exc.start} cannot be decoded)",
                path=path,
                where=f"line {data.count(NEWLINE, 0, exc.start) + 1}",
                hint="Point at the text log, not a binary or compressed file",
            ) from exc
    text = text.lstrip("\ufeff")
    if is_lfs_pointer(text):
        raise lfs_pointer_error(path, error=error)
    return text


@dataclass(frozen=True)
class JsonLines:
    """What :func:`read_json_lines` read: ``(line number, object)`` pairs and notes."""

    records: list[tuple[int, dict[str, Any]]]
    warnings: list[str]
    in_progress: bool


def read_json_lines(path: Path, *, error: type[InputError] = InputError, empty_ok: bool = False,
                    cut_last_line_ok: bool = True) -> JsonLines:
    """Read a JSON-lines file: one JSON object per line, blank lines ignored.

    The one reader of JSON lines, for logs (JSONL, OpenMMLab, W&B history) and
    for reportlib's own ``references.jsonl`` and prediction files: a Git LFS
    pointer, bytes that are not UTF-8, a line nested too deeply, a line that
    is not JSON or not an object each get one error naming the file and line.

    Parameters
    ----------
    path:
        The file.
    error:
        The exception raised (an :class:`InputError` subclass).
    empty_ok:
        An empty file gives no records instead of an error.
    cut_last_line_ok:
        A last line that is not complete JSON and has no line break after it
        (a log still being written) is left out with a warning instead of an
        error, and ``in_progress`` is set.

    Raises
    ------
    InputError
        (or ``error``) as described above.
    """
    text = read_log_text(path, error=error, empty_ok=empty_ok)
    lines = text.splitlines()
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    records: list[tuple[int, dict[str, Any]]] = []
    warnings: list[str] = []
    in_progress = False
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        where = f"line {index + 1}"
        try:
            record = json.loads(line)
        except RecursionError as exc:
            raise error("nests lists or objects too deeply to be read", path=path, where=where,
                        hint="Each line must be one flat JSON object; fix or remove that line"
                        ) from exc
        except json.JSONDecodeError as exc:
            if cut_last_line_ok and index == last and not text.endswith(("\n", "\r")):
                warnings.append(f"the last line ({index + 1}) is not complete JSON: the run is "
                                "still writing the log, or it was copied while being written; "
                                "that line was left out")
                in_progress = True
                continue
            raise error(f"is not valid JSON ({exc.msg})", path=path, where=where,
                        hint="Fix or remove that line; a JSON-lines file holds one object "
                        "per line") from exc
        if not isinstance(record, dict):
            raise error(f"is a JSON {json_type(record)}, not an object", path=path, where=where,
                        hint="Fix or remove that line; a JSON-lines file holds one object "
                        "per line")
        if "\\u" in line:  # JSON escapes may hold lone surrogates, which no output can encode
            replace_lone_surrogates(record)
        records.append((index + 1, record))
    return JsonLines(records, warnings, in_progress)


def json_type(value: Any) -> str:
    """JSON's name for the type of a parsed value ("object", "list", "string", "number"...)."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
