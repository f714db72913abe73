"""Writing outputs safely: atomic files and sanitised report folder names.

A report is never half-written under its final name: every file is written to
a temporary sibling and renamed into place (``os.replace`` is atomic on POSIX).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from reportlib.errors import ParameterError

#: Longest folder name a report gets (file systems allow 255 bytes; leave room).
MAX_NAME_LENGTH = 100


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    Returns the path written. The folder must exist.
    """
    path = Path(path)
    tmp = temp_sibling(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
