"""TFRecord framing, as TensorBoard event files use it, with every checksum verified.

An event file is a sequence of records::

    uint64 length          little-endian
    uint32 masked_crc32c(length bytes)
    byte   data[length]    one serialized Event protocol buffer
    uint32 masked_crc32c(data)

(``tensorflow/core/lib/io/record_writer.cc``; the mask is
``((crc >> 15) | (crc << 17)) + 0xa282ead8``.) :func:`scan_records` walks the
records once, checks both checksums of every record with the C ``crc32c``
package and reports, never misreads:

- a record whose *data* checksum fails is skipped (its length was verified, so
  the next record is found) and named in a problem;
- a record whose *length* checksum fails stops the scan: nothing after it can
  be trusted to start where the length says, and the problem names the byte
  offset where reading stopped;
- a last record cut short (the run is still writing the file, or it was copied
  while being written) is left out, and ``truncated`` says so.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reportlib.errors import DependencyMissingError, InputError
from reportlib.ingest.logfile import is_lfs_pointer, lfs_pointer_error

#: Bytes of a record around its data: length (8), length checksum (4), data checksum (4).
RECORD_OVERHEAD = 16

#: Added to a rotated CRC32C to "mask" it (TensorFlow's ``kMaskDelta``).
CRC_MASK_DELTA = 0xA282EAD8

#: Zero bytes appended to the file's content in memory, so that vectorised
#: readers may gather 8 bytes at any offset of the file without a bounds check.
PADDING = 16

_LENGTH = struct.Struct("<Q")
_LENGTH_CRC = struct.Struct("<I")


@dataclass
class RecordScan:
    """The verified records of one file.

    ``content`` is the file's bytes followed by :data:`PADDING` zero bytes;
    record ``i``'s data is ``content[starts[i]:starts[i] + lengths[i]]``, and
    its header begins at byte ``starts[i] - 12`` of the file.
    """

    path: Path
    content: bytearray
    size: int
    starts: np.ndarray
    lengths: np.ndarray
    problems: list[str] = field(default_factory=list)
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.starts)


def scan_records(path: Path) -> RecordScan:
    """Read a TFRecord file and find its records, verifying their checksums.

    Parameters
    ----------
    path:
        The file (a TensorBoard ``events.out.tfevents.*``).

    Returns
    -------
    A :class:`RecordScan`: the records whose both checksums match, and a
    sentence in ``problems`` for every record skipped or where reading stopped.

    Raises
    ------
    InputError
        The file cannot be read, or is a Git LFS pointer.
    DependencyMissingError
        The ``crc32c`` package is not installed.
    """
    try:
        from crc32c import crc32c
    except ImportError as exc:  # a core dependency, but say what to do if it is missing
        raise DependencyMissingError(
            "the crc32c package is needed to verify TensorBoard event files",
            hint="pip install crc32c",
        ) from exc
    content = _read_padded(path)
    size = len(content) - PADDING
    if is_lfs_pointer(bytes(content[:200]).decode("utf-8", errors="replace")):
        raise lfs_pointer_error(path)

    headers: list[int] = []
    append = headers.append
    unpack = _LENGTH.unpack_from
    pos = 0
    while pos + 12 <= size:
        append(pos)
        pos += unpack(content, pos)[0] + RECORD_OVERHEAD
    truncated = pos != size  # a header, or a record, runs past the end
    head = np.array(headers, dtype=np.int64)
    u64 = np.ndarray((size + PADDING - 7,), dtype="<u8", buffer=content, strides=(1,))
    lengths = u64[head].astype(np.int64) if len(head) else np.zeros(0, dtype=np.int64)
    complete = len(head) - 1 if truncated and pos > size else len(head)

    if _all_checksums_match(content, head[:complete], lengths[:complete], crc32c):
        problems: list[str] = []
        if complete < len(head) and not _length_checksum_matches(content, headers[-1], crc32c):
            truncated = False
            problems.append(_stopped_problem(path, headers[-1], size))
        starts, lengths = head[:complete] + 12, lengths[:complete]
    else:
        starts, lengths, problems, truncated = _locate_bad_records(
            path, content, size, head, lengths, complete, crc32c
        )
    return RecordScan(path, content, size, starts, lengths, problems, truncated)


def _all_checksums_match(content: bytearray, head: np.ndarray, lengths: np.ndarray, crc32c) -> bool:
    """Verify every checksum of the records with one CRC over the file.

    With ``raw`` the CRC32C without initial value and final XOR, a message
    followed by its own raw CRC (little-endian) has a raw CRC of 0, and the raw
    CRC of a concatenation of such blocks is 0 too (``raw(A+B) = raw(A)*x^|B| +
    raw(B)``). The records' stored checksums are turned into raw ones in place,
    one C call over the file checks them all, and the stored ones are put
    back. A single wrong checksum always gives a non-zero result (multiplying
    by ``x^n`` modulo the CRC polynomial is invertible); when the result is not
    0, :func:`_locate_bad_records` checks record by record.
    """
    if not len(head):
        return True
    stop = int(head[-1] + lengths[-1] + RECORD_OVERHEAD)
    w32 = np.ndarray((len(content) - 3,), dtype="<u4", buffer=content, strides=(1,))
    length_at, data_at = head + 8, head + 12 + lengths
    stored_length, stored_data = w32[length_at], w32[data_at]
    try:
        w32[length_at] = _raw_crc(stored_length, np.full(len(head), 8), crc32c)
        w32[data_at] = _raw_crc(stored_data, lengths, crc32c)
        return crc32c(memoryview(content)[:stop], 0xFFFFFFFF) == 0xFFFFFFFF  # raw CRC 0
    finally:
        w32[length_at] = stored_length
        w32[data_at] = stored_data


def _raw_crc(masked: np.ndarray, lengths: np.ndarray, crc32c) -> np.ndarray:
    """Stored (masked, standard) CRC32Cs of messages of these lengths, as raw CRCs."""
    rotated = (masked.astype(np.uint64) - np.uint64(CRC_MASK_DELTA)) & np.uint64(0xFFFFFFFF)
    standard = ((rotated >> np.uint64(17)) | (rotated << np.uint64(15))) & np.uint64(0xFFFFFFFF)
    # standard(m) = raw(m) XOR standard(len(m) zero bytes): one C call per distinct length.
    if lengths.max() < _TABLE_LENGTHS:
        present = np.flatnonzero(np.bincount(lengths))
        table = np.zeros(int(present[-1]) + 1, dtype=np.uint64)
        table[present] = [crc32c(bytes(int(n))) for n in present]
        zeros = table[lengths]
    else:
        distinct, which = np.unique(lengths, return_inverse=True)
        zeros = np.array([crc32c(bytes(int(n))) for n in distinct], dtype=np.uint64)[which]
    return (standard ^ zeros).astype(np.uint32)


#: Record lengths below this are looked up in a table indexed by length (the
#: usual case: scalar events are tens of bytes); longer ones are sorted instead.
_TABLE_LENGTHS = 1 << 20


def _length_checksum_matches(content: bytearray, header: int, crc32c) -> bool:
    stored = _LENGTH_CRC.unpack_from(content, header + 8)[0]
    computed = masked_crc(np.array([crc32c(content[header : header + 8])], dtype=np.uint64))
    return int(computed[0]) == stored


def _stopped_problem(path: Path, offset: int, size: int) -> str:
    return (
        f"{path.name}: the record at byte {offset} has a wrong length checksum (a corrupt "
        f"file): the {size - offset} bytes from there on were not read"
    )


def _locate_bad_records(
    path: Path,
    content: bytearray,
    size: int,
    head: np.ndarray,
    lengths: np.ndarray,
    complete: int,
    crc32c,
) -> tuple[np.ndarray, np.ndarray, list[str], bool]:
    """Check record by record: stop at a wrong length checksum, skip a wrong data one."""
    problems: list[str] = []
    truncated = complete < len(head)
    u32 = np.ndarray((size + PADDING - 3,), dtype="<u4", buffer=content, strides=(1,))
    length_crcs = np.array([crc32c(content[p : p + 8]) for p in head.tolist()], dtype=np.uint64)
    bad_length = np.flatnonzero(masked_crc(length_crcs) != u32[head + 8])
    if len(bad_length):
        first = int(bad_length[0])
        problems.append(_stopped_problem(path, int(head[first]), size))
        complete, truncated = min(complete, first), False
    starts, lengths = head[:complete] + 12, lengths[:complete]
    data_crcs = np.array(
        [crc32c(content[s:e])
         for s, e in zip(starts.tolist(), (starts + lengths).tolist(), strict=True)],
        dtype=np.uint64,
    )
    bad_data = masked_crc(data_crcs) != u32[starts + lengths]
    if bad_data.any():
        offsets = (starts[bad_data] - 12).tolist()
        shown = ", ".join(str(o) for o in offsets[:5]) + (", ..." if len(offsets) > 5 else "")
        problems.append(
            f"{path.name}: {len(offsets)} record(s) with a wrong data checksum skipped (a "
            f"corrupt file; at byte {shown})"
        )
        starts, lengths = starts[~bad_data], lengths[~bad_data]
    return starts, lengths, problems, truncated


def masked_crc(crcs: np.ndarray) -> np.ndarray:
    """TensorFlow's masked form of CRC32C values (uint64 array in, uint64 array out)."""
    crcs = crcs.astype(np.uint64)
    rotated = ((crcs >> np.uint64(15)) | (crcs << np.uint64(17))) & np.uint64(0xFFFFFFFF)
    return (rotated + np.uint64(CRC_MASK_DELTA)) & np.uint64(0xFFFFFFFF)


def frame_record(data: bytes) -> bytes:
    """One record holding ``data``, framed and checksummed as TensorFlow writes it.

    For tests and benchmarks that write event files without TensorFlow.
    """
    from crc32c import crc32c

    header = _LENGTH.pack(len(data))

    def masked(chunk: bytes) -> bytes:
        value = int(masked_crc(np.array([crc32c(chunk)], dtype=np.uint64))[0])
        return struct.pack("<I", value)

    return header + masked(header) + data + masked(data)


def _read_padded(path: Path) -> bytearray:
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(0)
            content = bytearray(size + PADDING)
            read = handle.readinto(memoryview(content)[:size])
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror or exc})",
            path=path,
            hint="Check that it is a file and that you may read it",
        ) from exc
    if read != size:  # the file shrank while being read
        del content[read:size]
    return content
