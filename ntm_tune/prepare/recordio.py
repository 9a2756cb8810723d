"""Vectorized writer of sparse Float32 records in SageMaker's recordIO-protobuf format.

Each CSR row becomes one record, byte for byte what `write_spmatrix_to_sparse_tensor`
of the SageMaker Python SDK 2.x writes for a float32 matrix without labels:

    frame         = magic (uint32 0xCED7230A) | length (uint32) | Record | zeros to a multiple of 4
    Record        = features (field 1): one map entry {key "values", value Value}
    Value         = float32_tensor (field 2): Float32Tensor
    Float32Tensor = values (1, packed float) | keys (2, packed uint64) | shape (3, packed uint64)

Integers in the frame are little-endian, lengths inside the record are protobuf varints,
and a row without nonzeros has no `values` and no `keys` field, because protobuf omits
an empty packed field.

The encoder builds a block of rows with a few numpy passes and no per-row or per-nonzero
Python objects. It first computes every field's length and offset. Then it fills the
output in this order: header fields as unaligned uint64 stores, float bytes, the keys
field's tag and length, key varints, the shape field and padding, and frame headers last.
A uint64 store may write up to 7 bytes past its field, and a later step overwrites them
(see `_store_header_fields`).

NOTE: On a 2-core VM this writer took about 6 times as long as one `file.write` of its
output (docs/benchmarks.md), short of a target of 3 times. It makes several numpy passes
over the nonzeros, memory bandwidth limits them there, and a second thread gave no gain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import scipy.sparse as sp

RECORDIO_MAGIC = 0xCED7230A
FEATURE_KEY = b"values"

# Protobuf tags: (field number << 3) | wire type 2 (length-delimited).
_TAG_RECORD_FEATURES = 0x0A
_TAG_MAP_KEY = 0x0A
_TAG_MAP_VALUE = 0x12
_TAG_VALUE_FLOAT32_TENSOR = 0x12
_TAG_TENSOR_VALUES = 0x0A
_TAG_TENSOR_KEYS = 0x12
_TAG_TENSOR_SHAPE = 0x1A

# The frame stores a record's length as uint32.
_MAX_RECORD_BYTES = 2**32 - 1
# Key varints are built in uint64 words, so a key may take at most 8 varint bytes.
_MAX_COLUMNS = 2**56

_MAP_KEY = bytes([_TAG_MAP_KEY, len(FEATURE_KEY)]) + FEATURE_KEY
# Header fields are written as unaligned little-endian uint64 words.
_WORD_BYTES = 8

# Chunk widths that `_copy_segments` copies with.
_COPY_CHUNK_BYTES_ASCENDING = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])

# Peak memory of one block, output included, is about 24 bytes per nonzero: tracemalloc
# saw 11.8 MiB for blocks of 2**19 nonzeros in benchmarks/bench_recordio.py.
DEFAULT_BLOCK_NONZEROS = 1 << 19

_LITTLE_ENDIAN_WORDS = {1: np.dtype("u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<u8")}


def write_sparse_records(
    file: BinaryIO,
    matrix: sp.csr_matrix | sp.csr_array,
    *,
    block_nonzeros: int = DEFAULT_BLOCK_NONZEROS,
) -> int:
    """Write one record per row of a float32 CSR matrix to `file` and return the bytes written.

    Rows are encoded and written in blocks of about `block_nonzeros` nonzeros, so
    temporary memory stays a small multiple of one block, whatever the size of the
    matrix. Entries are written in storage order, including explicitly stored zeros, as
    the SDK does. Raises ValueError for a matrix that is not float32 CSR.
    """
    _check_matrix(matrix)
    if block_nonzeros < 1:
        raise ValueError(f"block_nonzeros must be at least 1, got {block_nonzeros}")

    # Reusing one output buffer saves the page faults of a fresh allocation per block.
    scratch = np.empty(0, dtype=np.uint8)
    written = 0
    for first_row, end_row in _row_blocks(matrix.indptr, block_nonzeros):
        block = encode_sparse_records(
            matrix.indptr[first_row : end_row + 1],
            matrix.indices,
            matrix.data,
            matrix.shape[1],
            scratch=scratch,
        )
        if block.base is not None:
            scratch = block.base
        file.write(memoryview(block))
        written += block.size
    return written


def _row_blocks(indptr: np.ndarray, block_nonzeros: int) -> Iterator[tuple[int, int]]:
    """Yield (first row, end row) of consecutive blocks of about `block_nonzeros` nonzeros."""
    n_rows = indptr.size - 1
    first_row = 0
    while first_row < n_rows:
        # A block ends at the last row boundary within block_nonzeros, after at least one row.
        end_row = int(np.searchsorted(indptr, indptr[first_row] + block_nonzeros, side="right")) - 1
        end_row = min(max(end_row, first_row + 1), n_rows)
        yield first_row, end_row
        first_row = end_row


def encode_sparse_records(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    n_cols: int,
    *,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """Encode the CSR rows that `indptr` delimits and return their frames as one uint8 array.

    `indptr` may be a slice of a larger matrix's index pointer, so its first entry need
    not be 0. `data` must be float32. The result is a view of `scratch` when that uint8
    array is large enough, and of a new array otherwise, whose `.base` the caller can
    pass as `scratch` next time. Raises ValueError for a column index outside [0, n_cols).
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    n_rows = indptr.size - 1
    if n_rows <= 0:
        return np.zeros(0, dtype=np.uint8)

    begin, end = int(indptr[0]), int(indptr[-1])
    keys = np.asarray(indices[begin:end])
    values = np.ascontiguousarray(data[begin:end])
    if values.dtype != np.float32:
        raise ValueError(f"expected float32 values, got {values.dtype}")
    # Seen as unsigned, a negative index is larger than any column count.
    largest_key = int(keys.view(f"u{keys.dtype.itemsize}").max()) if keys.size else 0
    if largest_key >= n_cols:
        raise ValueError(f"column indices must be in [0, {n_cols}), got {keys.min()} to {keys.max()}")
    row_starts = indptr[:-1] - begin
    nonzeros = np.diff(indptr)

    key_sizes = _key_varint_sizes(keys, largest_key)
    runs = _find_key_runs(key_sizes, row_starts, nonzeros)
    key_bytes = np.bincount(runs.row, weights=runs.length * runs.size, minlength=n_rows)
    layout = _RecordLayout(nonzeros, key_bytes.astype(np.int64), n_cols)

    # The spare bytes at the end take the garbage that the last record's word stores write.
    buffer_bytes = layout.total_bytes + _WORD_BYTES
    if scratch is None or scratch.size < buffer_bytes:
        scratch = np.empty(buffer_bytes, dtype=np.uint8)
    out = scratch[:buffer_bytes]
    words = _byte_windows(out, _WORD_BYTES)
    _store_header_fields(words, layout)
    value_bytes = values.astype("<f4", copy=False).view(np.uint8)
    _copy_segments(out, value_bytes, layout.values_starts, 4 * row_starts, 4 * nonzeros)
    has_values = nonzeros > 0
    keys_tags, _ = _tagged_varints(_TAG_TENSOR_KEYS, layout.key_bytes[has_values])
    words[layout.keys_field_starts[has_values]] = keys_tags
    _write_key_runs(out, keys, runs, layout)
    _store_shape_fields(out, words, layout, n_cols)
    words[layout.record_starts] = np.uint64(RECORDIO_MAGIC) | (layout.record_bytes.astype(np.uint64) << np.uint64(32))
    return out[: layout.total_bytes]


