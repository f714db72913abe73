"""What produced a report: reportlib's version, the parameters and a hash of the inputs.

Like sacrebleu's signature, the footer of every report carries this so two
reports can be compared knowing they came from the same inputs and settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reportlib import __version__

#: Bytes read at a time while hashing (inputs can be large event files).
_CHUNK = 1 << 20


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
        "parameters": dict(parameters),
        "input_sha256": input_digest(files, root=root),
        "input_files": sorted(
            str(p.relative_to(root)) if p.is_relative_to(root) else p.name for p in files
        ),
    }
