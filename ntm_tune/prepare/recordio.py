"""Writer of sparse Float32 records in SageMaker's recordIO-protobuf format.

Each CSR row becomes one record, byte for byte what `write_spmatrix_to_sparse_tensor`
of the SageMaker Python SDK 2.x writes for a float32 matrix without labels:

    frame         = magic (uint32 0xCED7230A) | length (uint32) | Record | zeros to a multiple of 4
    Record        = features (field 1): one map entry {key "values", value Value}
    Value         = float32_tensor (field 2): Float32Tensor
    Float32Tensor = values (1, packed float) | keys (2, packed uint64) | shape (3, packed uint64)

Integers in the frame are little-endian, lengths inside the record are protobuf varints,
and a row without nonzeros has no `values` and no `keys` field, because protobuf omits
an empty packed field.

The encoder is one numba-compiled pass over the rows. It encodes a row's key varints into
a small scratch array first, because their total length precedes the values in the record,
then writes the headers and copies the values and keys with memcpy. Blocks of rows are
encoded on worker threads, which the compiled code lets run without the GIL, while the
calling thread writes finished blocks in row order, so encoding overlaps the file writes.

numba is used because no library writes this format from a CSR matrix at memory speed:
the SDK builds one protobuf message per row in Python.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import numpy as np
import scipy.sparse as sp
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

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
# Column indices are compared as int64 and uint64.
_MAX_COLUMNS = 2**63 - 1

# Largest number of bytes in a frame besides its values and key varints. That is the frame
# header (8), four tags with 5-byte lengths (24), the map key (8), the values and keys tags
# with their lengths (12), the shape field (11) and padding (3).
_FRAME_OVERHEAD_BYTES = 66

# Blocks of 2**19 nonzeros are about 3 MiB of frames. In a one-off comparison on the
# benchmark's matrix, blocks 4 times smaller or larger were no faster.
DEFAULT_BLOCK_NONZEROS = 1 << 19

# Error codes of `_encode_rows`. A non-negative result is the number of bytes written.
_KEY_OUT_OF_RANGE = -1
_RECORD_TOO_LONG = -2


def write_sparse_records(
    file: BinaryIO,
    matrix: sp.csr_matrix | sp.csr_array,
    *,
    block_nonzeros: int = DEFAULT_BLOCK_NONZEROS,
    threads: int | None = None,
) -> int:
    """Write one record per row of a float32 CSR matrix to `file` and return the bytes written.

    Rows are encoded in blocks of about `block_nonzeros` nonzeros on `threads` worker
    threads (default: one per CPU, at most 4) and written in row order. Temporary memory
    is one output buffer per block in flight, whatever the size of the matrix. Entries
    are written in storage order, including explicitly stored zeros, as the SDK does.

    Raises ValueError for a matrix that is not float32 CSR or has a column index outside
    its shape. Blocks before the one with the bad row may already be in `file`.
    """
    _check_matrix(matrix)
    if block_nonzeros < 1:
        raise ValueError(f"block_nonzeros must be at least 1, got {block_nonzeros}")
    workers = threads if threads is not None else default_thread_count()
    if workers < 1:
        raise ValueError(f"threads must be at least 1, got {workers}")

    indptr = np.asarray(matrix.indptr, dtype=np.int64)
    indices = matrix.indices
    value_bytes = np.ascontiguousarray(matrix.data, dtype="<f4").view(np.uint8)
    n_cols = matrix.shape[1]
    bytes_per_key = _varint_bytes(max(n_cols - 1, 0))

    def encode(first_row: int, end_row: int, buffer: np.ndarray) -> np.ndarray:
        written = _encode_rows(indptr, indices, value_bytes, first_row, end_row, n_cols, buffer)
        if written == _KEY_OUT_OF_RANGE:
            keys = indices[indptr[first_row] : indptr[end_row]]
            raise ValueError(f"column indices must be in [0, {n_cols}), got {keys.min()} to {keys.max()}")
        if written == _RECORD_TOO_LONG:
            raise ValueError("a record is longer than its uint32 length field can hold (4 GiB)")
        return buffer[:written]

    # One buffer per block in flight. A buffer is reused once its block is written.
    buffers: list[np.ndarray] = [np.empty(0, dtype=np.uint8)] * (workers + 1)
    pending: deque[Future[np.ndarray]] = deque()
    written = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recordio") as pool:
        try:
            for number, (first_row, end_row) in enumerate(_row_blocks(indptr, block_nonzeros)):
                if len(pending) == len(buffers):
                    written += _write_block(file, pending.popleft())
                slot = number % len(buffers)
                nonzeros = int(indptr[end_row] - indptr[first_row])
                bound = (end_row - first_row) * _FRAME_OVERHEAD_BYTES + nonzeros * (4 + bytes_per_key)
                if buffers[slot].size < bound:
                    buffers[slot] = np.empty(bound, dtype=np.uint8)
                pending.append(pool.submit(encode, first_row, end_row, buffers[slot]))
            while pending:
                written += _write_block(file, pending.popleft())
        finally:
            for future in pending:
                future.cancel()
    return written


def default_thread_count() -> int:
    """Return the number of encoding threads `write_sparse_records` uses by default."""
    return min(os.cpu_count() or 1, 4)


def _write_block(file: BinaryIO, future: Future[np.ndarray]) -> int:
    block = future.result()
    file.write(memoryview(block))
    return block.size


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


def _check_matrix(matrix: object) -> None:
    if not (sp.issparse(matrix) and matrix.format == "csr"):
        raise ValueError(f"expected a scipy.sparse CSR matrix, got {type(matrix).__name__}")
    if matrix.dtype != np.float32:
        raise ValueError(f"expected float32 values, got {matrix.dtype}; convert with .astype(numpy.float32)")
    if matrix.shape[1] > _MAX_COLUMNS:
        raise ValueError(f"at most {_MAX_COLUMNS} columns are supported, got {matrix.shape[1]}")


@njit(cache=True, nogil=True, inline="always")
def _varint_bytes(value):
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


@intrinsic
def _copy_bytes(typing_context, destination, destination_start, source, source_start, count):
    """Copy `count` bytes from `source[source_start:]` to `destination[destination_start:]`.

    Compiled to LLVM's memcpy, which copied the benchmark matrix's values about 9 times
    faster than a byte loop in a one-off measurement. The ranges must not overlap.
    """

    def generate(context, builder, signature, arguments):
        destination_array = context.make_array(signature.args[0])(context, builder, arguments[0])
        source_array = context.make_array(signature.args[2])(context, builder, arguments[2])
        cgutils.raw_memcpy(
            builder,
            builder.gep(destination_array.data, [arguments[1]]),
            builder.gep(source_array.data, [arguments[3]]),
            arguments[4],
            1,
        )
        return context.get_dummy_value()

    return types.void(destination, destination_start, source, source_start, count), generate


@njit(cache=True, nogil=True, inline="always")
def _put_varint(out, position, value):
    while value >= 0x80:
        out[position] = (value & 0x7F) | 0x80
        value >>= 7
        position += 1
    out[position] = value
    return position + 1


@njit(cache=True, nogil=True, inline="always")
def _put_tagged_varint(out, position, tag, value):
    out[position] = tag
    return _put_varint(out, position + 1, value)


@njit(cache=True, nogil=True)
def _encode_rows(indptr, indices, value_bytes, first_row, end_row, n_cols, out):
    """Write the frames of rows [first_row, end_row) to `out` and return their length.

    `out` must hold `_FRAME_OVERHEAD_BYTES` per row plus 4 bytes and one key varint per
    nonzero. Returns `_KEY_OUT_OF_RANGE` or `_RECORD_TOO_LONG` instead when a row breaks
    those rules.
    """
    # A row's key varints go to `keys` first, because their length precedes the values.
    largest_row = 0
    for row in range(first_row, end_row):
        largest_row = max(largest_row, indptr[row + 1] - indptr[row])
    keys = np.empty(largest_row * _varint_bytes(n_cols), dtype=np.uint8)
    # Comparing keys as uint64 also rejects negative ones.
    columns = np.uint64(n_cols)
    shape_varint_bytes = _varint_bytes(n_cols)

    position = 0
    for row in range(first_row, end_row):
        begin = indptr[row]
        nonzeros = indptr[row + 1] - begin
        key_bytes = 0
        for index in range(begin, begin + nonzeros):
            key = indices[index]
            if np.uint64(key) >= columns:
                return _KEY_OUT_OF_RANGE
            if key < 0x80:
                keys[key_bytes] = key
                key_bytes += 1
            elif key < 0x4000:
                keys[key_bytes] = (key & 0x7F) | 0x80
                keys[key_bytes + 1] = key >> 7
                key_bytes += 2
            else:
                key_bytes = _put_varint(keys, key_bytes, key)

        tensor_bytes = 2 + shape_varint_bytes
        if nonzeros > 0:
            tensor_bytes += 1 + _varint_bytes(4 * nonzeros) + 4 * nonzeros + 1 + _varint_bytes(key_bytes) + key_bytes
        value_field_bytes = 1 + _varint_bytes(tensor_bytes) + tensor_bytes
        map_entry_bytes = 2 + 6 + 1 + _varint_bytes(value_field_bytes) + value_field_bytes
        record_bytes = 1 + _varint_bytes(map_entry_bytes) + map_entry_bytes
        if record_bytes > _MAX_RECORD_BYTES:
            return _RECORD_TOO_LONG

        # Frame header: magic and record length, little-endian uint32 each.
        for shift in range(0, 32, 8):
            out[position] = (RECORDIO_MAGIC >> shift) & 0xFF
            out[position + 4] = (record_bytes >> shift) & 0xFF
            position += 1
        position += 4
        record_start = position
        position = _put_tagged_varint(out, position, _TAG_RECORD_FEATURES, map_entry_bytes)
        out[position] = _TAG_MAP_KEY
        out[position + 1] = 6
        out[position + 2] = 118  # "values"
        out[position + 3] = 97
        out[position + 4] = 108
        out[position + 5] = 117
        out[position + 6] = 101
        out[position + 7] = 115
        position += 8
        position = _put_tagged_varint(out, position, _TAG_MAP_VALUE, value_field_bytes)
        position = _put_tagged_varint(out, position, _TAG_VALUE_FLOAT32_TENSOR, tensor_bytes)
        if nonzeros > 0:
            position = _put_tagged_varint(out, position, _TAG_TENSOR_VALUES, 4 * nonzeros)
            _copy_bytes(out, position, value_bytes, 4 * begin, 4 * nonzeros)
            position += 4 * nonzeros
            position = _put_tagged_varint(out, position, _TAG_TENSOR_KEYS, key_bytes)
            _copy_bytes(out, position, keys, 0, key_bytes)
            position += key_bytes
        position = _put_tagged_varint(out, position, _TAG_TENSOR_SHAPE, shape_varint_bytes)
        position = _put_varint(out, position, n_cols)
        while (position - record_start) % 4:
            out[position] = 0
            position += 1
    return position
