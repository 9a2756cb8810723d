"""Input that is already a document-term matrix: a scipy.sparse .npz file and its vocabulary file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ntm_tune.errors import UsageError
from ntm_tune.prepare.reader import read_text_lines
from ntm_tune.prepare.vocabulary import check_words


def load_matrix(path: Path, vocabulary_path: Path, encoding: str) -> tuple[sp.csr_matrix, list[str]]:
    """Return the matrix as float32 CSR with sorted indices, and one word per column.

    Raises UsageError for a file that scipy cannot load, negative or non-finite counts,
    and a vocabulary whose length or words do not fit the matrix.
    """
    if not path.is_file():
        raise UsageError(f"{path}: the file is not found. Check the input path")
    if not vocabulary_path.is_file():
        raise UsageError(f"--vocabulary {str(vocabulary_path)!r}: the file is not found. Check the path")
    try:
        loaded = sp.load_npz(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        # numpy's message for a file that is not a .npz archive suggests allow_pickle, which
        # would not help here, so that message is left out.
        detail = "" if "allow_pickle" in str(error) else f" ({error})"
        raise UsageError(
            f"{path}: the file is invalid: it is not a sparse matrix that scipy.sparse.save_npz wrote{detail}. "
            "Save the matrix with scipy.sparse.save_npz"
        ) from None

    matrix = sp.csr_matrix(loaded, dtype=np.float64)
    matrix.sum_duplicates()
    if matrix.nnz and (not np.all(np.isfinite(matrix.data)) or matrix.data.min() < 0):
        raise UsageError(
            f"{path}: the matrix is invalid: NTM reads word counts, which must be finite and not negative. "
            "Store counts or other non-negative weights"
        )
    matrix.eliminate_zeros()
    matrix.sort_indices()

    words = read_text_lines(vocabulary_path, encoding)
    if len(words) != matrix.shape[1]:
        raise UsageError(
            f"--vocabulary {str(vocabulary_path)!r}: {len(words)} words is invalid: {path} has {matrix.shape[1]} "
            "columns, and the vocabulary needs one word per column. Write one word per line, in column order"
        )
    check_words(
        words,
        source=f"--vocabulary {str(vocabulary_path)!r}",
        fix="Write one word on each line of the vocabulary file, in column order",
    )
    first_line: dict[str, int] = {}
    for line, word in enumerate(words, start=1):
        if word in first_line:
            raise UsageError(
                f"--vocabulary {str(vocabulary_path)!r}: word {word!r} on line {line} is invalid: it repeats line "
                f"{first_line[word]}, and each column needs its own word. Merge the two columns or rename one"
            )
        first_line[word] = line
    return sp.csr_matrix(matrix, dtype=np.float32), words