def _check_matrix(matrix: object) -> None:
    if not (sp.issparse(matrix) and matrix.format == "csr"):
        raise ValueError(f"expected a scipy.sparse CSR matrix, got {type(matrix).__name__}")
    if matrix.dtype != np.float32:
        raise ValueError(f"expected float32 values, got {matrix.dtype}; convert with .astype(numpy.float32)")
    if matrix.shape[1] >= _MAX_COLUMNS:
        raise ValueError(f"at most {_MAX_COLUMNS - 1} columns are supported, got {matrix.shape[1]}")


class _RecordLayout:
    """Byte lengths and output offsets of every field of every record in a block."""

    def __init__(self, nonzeros: np.ndarray, key_bytes: np.ndarray, n_cols: int):
        has_values = nonzeros > 0
        self.values_bytes = 4 * nonzeros
        self.key_bytes = key_bytes
        self.values_field_header_bytes = np.where(has_values, 1 + _varint_sizes(self.values_bytes), 0)
        self.keys_field_header_bytes = np.where(has_values, 1 + _varint_sizes(key_bytes), 0)
        shape_field_bytes = 2 + _varint_size(n_cols)

        self.tensor_bytes = (
            self.values_field_header_bytes
            + self.values_bytes
            + self.keys_field_header_bytes
            + key_bytes
            + shape_field_bytes
        )
        self.value_bytes = 1 + _varint_sizes(self.tensor_bytes) + self.tensor_bytes
        self.map_entry_bytes = 2 + len(FEATURE_KEY) + 1 + _varint_sizes(self.value_bytes) + self.value_bytes
        self.record_bytes = 1 + _varint_sizes(self.map_entry_bytes) + self.map_entry_bytes
        if int(self.record_bytes.max()) > _MAX_RECORD_BYTES:
            raise ValueError("a record is longer than its uint32 length field can hold (4 GiB)")

        padding = -self.record_bytes % 4
        frame_bytes = 8 + self.record_bytes + padding
        frame_ends = np.cumsum(frame_bytes)
        self.total_bytes = int(frame_ends[-1])
        self.record_starts = frame_ends - frame_bytes

        # Frame header, then the tags and lengths of Record.features, the map key, the map
        # value, Value.float32_tensor and Float32Tensor.values.
        self.header_bytes = (
            8
            + 1 + _varint_sizes(self.map_entry_bytes)
            + 2 + len(FEATURE_KEY)
            + 1 + _varint_sizes(self.value_bytes)
            + 1 + _varint_sizes(self.tensor_bytes)
            + self.values_field_header_bytes
        )  # fmt: skip
        self.values_starts = self.record_starts + self.header_bytes
        self.keys_field_starts = self.values_starts + self.values_bytes
        self.keys_starts = self.keys_field_starts + self.keys_field_header_bytes
        self.shape_field_starts = self.keys_starts + key_bytes


