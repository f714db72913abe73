"""Writing outputs safely: atomic files and sanitised report folder names.

A report is never half-written under its final name: every file is written to
a temporary sibling and renamed into place (``os.replace`` is atomic on POSIX).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from reportlib.errors import ParameterError

#: Sub-folder of an output folder that holds comparisons (kept apart from run reports).
COMPARE_FOLDER = "compare"
#: Longest folder name a report gets (file systems allow 255 bytes; leave room).
MAX_NAME_LENGTH = 100


@contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` on success.

    The one way reportlib writes a file (reports, the score cache, the Trainer
    callback's prediction files): readers see the old file or the new one,
    never half of one. ``mode`` is ``"wb"`` or ``"w"`` (UTF-8 text). On an
    exception the temporary file is removed and ``path`` is left as it was.
    The folder must exist.
    """
    if mode not in ("wb", "w"):
        raise ParameterError(f"mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    tmp = temp_sibling(path)
    try:
        with open(tmp, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_file`); returns the path written."""
    with atomic_file(path) as handle:
        handle.write(data)
    return Path(path)


def temp_sibling(path: Path, suffix: str = ".tmp") -> Path:
    """Create an empty hidden temporary file next to ``path`` and return its path.

    Its mode is what an ordinary ``open()`` would give (0666 less the umask):
    ``mkstemp`` makes files private, but a report is meant to be shared.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)
    return Path(tmp)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`write_bytes_atomic`).

    Lone surrogates (a non-UTF-8 file name decoded by Python, a ``\\ud800`` escape
    in a log) cannot be encoded: they are written as U+FFFD, so every output is
    valid UTF-8.
    """
    return write_bytes_atomic(path, valid_unicode(text).encode("utf-8"))


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (pairs are joined)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def safe_name(name: str) -> str:
    """A file-system-safe folder name for a run name.

    Keeps (Unicode) letters, digits, ``.``, ``_`` and ``-``; turns anything else (``/``,
    spaces, ``..``) into ``_``; never starts with ``.`` or ``-`` so it cannot be
    hidden, climb out of its parent or read as a command-line option.

    Raises
    ------
    ParameterError
        If nothing usable is left of the name.
    """
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"[^\w.\-]+", "_", text)
    text = re.sub(r"\.{2,}", "_", text).lstrip(".-_")[:MAX_NAME_LENGTH]
    if not text:
        raise ParameterError(
            f"run name {name!r} has no letters or digits to name its report folder",
            hint="give the run a title or rename its folder",
        )
    return text


def report_dir(out_dir: Path, run_name: str) -> Path:
    """The folder ``out_dir/<safe run name>``, created if missing, always inside ``out_dir``."""
    out_dir = Path(out_dir).resolve()
    target = (out_dir / safe_name(run_name)).resolve()
    if target.parent != out_dir:  # defence in depth: safe_name already prevents this
        raise ParameterError(f"report folder {target} would be outside {out_dir}")
    target.mkdir(parents=True, exist_ok=True)
    return target
