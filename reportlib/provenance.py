"""What produced a report: reportlib's version, the parameters and a hash of the inputs.

Like sacrebleu's signature, the footer of every report carries this so two
reports can be compared knowing they came from the same inputs and settings.

Shared outputs never hold the builder's absolute paths (a home or temp folder
says nothing to a reader and changes when the project moves):
:func:`portable_path` writes a path relative to the working folder, or just
its name when it lies outside; input files are named relative to the run folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from reportlib import __version__

#: Bytes read at a time while hashing (inputs can be large event files).
_CHUNK = 1 << 20

#: Report parameters that hold a path, or a list of paths: written with :func:`portable_path`.
PATH_PARAMETERS = ("run_dir", "run_dirs", "result_file", "result_files")


def portable_path(path: str | os.PathLike[str], *, base: Path | None = None) -> str:
    """``path`` as shared outputs show it: POSIX-style, relative to ``base``
    (default: the working folder) when it lies inside; else its name, after its
    folder's name when it is a file (``run-7/train.log``: a log's name alone
    rarely says which run it is).

    Never absolute, so that a report says the same wherever it was built.
    """
    given = Path(path)
    base = Path.cwd() if base is None else Path(base)
    absolute = Path(os.path.normpath(given if given.is_absolute() else base / given))
    try:
        relative = absolute.relative_to(os.path.normpath(base.absolute()))
    except ValueError:
        if absolute.is_file() and absolute.parent.name:
            return f"{absolute.parent.name}/{absolute.name}"
        return absolute.name or given.as_posix()
    return relative.as_posix()


def portable_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` with every path parameter (:data:`PATH_PARAMETERS`) made portable."""
    def portable(value: Any) -> Any:
        if isinstance(value, (str, os.PathLike)):
            return portable_path(value)
        if isinstance(value, (list, tuple)):
            return [portable(item) for item in value]
        return value

    return {key: portable(value) if key in PATH_PARAMETERS else value
            for key, value in parameters.items()}


def portable_notebook(data: dict[str, Any], *, name: str) -> None:
    """Remove the builder's absolute paths from an executed notebook (``data``, its JSON).

    papermill records where it read the notebook and wrote it, and the
    parameters, in the metadata and in the injected parameters cell: paths
    become portable (:func:`portable_path`), the notebook files their names
    (``name`` is the file the notebook is saved as).
    """
    record = data.get("metadata", {}).get("papermill")
    if isinstance(record, dict):
        if isinstance(record.get("input_path"), str):
            record["input_path"] = PurePosixPath(record["input_path"].replace("\\", "/")).name
        if isinstance(record.get("output_path"), str):
            record["output_path"] = name
        if isinstance(record.get("parameters"), dict):
            record["parameters"] = portable_parameters(record["parameters"])
    for cell in data.get("cells", []):
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines(True)
        for number, line in enumerate(lines):
            key, sep, value = line.partition(" = ")
            if sep and key in PATH_PARAMETERS:
                try:
                    shown = portable_parameters({key: json.loads(value)})[key]
                except ValueError:
                    continue  # not a plain string literal: leave it as papermill wrote it
                lines[number] = f"{key} = {json.dumps(shown, ensure_ascii=False)}\n"
        cell["source"] = lines


def same_parameters(recorded: Mapping[str, Any], parameters: Mapping[str, Any]) -> bool:
    """Whether a report recorded with ``recorded`` was made with ``parameters``.

    Path parameters compare by their last name only: the folder a report was
    built from may have moved, or the command may run from elsewhere, and the
    report is still up to date (its input files' names and times say whether
    the run changed).
    """
    def key(values: Mapping[str, Any]) -> dict[str, Any]:
        return {name: PurePosixPath(str(value).replace("\\", "/")).name
                if name in PATH_PARAMETERS and isinstance(value, (str, os.PathLike)) else value
                for name, value in values.items()}

    return key(recorded) == key(portable_parameters(parameters))


def input_digest(paths: Iterable[Path], *, root: Path | None = None) -> str:
    """SHA-256 over the names (relative to ``root``) and contents of ``paths``.

    The order of ``paths`` does not matter. Returns a hex string.
    """
    digest = hashlib.sha256()
    for path in sorted({Path(p) for p in paths}):
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
        digest.update(name.encode("utf-8") + b"\0")
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def signature(run: Any, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance of a report of ``run`` built with ``parameters``.

    Returns ``{"reportlib_version", "parameters", "input_sha256", "input_files"}``.
    """
    root = Path(run.path) if Path(run.path).is_dir() else Path(run.path).parent
    files = [Path(p) for p in run.input_files]
    return {
        "reportlib_version": __version__,
        "parameters": portable_parameters(parameters),
        "input_sha256": input_digest(files, root=root),
        "input_files": sorted(
            str(p.relative_to(root)) if p.is_relative_to(root) else p.name for p in files
        ),
    }