def _store_header_fields(words: np.ndarray, layout: _RecordLayout) -> None:
    """Store each record's fields from the Record tag up to the values field's length.

    Each field is one unaligned uint64 store that may write up to 7 bytes past the
    field. Those bytes belong to the next field, to the values, or, in a record without
    values, to its shape field and at most the first 5 bytes of the next frame. The next
    store, the later steps of `encode_sparse_records` or the final frame store overwrite
    them. This relies only on each numpy assignment finishing before the next one
    starts, and on records being more than 8 bytes apart, so that the stores of one
    assignment never overlap.
    """
    cursor = layout.record_starts + 8
    fields = [
        _tagged_varints(_TAG_RECORD_FEATURES, layout.map_entry_bytes),
        (np.uint64(int.from_bytes(_MAP_KEY, "little")), len(_MAP_KEY)),
        _tagged_varints(_TAG_MAP_VALUE, layout.value_bytes),
        _tagged_varints(_TAG_VALUE_FLOAT32_TENSOR, layout.tensor_bytes),
    ]
    for word, width in fields:
        words[cursor] = word
        cursor = cursor + width

    has_values = layout.values_bytes > 0
    word, _ = _tagged_varints(_TAG_TENSOR_VALUES, layout.values_bytes[has_values])
    words[cursor[has_values]] = word


def _store_shape_fields(out: np.ndarray, words: np.ndarray, layout: _RecordLayout, n_cols: int) -> None:
    """Write each record's shape field and the zero padding after it."""
    shape_varint = _encode_varint(n_cols)
    field = bytes([_TAG_TENSOR_SHAPE, len(shape_varint)]) + shape_varint + bytes(3)
    if len(field) <= _WORD_BYTES:
        # The zeros after the field also cover the padding, and the rest lands in the next
        # frame, which is stored last.
        words[layout.shape_field_starts] = np.uint64(int.from_bytes(field, "little"))
        return
    padding = -layout.record_bytes % 4
    n_rows = padding.size
    _copy_segments(
        out,
        np.frombuffer(field, dtype=np.uint8),
        layout.shape_field_starts,
        np.zeros(n_rows, dtype=np.int64),
        len(field) - 3 + padding,
    )


@dataclass(frozen=True)
class _KeyRuns:
    """Maximal runs of consecutive keys in one row whose varints have the same size."""

    start: np.ndarray  # index of the run's first key in the block
    length: np.ndarray  # number of keys
    size: np.ndarray  # varint bytes per key
    row: np.ndarray  # row within the block


