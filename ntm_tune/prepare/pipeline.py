"""`ntm-tune prepare` from start to end: read, choose the vocabulary, count, write and publish."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import scipy.sparse as sp

from ntm_spec.dataset import Manifest
from ntm_tune.errors import UsageError
from ntm_tune.prepare import DEFAULT_RECORDS_PER_SHARD
from ntm_tune.prepare.dataset import assign_channels, write_dataset
from ntm_tune.prepare.destination import parse_destination
from ntm_tune.prepare.matrix import load_matrix
from ntm_tune.prepare.reader import open_corpus
from ntm_tune.prepare.vocabulary import (
    VocabularyOptions,
    count_documents,
    fit_vocabulary,
    load_stop_words,
    select_matrix_columns,
)


@dataclass(frozen=True)
class PrepareRequest:
    """Everything `ntm-tune prepare` needs, already checked for type and range."""

    input_path: Path
    destination: str
    input_format: str
    encoding: str = "utf-8"
    text_field: str = "text"
    text_column: str = "text"
    vocabulary_path: Path | None = None
    vocabulary: VocabularyOptions = field(default_factory=VocabularyOptions)
    validation_fraction: float = 0.1
    test_fraction: float = 0.0
    seed: int = 0
    records_per_shard: int = DEFAULT_RECORDS_PER_SHARD


@dataclass(frozen=True)
class PrepareResult:
    manifest: Manifest
    manifest_location: str


def prepare_dataset(request: PrepareRequest) -> PrepareResult:
    """Prepare and publish one dataset version; raise UsageError before publishing anything.

    Text input is read twice, once to choose the vocabulary and once to count, so memory
    keeps one chunk of `records_per_shard` documents and the distinct words. A .npz matrix
    is loaded whole.
    """
    destination = parse_destination(request.destination)
    destination.check_available()
    stop_words = load_stop_words(request.vocabulary, request.encoding)

    if request.input_format == "npz":
        if request.vocabulary_path is None:
            raise UsageError(
                f"{request.input_path}: --vocabulary is missing. A .npz matrix needs its vocabulary file, "
                "one word per line in column order"
            )
        matrix, words = load_matrix(request.input_path, request.vocabulary_path, request.encoding)
        matrix, words = select_matrix_columns(matrix, words, request.vocabulary, stop_words)
        n_documents = matrix.shape[0]
        matrices: Iterator[sp.csr_matrix] = _row_chunks(matrix, request.records_per_shard)
        settings = request.vocabulary.settings(text_input=False)
    else:
        corpus = open_corpus(
            request.input_path,
            input_format=request.input_format,
            encoding=request.encoding,
            text_field=request.text_field,
            text_column=request.text_column,
        )
        fitted = fit_vocabulary(
            corpus.documents(),
            request.vocabulary,
            stop_words,
            chunk_documents=request.records_per_shard,
            source=str(request.input_path),
        )
        words, n_documents = fitted.words, fitted.documents
        matrices = count_documents(
            corpus.documents(), words, request.vocabulary, stop_words, chunk_documents=request.records_per_shard
        )
        settings = request.vocabulary.settings(text_input=True)

    channel_codes = assign_channels(
        n_documents,
        validation_fraction=request.validation_fraction,
        test_fraction=request.test_fraction,
        seed=request.seed,
    )
    with destination.staging() as staging:
        manifest = write_dataset(
            staging,
            matrices,
            channel_codes,
            words=words,
            settings=settings,
            source_path=str(request.input_path),
            records_per_shard=request.records_per_shard,
        )
        location = destination.publish(staging)
    return PrepareResult(manifest=manifest, manifest_location=location)


def _row_chunks(matrix: sp.csr_matrix, rows: int) -> Iterator[sp.csr_matrix]:
    for start in range(0, matrix.shape[0], rows):
        yield matrix[start : start + rows]
