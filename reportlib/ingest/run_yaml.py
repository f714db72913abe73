"""The optional ``run.yaml`` of a run folder: facts the log does not hold.

Every key is optional; the known ones are checked, the others kept as written::

    title: "Tiny GPT-2 on stdlib functions, 10 epochs"
    model: {name: gpt2-tiny, parameters: 712345}      # or just: model: gpt2-tiny
    dataset: {name: stdlib-functions, size: 500, train_size: 450, eval_size: 50}
    epochs: 10
    seed: 1234
    learning_rate: 0.001
    wall_time_seconds: 183.2
    notes: "..."
    generated_by: "runs/make_runs.py --run tiny-codegen"

The mapping is merged into ``run.meta`` (``meta["title"]``, ``meta["model"]``...),
each key's source recorded as ``run.yaml`` in ``meta["sources"]``;
``model`` and ``dataset`` given as a plain name become ``{"name": ...}``, so
readers only meet mappings. ``run.name`` stays the folder name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from reportlib.errors import InputError
from reportlib.ingest.logfile import check_nesting, read_log_text, replace_lone_surrogates
from reportlib.ingest.run_facts import record_source
from reportlib.run import Run

#: The file name looked for in a run folder.
RUN_YAML = "run.yaml"

_TEXT_KEYS = ("title", "notes", "generated_by")
_DATASET_SIZE_KEYS = ("size", "train_size", "eval_size")


def read_run_yaml(path: Path) -> dict[str, Any]:
    """Read and check a run.yaml file.

    Parameters
    ----------
    path:
        The run.yaml file.

    Returns
    -------
    The mapping, with ``model``/``dataset`` given as a name turned into
    ``{"name": ...}`` and numbers written as text (``1e-3``, which YAML 1.1 reads
    as a string) turned into floats. An empty file gives ``{}``.

    Raises
    ------
    InputError
        Invalid YAML (with its line and column), a top level that is not a
        mapping, or a known key with a value of the wrong type (naming the key).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror or exc})",
            path=path,
            hint="Check that it is a file and that you may read it",
        ) from exc
    if not raw.strip():
        return {}
    text = read_log_text(path)
    try:
        data = yaml.safe_load(text)
    except RecursionError as exc:
        raise InputError(
            "nests lists or mappings too deeply to be read",
            path=path,
            hint="Write the facts as a flat mapping of 'key: value' lines",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise InputError(
            f"is not valid YAML ({problem})",
            path=path,
            where=where,
            hint="Fix the syntax there; quote text that holds ': ' or starts with a special "
            "character",
        ) from exc
    if data is None:  # only comments
        return {}
    # Aliases can make a value contain itself or expand exponentially: refuse both
    # before anything walks the value.
    check_nesting(data, path=path)
    replace_lone_surrogates(data)
    if not isinstance(data, dict):
        raise InputError(
            f"is a YAML {_yaml_type(data)}, not a mapping of keys to values",
            path=path,
            hint="Write one 'key: value' per line, e.g. 'title: My run'",
        )
    checked: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise InputError(
                f"key {key!r} is not text",
                path=path,
                where=f"key {key!r}",
                hint="Quote the key, or use a name like 'title'",
            )
        check = _CHECKS.get(key)
        checked[key] = check(value, path, key) if check else value
    return checked


def apply_run_yaml(run: Run, folder: Path) -> None:
    """Merge ``folder/run.yaml``, when it exists, into ``run.meta``.

    A key the log already set to a different value keeps the log's value (the
    log is what happened; run.yaml is what someone wrote down) and a warning
    says so. The file is added to ``run.input_files``.

    Parameters
    ----------
    run:
        The run to update in place.
    folder:
        The run folder.

    Raises
    ------
    InputError
        From :func:`read_run_yaml`.
    """
    path = Path(folder) / RUN_YAML
    if not path.is_file():
        return
    values = read_run_yaml(path)
    run.input_files.append(path)
    if not values:
        run.warnings.append(f"{RUN_YAML} is empty: no title, model or dataset facts from it")
    for key, value in values.items():
        if key in run.meta and run.meta[key] != value:
            run.warnings.append(
                f"{RUN_YAML} sets '{key}' to {value!r} but the log says {run.meta[key]!r}: "
                "the log's value is kept"
            )
            continue
        run.meta[key] = value
        record_source(run.meta, key, RUN_YAML)


def _error(path: Path, key: str, problem: str, hint: str) -> InputError:
    return InputError(problem, path=path, where=f"key '{key}'", hint=hint[:1].upper() + hint[1:])


def _check_text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        raise _error(
            path,
            key,
            f"is a {_yaml_type(value)} ({value!r}), not text",
            f"write it as quoted text, e.g. {key}: \"{value}\"",
        )
    return value


def _check_whole(value: Any, path: Path, key: str, *, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
        isinstance(value, float) and not value.is_integer()
    ) or value < 0:
        raise _error(
            path, key, f"is {value!r}, not a whole number >= 0", f"write a count, e.g. {example}"
        )
    return int(value)


def _check_number(value: Any, path: Path, key: str, *, example: str) -> float:
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        # YAML 1.1 reads 1e-3 (no dot) as a string: accept what is plainly a number.
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise _error(path, key, f"is {value!r}, not a number >= 0", f"write e.g. {example}")
    return number


def _check_epochs(value: Any, path: Path, key: str) -> int | float:
    # The Trainer accepts fractional num_train_epochs (2.5), so only whole-ness is relaxed.
    number = _check_number(value, path, key, example="epochs: 10")
    return int(number) if number.is_integer() else number


def _check_seed(value: Any, path: Path, key: str) -> int:
    return _check_whole(value, path, key, example="seed: 1234")


def _check_learning_rate(value: Any, path: Path, key: str) -> float:
    return _check_number(value, path, key, example="learning_rate: 0.001")


def _check_wall_time(value: Any, path: Path, key: str) -> float:
    return _check_number(value, path, key, example="wall_time_seconds: 183.2")


def _check_named(
    value: Any, path: Path, key: str, *, counts: tuple[str, ...], example: str
) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, dict):
        raise _error(
            path,
            key,
            f"is a {_yaml_type(value)}, not a name or a mapping",
            f"write a name or a mapping, e.g. {example}",
        )
    checked = dict(value)
    if "name" in checked:
        checked["name"] = _check_text(checked["name"], path, f"{key}.name")
    for count in counts:
        if count in checked:
            checked[count] = _check_whole(
                checked[count], path, f"{key}.{count}", example=f"{count}: 500"
            )
    return checked


def _check_model(value: Any, path: Path, key: str) -> dict[str, Any]:
    example = "model: {name: gpt2, parameters: 124439808}"
    return _check_named(value, path, key, counts=("parameters",), example=example)


def _check_dataset(value: Any, path: Path, key: str) -> dict[str, Any]:
    return _check_named(
        value, path, key, counts=_DATASET_SIZE_KEYS, example="dataset: {name: my-data, size: 500}"
    )


_CHECKS: dict[str, Callable[[Any, Path, str], Any]] = {
    **{key: _check_text for key in _TEXT_KEYS},
    "model": _check_model,
    "dataset": _check_dataset,
    "epochs": _check_epochs,
    "seed": _check_seed,
    "learning_rate": _check_learning_rate,
    "wall_time_seconds": _check_wall_time,
}


def _yaml_type(value: Any) -> str:
    names = {dict: "mapping", list: "list", str: "text", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