def _find_key_runs(key_sizes: np.ndarray, row_starts: np.ndarray, nonzeros: np.ndarray) -> _KeyRuns:
    """Split each row's keys into runs of equal varint size.

    A row with sorted indices has at most one run per varint size, so the number of runs
    stays close to the number of rows, and each run is copied as one segment.
    """
    n_keys = key_sizes.size
    if n_keys == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _KeyRuns(empty, empty, empty, empty)

    boundary = np.empty(n_keys, dtype=bool)
    boundary[0] = True
    np.not_equal(key_sizes[1:], key_sizes[:-1], out=boundary[1:])
    boundary[row_starts[nonzeros > 0]] = True
    start = np.flatnonzero(boundary)
    length = np.diff(start, append=n_keys)
    size = key_sizes[start].astype(np.int64)
    # An empty row starts where the next row starts, so side="right" picks the nonempty one.
    row = np.searchsorted(row_starts, start, side="right") - 1
    return _KeyRuns(start, length, size, row)


def _write_key_runs(out: np.ndarray, keys: np.ndarray, runs: _KeyRuns, layout: _RecordLayout) -> None:
    """Encode the keys of each varint size contiguously, then copy every run to its record.

    The most common size is encoded for all keys, so its runs are copied from their own
    key positions. The keys of each other size are first gathered run by run, which
    costs time in proportion to their number only.
    """
    if runs.start.size == 0:
        return
    run_bytes = runs.length * runs.size
    bytes_before_run = np.cumsum(run_bytes) - run_bytes
    bytes_before_row = np.cumsum(layout.key_bytes) - layout.key_bytes
    run_starts_in_out = layout.keys_starts[runs.row] + bytes_before_run - bytes_before_row[runs.row]

    keys_per_size = np.bincount(runs.size, weights=runs.length)
    most_common_size = int(np.argmax(keys_per_size))
    for size in np.flatnonzero(keys_per_size).tolist():
        in_class = runs.size == size
        lengths = runs.length[in_class]
        if size == most_common_size:
            encoded = _encode_varints_of_size(keys, size)
            first_keys = runs.start[in_class]
        else:
            class_keys = keys[_ragged_arange(runs.start[in_class], lengths)]
            encoded = _encode_varints_of_size(class_keys, size)
            first_keys = np.cumsum(lengths) - lengths
        _copy_segments(out, encoded, run_starts_in_out[in_class], size * first_keys, size * lengths)


def _encode_varints_of_size(values: np.ndarray, size: int) -> np.ndarray:
    """Return the `size`-byte varints of `values` as a flat uint8 array.

    Only values whose varint takes exactly `size` bytes are encoded correctly. The bytes
    of the others are unspecified, and callers do not copy them.
    """
    word_bytes = next(width for width in (1, 2, 4, 8) if width >= size)
    word_type = _LITTLE_ENDIAN_WORDS[word_bytes].type
    # Varint byte k contains the value's bits 7k to 7k+6, which sit at bit 8k of the word:
    # word = sum over k of (value & (0x7F << 7k)) << k = value + sum over k >= 1 of
    # (value & (0x7F << 7k)) * (2**k - 1). The continuation bits are added last.
    original = values.astype(word_type)
    words = original
    if size > 1:
        words = original & word_type(0x7F << 7)
        for byte in range(2, size):
            group = original & word_type(0x7F << (7 * byte))
            group *= word_type((1 << byte) - 1)
            words += group
        words += original
    continuation = sum(0x80 << (8 * byte) for byte in range(size - 1))
    if continuation:
        words |= word_type(continuation)

    as_bytes = words.astype(_LITTLE_ENDIAN_WORDS[word_bytes], copy=False).view(np.uint8)
    if word_bytes == size:
        return as_bytes
    # Copying column by column is several times faster than one strided 2-D copy.
    encoded = np.empty((values.size, size), dtype=np.uint8)
    for byte in range(size):
        encoded[:, byte] = as_bytes[byte::word_bytes]
    return encoded.reshape(-1)


