"""Small files beside a log that hold run facts, not values (args.yaml, config.yaml, summaries).

A broken side file must not stop the report: its readers return the content
or a warning that says why it was not read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from reportlib.errors import InputError
from reportlib.ingest.logfile import check_nesting, read_log_text


def read_side_yaml(path: Path) -> tuple[Any, str | None]:
    """A YAML side file's content, or ``(None, warning)`` when it cannot be read."""
    return _read_side(path, "YAML", yaml.safe_load, yaml.YAMLError)


def read_side_json(path: Path) -> tuple[Any, str | None]:
    """A JSON side file's content, or ``(None, warning)`` when it cannot be read."""
    return _read_side(path, "JSON", json.loads, ValueError)


def _read_side(path: Path, kind: str, parse: Any, error: type[Exception]) -> tuple[Any, str | None]:
    try:
        text = read_log_text(path)
    except InputError as exc:
        return None, f"{path.name} not read: {exc.message}"
    try:
        values = parse(text)
        check_nesting(values, path=path)
    except error as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        return None, f"{path.name} is not valid {kind}{where}: its run facts were not read"
    except (InputError, RecursionError) as exc:
        reason = exc.message if isinstance(exc, InputError) else "nests too deeply"
        return None, f"{path.name} {reason}: its run facts were not read"
    return values, None
