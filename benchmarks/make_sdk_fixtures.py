"""Write the recordIO-protobuf fixtures that tests/prepare compare the writer against.

Each case is a small float32 CSR matrix, saved with scipy.sparse.save_npz, and the file
that the SageMaker Python SDK 2.x function `write_spmatrix_to_sparse_tensor` writes for
it. SDK 3.x no longer writes recordIO-protobuf, and 2.x conflicts with the project's
pins, so this script runs in its own virtual environment:

    python3.11 -m venv build/sagemaker2-venv
    build/sagemaker2-venv/bin/pip install sagemaker==2.257.7 numpy==2.4.6 scipy==1.17.1
    SAGEMAKER_SUPPRESS_V2_WARNING=1 build/sagemaker2-venv/bin/python benchmarks/make_sdk_fixtures.py

The matrices come from fixed seeds, so a second run writes the same files.
"""

from __future__ import annotations

import argparse
import io
import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sagemaker.amazon.common import write_spmatrix_to_sparse_tensor

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "prepare" / "fixtures"


def random_counts(rows: int, cols: int, density: float, seed: int) -> sp.csr_matrix:
    """Return word-count-like data: small positive integers as float32, some rows empty."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(rows, cols, density=density, format="csr", dtype=np.float32, rng=rng)
    matrix.data = np.ceil(matrix.data * 5).astype(np.float32)
    return matrix


def cases() -> dict[str, sp.csr_matrix]:
    """Return the fixture matrices by name; each covers an encoding case the tests name."""
    keep_rows = np.ones(60, dtype=np.float32)
    keep_rows[[0, 7, 59]] = 0
    empty_rows = sp.csr_matrix(sp.diags(keep_rows) @ random_counts(60, 300, 0.05, seed=1))
    empty_rows.eliminate_zeros()

    # Column 16383 and above take 3-byte varints, column 2**21 and above 4 bytes.
    rng = np.random.default_rng(2)
    wide_columns = [0, 1, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**28 + 2]
    rows = np.repeat(np.arange(12), 9)
    cols = np.tile(wide_columns, 12)
    wide = sp.csr_matrix((rng.integers(1, 9, rows.size).astype(np.float32), (rows, cols)), shape=(12, 2**28 + 3))

    # A long row makes the record and the packed fields need multi-byte length varints.
    long_row = random_counts(2, 20000, 0.2, seed=3)

    # Storage order is kept: unsorted indices and explicit zeros are written as stored.
    unsorted = random_counts(20, 400, 0.1, seed=4)
    rng = np.random.default_rng(4)
    for row in range(unsorted.shape[0]):
        start, end = unsorted.indptr[row], unsorted.indptr[row + 1]
        order = rng.permutation(end - start) + start
        unsorted.indices[start:end] = unsorted.indices[order]
        unsorted.data[start:end] = unsorted.data[order]
    unsorted.data[::7] = 0.0
    unsorted.has_sorted_indices = False

    special = sp.csr_matrix(
        (
            np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38, 0.1, -2.5], dtype=np.float32),
            np.array([0, 1, 2, 3, 4, 5, 6, 7]),
            np.array([0, 3, 3, 8]),
        ),
        shape=(3, 9),
    )

    zipf = zipf_counts(rows=1000, cols=20000, mean_length=40, seed=5)
    return {
        "empty_rows": empty_rows,
        "wide_columns": wide,
        "long_row": long_row,
        "unsorted_and_zeros": unsorted,
        "special_values": special,
        "zipf_1000x20000": zipf,
    }


def zipf_counts(rows: int, cols: int, mean_length: float, seed: int) -> sp.csr_matrix:
    """Return bag-of-words counts: Poisson document lengths, Zipf word frequencies, shuffled columns.

    The benchmark uses the same generator, so its matrix looks like the fixture's.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.poisson(mean_length, rows) + 1
    ranks = np.arange(1, cols + 1)
    probabilities = 1.0 / ranks**1.07
    probabilities /= probabilities.sum()
    tokens = rng.choice(cols, size=int(lengths.sum()), p=probabilities)
    column_of_rank = rng.permutation(cols)
    row_of_token = np.repeat(np.arange(rows), lengths)
    counts = sp.csr_matrix(
        (np.ones(tokens.size, dtype=np.float32), (row_of_token, column_of_rank[tokens])), shape=(rows, cols)
    )
    counts.sum_duplicates()
    counts.sort_indices()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="fixture folder (default: %(default)s)")
    args = parser.parse_args()

    args.output.mkdir(parents=True, exist_ok=True)
    index = {}
    for name, matrix in cases().items():
        sp.save_npz(args.output / f"{name}.npz", matrix, compressed=True)
        buffer = io.BytesIO()
        write_spmatrix_to_sparse_tensor(buffer, matrix)
        (args.output / f"{name}.pbr").write_bytes(buffer.getvalue())
        index[name] = {"rows": matrix.shape[0], "columns": matrix.shape[1], "nonzeros": matrix.nnz}

    provenance = {
        "command": "SAGEMAKER_SUPPRESS_V2_WARNING=1 build/sagemaker2-venv/bin/python benchmarks/make_sdk_fixtures.py",
        "writer": "sagemaker.amazon.common.write_spmatrix_to_sparse_tensor",
        "versions": {package: version(package) for package in ("sagemaker", "protobuf", "numpy", "scipy")},
        "cases": index,
    }
    (args.output / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    print(f"Wrote {len(index)} cases to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
