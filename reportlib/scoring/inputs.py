"""Reading ``references.jsonl`` and ``predictions/*.jsonl`` (docs/architecture.md's convention).

::

    references.jsonl        {"id": ..., "prompt": ..., "reference": ...}
    predictions/<ckpt>.jsonl {"id": ..., "prediction": ...}

Hypotheses are matched to references by id, never by line order. Files are
read line by line (never whole), and every problem is a
:class:`~reportlib.errors.PredictionsError` that names the file and the line
or the ids at fault. Blank lines are skipped (a trailing newline is common).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

from reportlib.errors import PredictionsError
from reportlib.ingest.logfile import read_json_lines

#: How many offending ids an error message lists before "...": enough to spot
#: the pattern (an off-by-one, a renamed prefix), short enough for one line.
IDS_SHOWN_IN_ERRORS = 5

#: Bytes read at a time when hashing a file.
_HASH_CHUNK = 1 << 20

_ID_HINT = 'ids are compared exactly as written: 3 and "3" differ'


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks.

    Raises
    ------
    PredictionsError
        When the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        raise PredictionsError(f"cannot read the file ({exc.strerror or exc})", path=path) from exc
    return digest.hexdigest()


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line_number, object)`` for every non-blank line of a references or predictions file.

    Through ingest's one JSON-lines reader (one-line errors for an LFS pointer,
    bytes that are not UTF-8, a line that is not a JSON object); a cut last
    line is an error here, not a log still being written.
    """
    yield from read_json_lines(path, error=PredictionsError, empty_ok=True,
                               cut_last_line_ok=False).records


def _sample_id(record: dict[str, Any], path: Path, number: int) -> Hashable:
    if "id" not in record:
        raise PredictionsError('no "id" key', path=path, where=f"line {number}")
    sample_id = record["id"]
    if isinstance(sample_id, bool) or not isinstance(sample_id, (str, int)):
        raise PredictionsError(
            f'"id" must be a string or an integer, found {json.dumps(sample_id)}',
            path=path,
            where=f"line {number}",
        )
    return sample_id


def _text(record: dict[str, Any], key: str, path: Path, number: int) -> str:
    if key not in record:
        raise PredictionsError(f'no "{key}" key', path=path, where=f"line {number}")
    value = record[key]
    if not isinstance(value, str):
        raise PredictionsError(
            f'"{key}" must be a string, found {type(value).__name__}',
            path=path,
            where=f"line {number}",
            hint="write an empty string for an empty output",
        )
    return value


def _show(ids: list[Hashable]) -> str:
    shown = ", ".join(json.dumps(i) for i in ids[:IDS_SHOWN_IN_ERRORS])
    more = len(ids) - IDS_SHOWN_IN_ERRORS
    return shown + (f" and {more} more" if more > 0 else "")


def read_references(path: Path) -> tuple[list[Hashable], list[str]]:
    """The ids and reference strings of ``references.jsonl``, in file order.

    Parameters
    ----------
    path:
        The references file.

    Returns
    -------
    ``(ids, references)``, two aligned lists.

    Raises
    ------
    PredictionsError
        Unreadable file, a line that is not a JSON object, a missing or
        ill-typed ``id``/``reference``, a duplicate id, or no sample at all.
    """
    path = Path(path)
    ids: list[Hashable] = []
    texts: list[str] = []
    first_line: dict[Hashable, int] = {}
    for number, record in _records(path):
        sample_id = _sample_id(record, path, number)
        text = _text(record, "reference", path, number)
        if sample_id in first_line:
            raise PredictionsError(
                f"duplicate id {json.dumps(sample_id)} (first on line {first_line[sample_id]})",
                path=path,
                where=f"line {number}",
                hint="every sample needs its own id",
            )
        first_line[sample_id] = number
        ids.append(sample_id)
        texts.append(text)
    if not ids:
        raise PredictionsError("no sample in the references file", path=path)
    return ids, texts


def read_prompts(path: Path) -> dict[Hashable, str]:
    """The ``prompt`` of each sample of ``references.jsonl`` (optional key; "" when absent).

    Raises
    ------
    PredictionsError
        As :func:`read_references` for an unreadable file or a bad line.
    """
    path = Path(path)
    prompts: dict[Hashable, str] = {}
    for number, record in _records(path):
        sample_id = _sample_id(record, path, number)
        prompts[sample_id] = _text(record, "prompt", path, number) if "prompt" in record else ""
    return prompts


def read_predictions(path: Path, index: dict[Hashable, int]) -> list[str]:
    """The predictions of one checkpoint, aligned with the references by id.

    Parameters
    ----------
    path:
        A ``predictions/<checkpoint>.jsonl`` file.
    index:
        Reference id -> position (from :func:`read_references`).

    Returns
    -------
    One prediction per reference, in the order of ``index``.

    Raises
    ------
    PredictionsError
        Unreadable file, bad line, missing or ill-typed ``id``/``prediction``,
        a duplicate id, ids of the references missing from the file or ids in
        the file that the references do not have (the first few are named).
    """
    path = Path(path)
    aligned: list[str | None] = [None] * len(index)
    first_line: dict[Hashable, int] = {}
    extra: list[Hashable] = []
    for number, record in _records(path):
        sample_id = _sample_id(record, path, number)
        text = _text(record, "prediction", path, number)
        if sample_id in first_line:
            raise PredictionsError(
                f"duplicate id {json.dumps(sample_id)} (first on line {first_line[sample_id]})",
                path=path,
                where=f"line {number}",
                hint="keep one prediction per id",
            )
        first_line[sample_id] = number
        position = index.get(sample_id)
        if position is None:
            extra.append(sample_id)
        else:
            aligned[position] = text
    missing = [i for i, text in zip(index, aligned, strict=True) if text is None]
    if missing or extra:
        parts = []
        if missing:
            parts.append(
                f"{len(missing)} id(s) of the references have no prediction: {_show(missing)}"
            )
        if extra:
            parts.append(f"{len(extra)} id(s) are not in the references: {_show(extra)}")
        raise PredictionsError("; ".join(parts), path=path, hint=_ID_HINT)
    return aligned  # type: ignore[return-value]  # no None left: checked above


def read_sample_texts(
    references_path: Path, prediction_paths: dict[int, Path], ids: list[Hashable]
) -> dict[Hashable, dict[str, Any]]:
    """Prompt, reference and predictions of a few samples, for showing them in a report.

    Parameters
    ----------
    references_path:
        ``references.jsonl``.
    prediction_paths:
        Checkpoint step -> its prediction file.
    ids:
        The samples wanted.

    Returns
    -------
    ``{id: {"prompt": str, "reference": str, "predictions": {step: str}}}``.

    Raises
    ------
    PredictionsError
        As :func:`read_references` and :func:`read_predictions`.
    """
    all_ids, references = read_references(references_path)
    index = {sample_id: i for i, sample_id in enumerate(all_ids)}
    prompts = read_prompts(references_path)
    wanted = [i for i in ids if i in index]
    texts: dict[Hashable, dict[str, Any]] = {
        i: {"prompt": prompts.get(i, ""), "reference": references[index[i]], "predictions": {}}
        for i in wanted
    }
    for step, path in prediction_paths.items():
        predictions = read_predictions(path, index)
        for i in wanted:
            texts[i]["predictions"][step] = predictions[index[i]]
    return texts
