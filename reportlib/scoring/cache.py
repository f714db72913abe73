"""A content-keyed cache of scoring results (numpy arrays in ``.npz`` files).

Keys are SHA-256 digests of everything a result depends on: the bytes of the
input files, the metric settings, the bootstrap parameters, and the versions
of sacrebleu, numpy and this package's scoring code. A rebuild of an
unchanged run finds every entry and re-scores nothing; any change of a file
or setting gives a new key.

Entries are written atomically (temporary file + ``os.replace``) and read
with ``allow_pickle=False``. An entry that cannot be read (truncated,
corrupt, from an old layout) counts as missing and is recomputed. Failing to
write the cache (read-only home, full disk) never fails the scoring: the
caller is told and goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from reportlib.outputs import atomic_file

#: Environment variable that moves the default cache folder.
CACHE_ENV = "REPORTLIB_CACHE_DIR"


def default_cache_dir() -> Path:
    """The cache folder used when none is given.

    ``$REPORTLIB_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/reportlib/scores``,
    else ``~/.cache/reportlib/scores``.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "reportlib" / "scores"


def cache_key(**parts: Any) -> str:
    """Hex SHA-256 of the JSON of ``parts`` (sorted keys): the same parts give the same key."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ScoreCache:
    """A folder of ``<key>.npz`` files.

    Parameters
    ----------
    directory:
        Where entries live; None disables the cache (every lookup misses,
        nothing is written).
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = None if directory is None else Path(directory)
        self.write_errors: list[str] = []

    def _path(self, key: str) -> Path:
        if self.directory is None:
            raise ValueError("the score cache is disabled")
        return self.directory / key[:2] / f"{key}.npz"

    @property
    def enabled(self) -> bool:
        """Whether entries are read and written."""
        return self.directory is not None

    def load(self, key: str, expected: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """The arrays stored under ``key``, or None when absent or unreadable.

        Parameters
        ----------
        key:
            From :func:`cache_key`.
        expected:
            Array names the entry must hold; an entry without one of them is
            treated as missing.
        """
        if not self.enabled:
            return None
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
            return None  # corrupt or foreign entry: recompute and overwrite
        if any(name not in arrays for name in expected):
            return None
        return arrays

    def store(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Write ``arrays`` under ``key`` atomically; a failure is recorded in ``write_errors``."""
        if not self.enabled:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_file(path) as handle:
                np.savez(handle, **arrays)
        except OSError as exc:
            self.write_errors.append(f"could not write the score cache in {self.directory}: {exc}")
