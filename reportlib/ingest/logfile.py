"""Reading a log file's text, with one-line errors for the ways it goes wrong.

Every ingest module reads its files through :func:`read_log_text`, so a Git LFS
pointer, an empty file or a binary file gets the same clear message whatever
the format.
"""

from __future__ import annotations

from pathlib import Path

from reportlib.errors import InputError

#: The first line of every Git LFS pointer file (https://git-lfs.com/spec/v1).
LFS_POINTER_PREFIX = "version https://git-lfs.github.com/spec/v1"

#: How many bytes :func:`read_log_head` reads to recognise a format. 64 KiB holds
#: the header or first records of every log format reportlib knows (a Trainer's
#: trainer_state.json writes its keys sorted, so "log_history" comes after a
#: dozen short keys), while a multi-gigabyte log is never read whole just to
#: be recognised.
HEAD_BYTES = 64 * 1024


def is_lfs_pointer(text: str) -> bool:
    """Whether ``text`` (a file's content or its first bytes) is a Git LFS pointer."""
    return text.lstrip("\ufeff").startswith(LFS_POINTER_PREFIX)


def lfs_pointer_error(path: Path) -> InputError:
    """The error for a Git LFS pointer found where a log file should be."""
    return InputError(
        "is a Git LFS pointer, not the file itself",
        path=path,
        hint="Run `git lfs pull` in the repository it came from (or download the real file), "
        "then try again",
    )


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


def read_log_text(path: Path) -> str:
    """Read a whole log file as UTF-8 text.

    Parameters
    ----------
    path:
        The file to read.

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
        raise InputError(
            f"cannot be read ({exc.strerror or exc})",
            path=path,
            hint="Check that it is a file and that you may read it",
        ) from exc
    if not data.strip():
        raise InputError(
            "is empty",
            path=path,
            hint="The run may have crashed before writing it; point at a complete copy",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte {exc.start} cannot be decoded)",
            path=path,
            hint="Point at the text log, not a binary or compressed file",
        ) from exc
    text = text.lstrip("\ufeff")
    if is_lfs_pointer(text):
        raise lfs_pointer_error(path)
    return text