def _copy_segments(
    dst: np.ndarray,
    src: np.ndarray,
    dst_starts: np.ndarray,
    src_starts: np.ndarray,
    lengths: np.ndarray,
) -> None:
    """Copy src[src_starts[i]:+lengths[i]] to dst[dst_starts[i]:+lengths[i]] for every i.

    Destination segments must not overlap. A segment is copied in chunks of the widest
    width in `_COPY_CHUNK_BYTES_ASCENDING` that fits it, and its last chunk is shifted
    back to end at the segment's end. That chunk overlaps the one before it with the same source
    bytes, so the result does not depend on the order in which numpy copies chunks.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    # Index of the widest chunk that fits each segment, and -1 for an empty segment.
    chunk_index = np.searchsorted(_COPY_CHUNK_BYTES_ASCENDING, lengths, side="right") - 1
    segments_per_chunk = np.bincount(chunk_index + 1, minlength=_COPY_CHUNK_BYTES_ASCENDING.size + 1)

    for index in np.flatnonzero(segments_per_chunk[1:]).tolist():
        chunk = int(_COPY_CHUNK_BYTES_ASCENDING[index])
        selected = np.flatnonzero(chunk_index == index)
        segment_lengths = lengths[selected]
        chunks_per_segment = -(-segment_lengths // chunk)
        first_chunk = np.cumsum(chunks_per_segment) - chunks_per_segment
        chunk_number = np.arange(int(chunks_per_segment.sum()), dtype=np.int64)
        chunk_number -= np.repeat(first_chunk, chunks_per_segment)
        shift = np.minimum(chunk * chunk_number, np.repeat(segment_lengths - chunk, chunks_per_segment))

        dst_windows = _byte_windows(dst, chunk)
        src_windows = _byte_windows(src, chunk)
        dst_windows[np.repeat(dst_starts[selected], chunks_per_segment) + shift] = src_windows[
            np.repeat(src_starts[selected], chunks_per_segment) + shift
        ]


def _ragged_arange(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Return the concatenation of arange(start, start + length) for every pair."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if ends.size else 0, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def _byte_windows(buffer: np.ndarray, width: int) -> np.ndarray:
    """Return a view whose item i is the `width` bytes of `buffer` that start at byte i.

    Items overlap and are unaligned. Width 8 gives little-endian uint64 words, other
    widths give raw void items that numpy copies as bytes.
    """
    dtype = np.dtype("<u8") if width == 8 else np.dtype((np.void, width))
    count = max(buffer.size - width + 1, 0)
    return np.ndarray((count,), dtype=dtype, buffer=buffer, strides=(1,))


def _tagged_varints(tag: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each value's tag byte and varint as a little-endian uint64 word, and its width.

    Values must be below 2**35, so that the tag and a 5-byte varint fit in 6 bytes.
    """
    values = np.asarray(values, dtype=np.int64)
    sizes = _varint_sizes(values)
    words = np.full(values.shape, tag, dtype=np.uint64)
    remaining = values.astype(np.uint64)
    for byte in range(int(sizes.max(initial=1))):
        varint_byte = (remaining & np.uint64(0x7F)) | np.where(sizes > byte + 1, np.uint64(0x80), np.uint64(0))
        words |= varint_byte << np.uint64(8 * (byte + 1))
        remaining >>= np.uint64(7)
    return words, 1 + sizes


def _varint_sizes(values: np.ndarray) -> np.ndarray:
    """Return the number of bytes of each non-negative value's protobuf varint."""
    values = np.asarray(values)
    sizes = np.ones(values.shape, dtype=np.int64)
    if values.size == 0:
        return sizes
    largest = int(values.max())
    threshold_bits = 7
    while largest >= 1 << threshold_bits:
        sizes += values >= (1 << threshold_bits)
        threshold_bits += 7
    return sizes


def _key_varint_sizes(keys: np.ndarray, largest_key: int) -> np.ndarray:
    """Return the varint size of each key as uint8, which keeps this pass over keys cheap."""
    sizes = (keys >= 1 << 7).view(np.uint8)
    threshold_bits = 14
    while largest_key >= 1 << threshold_bits:
        sizes += keys >= 1 << threshold_bits
        threshold_bits += 7
    sizes += 1
    return sizes


def _varint_size(value: int) -> int:
    return max(1, -(-value.bit_length() // 7))


def _encode_varint(value: int) -> bytes:
    encoded = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            encoded.append(byte | 0x80)
        else:
            encoded.append(byte)
            return bytes(encoded)
