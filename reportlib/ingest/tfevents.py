"""Decoding TensorBoard ``Event`` records into scalar values, without TensorFlow.

The protocol buffers involved are small and stable (``tensorboard/compat/proto``:
``event.proto``, ``summary.proto``, ``tensor.proto``), so they are decoded by
hand from the wire format instead of depending on ``protobuf``::

    Event    1 wall_time double | 2 step int64 | 3 file_version string |
             5 summary Summary | 7 session_log SessionLog | (others skipped)
    Summary  1 value Value (repeated)
    Value    1 tag string | 7 node_name string | 2 simple_value float |
             8 tensor TensorProto | 9 metadata SummaryMetadata |
             3, 4, 5, 6: histogram, image, histogram, audio (not scalars)
    SummaryMetadata  1 plugin_data {1 plugin_name string} | 4 data_class enum
    TensorProto      1 dtype | 2 tensor_shape {2 dim {1 size}} | 4 tensor_content |
                     5 float_val | 6 double_val | 7 int_val | 10 int64_val |
                     11 bool_val | 13 half_val | 16 uint32_val | 17 uint64_val

A scalar is a ``simple_value`` (TF1, PyTorch's SummaryWriter) or a one-element
numeric tensor whose plugin is ``scalars`` (TF2's ``tf.summary.scalar``) or
unnamed. Everything else (histograms, images, text, hparams) is counted, not read.

Speed: almost every record of a scalar log has the same few-field layout, so
:func:`decode_events` decodes those with numpy over all records at once and
hands any record of another shape to the general decoder
(:func:`decode_event`), one at a time. Both give the same values.

(Over 500 lines: a protobuf decoder written out for speed, the numpy fast path and
the general decoder it falls back to, which must give the same values; they are
kept side by side so that a change to one is seen next to the other.)
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reportlib.ingest.tfrecord import RecordScan

#: TensorProto dtype numbers (``types.proto``) of numeric types, with the
#: struct format of one element in ``tensor_content``.
_DTYPE_FORMATS = {
    1: "<f",  # DT_FLOAT
    2: "<d",  # DT_DOUBLE
    3: "<i",  # DT_INT32
    4: "<B",  # DT_UINT8
    5: "<h",  # DT_INT16
    6: "<b",  # DT_INT8
    9: "<q",  # DT_INT64
    10: "<?",  # DT_BOOL
    14: "<H",  # DT_BFLOAT16 (the upper half of a float32)
    17: "<H",  # DT_UINT16
    19: "<e",  # DT_HALF
    22: "<I",  # DT_UINT32
    23: "<Q",  # DT_UINT64
}
_DT_BFLOAT16 = 14
_DT_HALF = 19

#: The plugin name of scalar summaries, and the one of an unnamed tensor.
SCALAR_PLUGINS = frozenset({"scalars", ""})

#: ``SessionLog.status`` value written when a (re)started session begins.
SESSION_START = 1


class MalformedRecordError(ValueError):
    """A record whose checksum matched but whose bytes are not a valid Event."""


@dataclass
class DecodedEvents:
    """The scalar values of one event file, in record order.

    ``record`` says which record each value came from (several values may come
    from one record); ``tag`` indexes ``tags``.
    """

    record: np.ndarray
    wall_time: np.ndarray
    step: np.ndarray
    tag: np.ndarray
    value: np.ndarray
    tags: list[str]
    file_version: str | None = None
    skipped: Counter = field(default_factory=Counter)
    malformed: list[int] = field(default_factory=list)
    session_starts: list[tuple[int, float]] = field(default_factory=list)


@dataclass
class _Slow:
    """Values found by the general decoder, as parallel lists."""

    record: list[int] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    tensor_tags: set[str] = field(default_factory=set)


def decode_events(scan: RecordScan) -> DecodedEvents:
    """Decode the scalar values of every record of a scanned event file.

    Parameters
    ----------
    scan:
        The verified records (:func:`reportlib.ingest.tfrecord.scan_records`).

    Returns
    -------
    A :class:`DecodedEvents`; records that are not valid Events (checksum
    right, content wrong) are listed in ``malformed`` by their byte offset.
    """
    fast = _decode_in_chunks(scan)
    slow = _Slow()
    out = DecodedEvents(
        record=np.zeros(0, np.int64),
        wall_time=np.zeros(0),
        step=np.zeros(0, np.int64),
        tag=np.zeros(0, np.int64),
        value=np.zeros(0),
        tags=[],
    )
    plugins: dict[str, str] = {}
    content = scan.content
    for index in fast.rest.tolist():
        start = int(scan.starts[index])
        end = start + int(scan.lengths[index])
        try:
            event = decode_event(content, start, end)
        except MalformedRecordError:
            out.malformed.append(start - 12)
            continue
        _collect(event, index, slow, plugins, out)

    # Tags of the fast tensor path whose plugin is not known yet: the first
    # record of the tag carries its metadata, so decode that one in full.
    tensor_tags = np.unique(fast.tag[fast.is_tensor]) if fast.is_tensor.any() else []
    for tag_code in tensor_tags:
        name = fast.tags[int(tag_code)]
        if name not in plugins:
            first = int(fast.record[np.flatnonzero(fast.is_tensor & (fast.tag == tag_code))[0]])
            start = int(scan.starts[first])
            try:
                event = decode_event(content, start, start + int(scan.lengths[first]))
            except MalformedRecordError:  # its metadata is broken: no plugin known
                continue
            for value in event.values:
                if value.plugin is not None:
                    plugins.setdefault(value.tag, value.plugin)
    keep = np.ones(len(fast.record), dtype=bool)
    for tag_code in tensor_tags:
        name = fast.tags[int(tag_code)]
        plugin = plugins.get(name, "")
        if plugin not in SCALAR_PLUGINS:
            mask = fast.is_tensor & (fast.tag == tag_code)
            out.skipped[f"{plugin} tensors"] += int(mask.sum())
            keep &= ~mask
    # Tensors of the general decoder: their tag's plugin may have come later in the file.
    slow_keep = []
    for i, name in enumerate(slow.tag):
        plugin = plugins.get(name, "")
        if name in slow.tensor_tags and plugin not in SCALAR_PLUGINS:
            out.skipped[f"{plugin} tensors"] += 1
        else:
            slow_keep.append(i)

    tags = list(fast.tags)
    index_of = {name: i for i, name in enumerate(tags)}
    slow_tag = np.array(
        [index_of.setdefault(slow.tag[i], len(index_of)) for i in slow_keep], dtype=np.int64
    )
    tags = list(index_of)
    record = np.concatenate([fast.record[keep], np.array(slow.record, np.int64)[slow_keep]])
    order = np.argsort(record, kind="stable")
    out.record = record[order]
    out.wall_time = np.concatenate(
        [fast.wall_time[keep], np.array(slow.wall_time, np.float64)[slow_keep]]
    )[order]
    out.step = np.concatenate([fast.step[keep], np.array(slow.step, np.int64)[slow_keep]])[order]
    out.tag = np.concatenate([fast.tag[keep], slow_tag])[order]
    out.value = np.concatenate([fast.value[keep], np.array(slow.value, np.float64)[slow_keep]])[
        order
    ]
    out.tags = tags
    return out


def _collect(event: Event, index: int, slow: _Slow, plugins: dict[str, str], out: DecodedEvents):
    if event.file_version is not None and out.file_version is None:
        out.file_version = event.file_version
    if event.session_status == SESSION_START:
        out.session_starts.append((event.step, event.wall_time))
    for value in event.values:
        if value.plugin is not None:
            plugins.setdefault(value.tag, value.plugin)
        if value.kind != "scalar":
            out.skipped[value.kind] += 1
            continue
        slow.record.append(index)
        slow.wall_time.append(event.wall_time)
        slow.step.append(event.step)
        slow.tag.append(value.tag)
        slow.value.append(value.number)
        if value.from_tensor:
            slow.tensor_tags.add(value.tag)


# --- the general decoder: any Event, one at a time ------------------------------------------


@dataclass
class Value:
    """One ``Summary.Value``: its tag, what it holds and, for a scalar, the number."""

    tag: str
    kind: str
    number: float = math.nan
    plugin: str | None = None
    from_tensor: bool = False


@dataclass
class Event:
    """The parts of an ``Event`` reportlib uses."""

    wall_time: float = 0.0
    step: int = 0
    file_version: str | None = None
    session_status: int | None = None
    values: list[Value] = field(default_factory=list)


def decode_event(buf: bytes | bytearray, start: int, end: int) -> Event:
    """Decode the serialized Event in ``buf[start:end]``.

    Raises
    ------
    MalformedRecordError
        The bytes are not a valid Event.
    """
    event = Event()
    for number, wire, a, b in _fields(buf, start, end):
        if number == 1 and wire == 1:
            event.wall_time = _DOUBLE.unpack_from(buf, a)[0]
        elif number == 2 and wire == 0:
            event.step = _signed64(a)
        elif number == 3 and wire == 2:
            event.file_version = bytes(buf[a:b]).decode("utf-8", errors="replace")
        elif number == 5 and wire == 2:
            for vnumber, vwire, va, vb in _fields(buf, a, b):
                if vnumber == 1 and vwire == 2:
                    event.values.append(_decode_value(buf, va, vb))
        elif number == 7 and wire == 2:
            for snumber, swire, sa, _ in _fields(buf, a, b):
                if snumber == 1 and swire == 0:
                    event.session_status = sa
    return event


def _decode_value(buf: bytes | bytearray, start: int, end: int) -> Value:
    tag = node_name = ""
    kind = "empty value"
    number = math.nan
    plugin: str | None = None
    tensor: tuple[int, int] | None = None
    for number_, wire, a, b in _fields(buf, start, end):
        if number_ == 1 and wire == 2:
            tag = bytes(buf[a:b]).decode("utf-8", errors="replace")
        elif number_ == 7 and wire == 2:
            node_name = bytes(buf[a:b]).decode("utf-8", errors="replace")
        elif number_ == 2 and wire == 5:
            kind, number = "scalar", _FLOAT.unpack_from(buf, a)[0]
        elif number_ in (3, 5):
            kind = "histograms"
        elif number_ == 4:
            kind = "images"
        elif number_ == 6:
            kind = "audio"
        elif number_ == 8 and wire == 2:
            tensor = (a, b)
        elif number_ == 9 and wire == 2:
            plugin = _plugin_name(buf, a, b)
    value = Value(tag=tag or node_name, kind=kind, number=number, plugin=plugin)
    if tensor is not None:
        scalar = _tensor_scalar(buf, *tensor)
        if scalar is None:
            value.kind = f"{plugin or 'non-scalar'} tensors"
        else:
            value.kind, value.number, value.from_tensor = "scalar", scalar, True
    return value


def _plugin_name(buf: bytes | bytearray, start: int, end: int) -> str:
    for number, wire, a, b in _fields(buf, start, end):
        if number == 1 and wire == 2:
            for pnumber, pwire, pa, pb in _fields(buf, a, b):
                if pnumber == 1 and pwire == 2:
                    return bytes(buf[pa:pb]).decode("utf-8", errors="replace")
    return ""


def _tensor_scalar(buf: bytes | bytearray, start: int, end: int) -> float | None:
    """The number in a one-element numeric TensorProto; None for anything else."""
    dtype = 0
    elements = 1
    content: bytes | None = None
    typed: list[float] = []
    for number, wire, a, b in _fields(buf, start, end):
        if number == 1 and wire == 0:
            dtype = a
        elif number == 2 and wire == 2:
            elements = _shape_elements(buf, a, b)
        elif number == 4 and wire == 2:
            content = bytes(buf[a:b])
        elif number in (5, 6, 7, 10, 11, 13, 16, 17):
            typed.extend(_typed_values(buf, number, wire, a, b))
    if dtype not in _DTYPE_FORMATS or elements != 1:
        return None
    fmt = _DTYPE_FORMATS[dtype]
    if content is not None:
        if len(content) != struct.calcsize(fmt):
            return None
        raw = struct.unpack(fmt, content)[0]
        if dtype == _DT_BFLOAT16:
            return struct.unpack("<f", struct.pack("<I", raw << 16))[0]
        return float(raw)
    if len(typed) != 1:
        return None
    raw = typed[0]
    if dtype == _DT_HALF:
        return struct.unpack("<e", struct.pack("<H", int(raw) & 0xFFFF))[0]
    if dtype == _DT_BFLOAT16:
        return struct.unpack("<f", struct.pack("<I", (int(raw) & 0xFFFF) << 16))[0]
    return float(raw)


def _typed_values(buf: bytes | bytearray, number: int, wire: int, a: int, b: int) -> list[float]:
    """The values of one typed TensorProto field, packed (wire 2) or not."""
    if number == 5:  # float_val
        if wire == 5:
            return [_FLOAT.unpack_from(buf, a)[0]]
        return list(struct.unpack(f"<{(b - a) // 4}f", bytes(buf[a:b])))
    if number == 6:  # double_val
        if wire == 1:
            return [_DOUBLE.unpack_from(buf, a)[0]]
        return list(struct.unpack(f"<{(b - a) // 8}d", bytes(buf[a:b])))
    # Varint fields: int_val (int32, also holds int16/int8/uint8/uint16), int64_val,
    # bool_val, half_val, uint32_val, uint64_val.
    raws = [a] if wire == 0 else _packed_varints(buf, a, b)
    signed = number in (7, 10)
    return [float(_signed64(raw) if signed else raw) for raw in raws]


def _shape_elements(buf: bytes | bytearray, start: int, end: int) -> int:
    elements = 1
    for number, wire, a, b in _fields(buf, start, end):
        if number == 2 and wire == 2:
            for dnumber, dwire, da, _ in _fields(buf, a, b):
                if dnumber == 1 and dwire == 0:
                    elements *= _signed64(da)
        elif number == 3 and wire == 0 and a:
            return -1  # unknown rank
    return elements


def _packed_varints(buf: bytes | bytearray, start: int, end: int) -> list[int]:
    values = []
    pos = start
    while pos < end:
        value, pos = _varint(buf, pos, end)
        values.append(value)
    return values


def _fields(buf: bytes | bytearray, start: int, end: int):
    """Yield ``(field number, wire type, a, b)`` for each field of a message.

    For a varint field ``a`` is the value; for length-delimited ones
    ``buf[a:b]`` is the content; for fixed64/fixed32 ``a`` is where the bytes start.
    """
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise MalformedRecordError("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, pos
        elif wire == 1:
            if pos + 8 > end:
                raise MalformedRecordError("fixed64 runs past the end")
            yield number, wire, pos, pos + 8
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise MalformedRecordError("length-delimited field runs past the end")
            yield number, wire, pos, pos + length
            pos += length
        elif wire == 5:
            if pos + 4 > end:
                raise MalformedRecordError("fixed32 runs past the end")
            yield number, wire, pos, pos + 4
            pos += 4
        else:
            raise MalformedRecordError(f"wire type {wire}")


def _varint(buf: bytes | bytearray, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise MalformedRecordError("varint runs past the end")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _signed64(raw: int) -> int:
    raw &= 0xFFFFFFFFFFFFFFFF
    return raw - (1 << 64) if raw >= 1 << 63 else raw


_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")


# --- the fast path: the common layouts, all records at once ----------------------------------


@dataclass
class _Fast:
    record: np.ndarray
    wall_time: np.ndarray
    step: np.ndarray
    tag: np.ndarray
    value: np.ndarray
    is_tensor: np.ndarray
    tags: list[str]
    rest: np.ndarray  # records left to the general decoder


#: Longest tag the fast path reads (one-byte length); longer ones go to the general decoder.
_FAST_MAX_TAG = 127


#: Records decoded together by the fast path: bounds its temporary arrays (a few
#: dozen arrays of this many elements) to tens of MB whatever the file's size.
FAST_CHUNK = 1 << 18


def _decode_in_chunks(scan: RecordScan) -> _Fast:
    """:func:`_decode_common_layout` over chunks of records, joined with one tag numbering."""
    # Bytes of records of other layouts are read as numbers too (and then
    # dropped): they may be signalling NaNs, harmless to cast.
    with np.errstate(invalid="ignore", over="ignore"):
        chunks = [
            _decode_common_layout(scan, lo, min(lo + FAST_CHUNK, len(scan)))
            for lo in range(0, len(scan), FAST_CHUNK)
        ]
    if len(chunks) == 1:
        return chunks[0]
    index_of: dict[str, int] = {}
    codes = []
    for chunk in chunks:
        remap = np.array([index_of.setdefault(t, len(index_of)) for t in chunk.tags] or [0])
        codes.append(remap[chunk.tag] if len(chunk.tag) else chunk.tag)
    return _Fast(
        record=np.concatenate([c.record for c in chunks] or [np.zeros(0, np.int64)]),
        wall_time=np.concatenate([c.wall_time for c in chunks] or [np.zeros(0)]),
        step=np.concatenate([c.step for c in chunks] or [np.zeros(0, np.int64)]),
        tag=np.concatenate(codes or [np.zeros(0, np.int64)]),
        value=np.concatenate([c.value for c in chunks] or [np.zeros(0)]),
        is_tensor=np.concatenate([c.is_tensor for c in chunks] or [np.zeros(0, bool)]),
        tags=list(index_of),
        rest=np.concatenate([c.rest for c in chunks] or [np.zeros(0, np.int64)]),
    )


def _decode_common_layout(scan: RecordScan, lo: int = 0, hi: int | None = None) -> _Fast:
    """Decode the records laid out as ``Event{wall_time, step, summary{value{tag, x}}}``.

    ``x`` is a ``simple_value``, or a scalar float/double ``tensor`` optionally
    followed by ``metadata`` (TF2). Each check below narrows the set of records
    still on the fast path; the others go to ``rest``.
    """
    content = scan.content
    nbytes = len(content)
    u8 = np.frombuffer(content, dtype=np.uint8)
    u64 = np.ndarray((nbytes - 7,), dtype="<u8", buffer=content, strides=(1,))
    f64 = np.ndarray((nbytes - 7,), dtype="<f8", buffer=content, strides=(1,))
    f32 = np.ndarray((nbytes - 3,), dtype="<f4", buffer=content, strides=(1,))
    hi = len(scan) if hi is None else hi
    idx = np.arange(lo, hi, dtype=np.int64)
    pos = scan.starts[lo:hi].copy()
    end = scan.starts[lo:hi] + scan.lengths[lo:hi]

    # Positions computed for a record of another layout may point anywhere: clip
    # them into the buffer. A record is kept only if every position it used lies
    # inside it (the "== end" checks), so clipping never changes a kept value.
    limit = nbytes - 8

    def at(array: np.ndarray, where: np.ndarray) -> np.ndarray:
        return array[np.minimum(where, limit)]

    def byte(words: np.ndarray, k: int) -> np.ndarray:
        return ((words >> np.uint64(8 * k)) & np.uint64(0xFF)).astype(np.int64)

    has_wall = at(u8, pos) == 0x09
    wall_time = np.where(has_wall, at(f64, pos + 1), 0.0)
    pos = pos + 9 * has_wall
    has_step = at(u8, pos) == 0x10
    step, step_len, step_ok = _varints(u64, np.minimum(pos + 1, limit))
    ok = np.where(has_step, step_ok, True)
    step = np.where(has_step, step, 0)
    pos = pos + np.where(has_step, 1 + step_len, 0)
    # Bytes 0-5 from here: 0x2a summary_len 0x0a value_len 0x0a tag_len, each
    # length in one byte; the summary holds one value and ends the record.
    head = at(u64, pos)
    summary_len, value_len, tag_len = byte(head, 1), byte(head, 3), byte(head, 5)
    ok &= (byte(head, 0) == 0x2A) & (byte(head, 2) == 0x0A) & (byte(head, 4) == 0x0A)
    ok &= (summary_len < 0x80) & (pos + 2 + summary_len == end)
    ok &= (value_len < 0x80) & (pos + 4 + value_len == end)
    ok &= tag_len <= _FAST_MAX_TAG
    tag_start = pos + 6
    after = tag_start + tag_len
    ok &= after < end
    tail = at(u64, after)
    # simple_value: 0x15 and a float32 that ends the record.
    simple = ok & (byte(tail, 0) == 0x15) & (after + 5 == end)
    value = np.where(simple, at(f32, after + 1).astype(np.float64), np.nan)
    # TF2 scalar tensor: 0x42 len {0x08 dtype [0x12 0x00 shape] field len number}
    # [0x4a metadata], dtype float (1) or double (2); the number is tensor_content
    # (0x22), packed float_val (0x2a) or packed double_val (0x32).
    tensor_len, dtype = byte(tail, 1), byte(tail, 3)
    tensor = ok & ~simple & (byte(tail, 0) == 0x42) & (tensor_len < 0x80)
    tensor &= (byte(tail, 2) == 0x08) & ((dtype == 1) | (dtype == 2))
    has_shape = (byte(tail, 4) == 0x12) & (byte(tail, 5) == 0x00)
    field_at = after + 4 + 2 * has_shape
    width = np.where(dtype == 1, 4, 8)
    marker = np.where(has_shape, byte(tail, 6), byte(tail, 4))
    field_len = np.where(has_shape, byte(tail, 7), byte(tail, 5))
    tensor &= (marker == 0x22) | (marker == np.where(dtype == 1, 0x2A, 0x32))
    tensor_end = after + 2 + tensor_len
    tensor &= (field_len == width) & (field_at + 2 + width == tensor_end) & (tensor_end <= end)
    tensor &= (tensor_end == end) | (at(u8, tensor_end) == 0x4A)
    number = np.where(
        dtype == 1, at(f32, field_at + 2).astype(np.float64), at(f64, field_at + 2)
    )
    value = np.where(tensor, number, value)
    good = simple | tensor

    sel = idx[good]
    tags, tag_codes = _tag_codes(u64, tag_start[good], tag_len[good], content)
    return _Fast(
        record=sel,
        wall_time=wall_time[good],
        step=step[good],
        tag=tag_codes,
        value=value[good],
        is_tensor=tensor[good],
        tags=tags,
        rest=idx[~good],
    )


def _varints(u64: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the varint at each position (up to 8 bytes); returns (value, bytes, ok)."""
    words = u64[pos]
    value = np.zeros(len(pos), dtype=np.int64)
    length = np.zeros(len(pos), dtype=np.int64)
    ok = np.zeros(len(pos), dtype=bool)
    todo = np.arange(len(pos))
    for i in range(8):
        if not len(todo):
            break
        byte = ((words[todo] >> np.uint64(8 * i)) & np.uint64(0xFF)).astype(np.int64)
        value[todo] |= (byte & 0x7F) << (7 * i)
        length[todo] = i + 1
        last = byte < 0x80
        ok[todo[last]] = True
        todo = todo[~last]
    return value, length, ok


