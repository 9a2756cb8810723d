"""The recordIO-protobuf writer, checked with an independent decoder of the documented format."""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from ntm_tune.prepare.recordio import write_sparse_records
from tests.prepare.recordio_reader import MAGIC, read_payloads, read_sparse_records


def write(matrix: sp.csr_matrix, **options) -> bytes:
    buffer = io.BytesIO()
    written = write_sparse_records(buffer, matrix, **options)
    assert written == len(buffer.getvalue())
    return buffer.getvalue()


def assert_same_entries(decoded: sp.csr_matrix, expected: sp.csr_matrix) -> None:
    """Compare shape, row pointers, column order and value bits, so -0.0 and NaN count too."""
    assert decoded.shape == expected.shape
    assert np.array_equal(decoded.indptr, expected.indptr)
    assert np.array_equal(decoded.indices, expected.indices)
    assert np.array_equal(decoded.data.view(np.uint32), expected.data.astype(np.float32).view(np.uint32))


def random_matrix(rows: int, cols: int, density: float, seed: int) -> sp.csr_matrix:
    return sp.random(rows, cols, density=density, format="csr", dtype=np.float32, rng=np.random.default_rng(seed))


@pytest.mark.parametrize(
    ("rows", "cols", "density"),
    [(1, 1, 1.0), (40, 128, 0.1), (40, 16385, 0.001), (300, 5000, 0.02), (5, 20000, 0.9)],
)
def test_random_matrix_round_trips(rows, cols, density):
    matrix = random_matrix(rows, cols, density, seed=rows + cols)

    decoded = read_sparse_records(write(matrix))

    assert_same_entries(decoded, matrix)


def test_frames_have_magic_length_and_padding():
    matrix = random_matrix(25, 700, 0.05, seed=3)

    data = write(matrix)

    assert data[:4] == bytes.fromhex("0a23d7ce")
    assert int.from_bytes(data[:4], "little") == MAGIC
    assert len(data) % 4 == 0
    assert sum(1 for _ in read_payloads(data)) == 25


def test_empty_rows_are_records_with_shape_only():
    matrix = sp.csr_matrix(np.array([[0, 0, 0], [0, 2.5, 0], [0, 0, 0]], dtype=np.float32))

    data = write(matrix)

    payloads = list(read_payloads(data))
    assert len(payloads) == 3
    # Hand-encoded: Float32Tensor{shape: [3]} = 1a 01 03; Value{float32_tensor} = 12 03 ...;
    # map entry {key "values", value} = 0a 06 "values" 12 05 ...; Record{features} = 0a 0f ...
    assert payloads[0] == bytes.fromhex("0a0f0a06" + b"values".hex() + "120512031a0103")
    assert payloads[2] == payloads[0]
    assert_same_entries(read_sparse_records(data), matrix)


@pytest.mark.parametrize("block_nonzeros", [1, 3, 64, 1 << 20])
@pytest.mark.parametrize("threads", [1, 3])
def test_blocks_and_threads_do_not_change_output(block_nonzeros, threads):
    matrix = random_matrix(200, 3000, 0.01, seed=11)

    assert write(matrix, block_nonzeros=block_nonzeros, threads=threads) == write(matrix)


def test_wide_columns_take_long_key_varints():
    columns = np.array([0, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**28, 2**35 + 1])
    matrix = sp.csr_matrix((np.arange(1, 10, dtype=np.float32), columns, np.array([0, 4, 9])), shape=(2, 2**35 + 2))

    assert_same_entries(read_sparse_records(write(matrix)), matrix)


def test_storage_order_and_explicit_zeros_are_kept():
    matrix = sp.csr_matrix(
        (np.array([1.0, 0.0, -0.0, 2.0], dtype=np.float32), np.array([5, 1, 3, 0]), np.array([0, 3, 4])),
        shape=(2, 6),
    )

    assert_same_entries(read_sparse_records(write(matrix)), matrix)


def test_special_float_values_keep_their_bits():
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38], dtype=np.float32)
    matrix = sp.csr_matrix((values, np.arange(6), np.array([0, 6])), shape=(1, 6))

    assert_same_entries(read_sparse_records(write(matrix)), matrix)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (sp.csr_matrix(np.ones((2, 2), dtype=np.float64)), "expected float32 values"),
        (sp.csc_matrix(np.ones((2, 2), dtype=np.float32)), "expected a scipy.sparse CSR matrix"),
        (np.ones((2, 2), dtype=np.float32), "expected a scipy.sparse CSR matrix"),
    ],
)
def test_wrong_matrix_type_rejected(matrix, message):
    with pytest.raises(ValueError, match=message):
        write(matrix)


@pytest.mark.parametrize("bad_column", [4, -1])
def test_out_of_range_column_rejected(bad_column):
    matrix = random_matrix(300, 4, 0.5, seed=5)
    # In a late block, so that earlier blocks are encoded, and maybe written, first.
    matrix.indices[-2] = bad_column

    with pytest.raises(ValueError, match=r"column indices must be in \[0, 4\)"):
        write(matrix, block_nonzeros=16, threads=2)


def test_thread_count_must_be_positive():
    with pytest.raises(ValueError, match="threads must be at least 1, got 0"):
        write(random_matrix(2, 2, 1.0, seed=1), threads=0)


@st.composite
def sparse_matrices(draw):
    rows = draw(st.integers(1, 30))
    cols = draw(st.sampled_from([1, 2, 127, 128, 129, 300, 16384, 2**21 + 3]))
    nonzeros = draw(st.integers(0, min(rows * cols, 200)))
    row_ids = draw(st.lists(st.integers(0, rows - 1), min_size=nonzeros, max_size=nonzeros))
    col_ids = draw(st.lists(st.integers(0, cols - 1), min_size=nonzeros, max_size=nonzeros))
    values = draw(st.lists(st.floats(width=32, allow_nan=False), min_size=nonzeros, max_size=nonzeros))
    matrix = sp.coo_matrix(
        (np.array(values, dtype=np.float32), (np.array(row_ids, dtype=np.int64), np.array(col_ids, dtype=np.int64))),
        shape=(rows, cols),
    ).tocsr()
    matrix.sum_duplicates()
    return matrix


@settings(max_examples=150, deadline=None)
@given(matrix=sparse_matrices(), block_nonzeros=st.integers(1, 300))
def test_any_sparse_matrix_round_trips(matrix, block_nonzeros):
    decoded = read_sparse_records(write(matrix, block_nonzeros=block_nonzeros))

    assert_same_entries(decoded, matrix)