def _tag_codes(
    u64: np.ndarray, starts: np.ndarray, lengths: np.ndarray, content: bytearray
) -> tuple[list[str], np.ndarray]:
    """Number the distinct tags (bytes ``content[start:start+length]``) of many values.

    Tags are compared as 8-byte words, hashed for grouping and then checked
    word for word against one member of their group, so equal hashes of
    different tags cannot merge two tags.
    """
    if not len(starts):
        return [], np.zeros(0, dtype=np.int64)
    words_needed = int((lengths.max() + 7) // 8)
    words = []
    for k in range(words_needed):
        left = lengths - 8 * k
        word = u64[starts + 8 * k]
        keep_bits = np.where(left >= 8, 64, np.clip(left, 0, 8) * 8).astype(np.uint64)
        mask = np.where(
            keep_bits == 64,
            np.uint64(0xFFFFFFFFFFFFFFFF),
            (np.uint64(1) << keep_bits) - np.uint64(1),
        )
        words.append(word & mask)
    digest = lengths.astype(np.uint64)
    with np.errstate(over="ignore"):
        for word in words:
            digest = (digest * np.uint64(0x100000001B3)) ^ word ^ (word >> np.uint64(29))
    codes, _ = pd.factorize(digest)
    # factorize numbers groups in order of first appearance: a group's first
    # member is where the running maximum of the codes first reaches it.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    same = lengths == lengths[first][codes]
    for word in words:
        same &= word == word[first][codes]
    if not same.all():  # a hash collision: number those tags by their bytes instead
        return _tag_codes_exact(starts, lengths, content)
    tags = [
        bytes(content[s : s + n]).decode("utf-8", errors="replace")
        for s, n in zip(starts[first].tolist(), lengths[first].tolist(), strict=True)
    ]
    # Different bytes may decode to the same text (invalid UTF-8): merge those.
    index_of: dict[str, int] = {}
    remap = np.array([index_of.setdefault(t, len(index_of)) for t in tags], dtype=np.int64)
    return list(index_of), remap[codes]


def _tag_codes_exact(
    starts: np.ndarray, lengths: np.ndarray, content: bytearray
) -> tuple[list[str], np.ndarray]:
    index_of: dict[str, int] = {}
    codes = [
        index_of.setdefault(bytes(content[s : s + n]).decode("utf-8", errors="replace"),
                            len(index_of))
        for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)
    ]
    return list(index_of), np.array(codes, dtype=np.int64)
