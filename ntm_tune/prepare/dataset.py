"""Write a dataset version into a staging folder: shards, vocab.txt and, last, manifest.json."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ntm_spec.dataset import (
    CHANNELS,
    MANIFEST_NAME,
    RECORDIO_CONTENT_TYPE,
    VOCABULARY_KEY,
    Channel,
    DataFile,
    Manifest,
    Source,
    VocabularyFile,
    VocabularySettings,
    manifest_to_dict,
    parse_manifest,
    shard_key,
)
from ntm_tune.errors import UsageError
from ntm_tune.formatting import plural
from ntm_tune.prepare.recordio import write_sparse_records

TRAIN, VALIDATION, TEST = (CHANNELS.index(name) for name in ("train", "validation", "test"))


def assign_channels(n_documents: int, *, validation_fraction: float, test_fraction: float, seed: int) -> np.ndarray:
    """Return each source document's channel code (TRAIN, VALIDATION or TEST) as int8.

    The validation and test channels get round(fraction * n_documents) documents, and at
    least one each when their fraction is above 0. Documents are assigned by a shuffle
    that depends only on the seed and the number of documents.
    """
    n_validation = _share(n_documents, validation_fraction)
    n_test = _share(n_documents, test_fraction)
    if n_validation + n_test >= n_documents:
        raise UsageError(
            f"{plural(n_documents, 'document')} {'is' if n_documents == 1 else 'are'} too few for "
            f"--validation-fraction {validation_fraction} and "
            f"--test-fraction {test_fraction}: the train channel would be empty. "
            "Lower the fractions or add documents"
        )
    codes = np.full(n_documents, TRAIN, dtype=np.int8)
    codes[:n_validation] = VALIDATION
    codes[n_validation : n_validation + n_test] = TEST
    np.random.default_rng(seed).shuffle(codes)
    return codes


class _ShardFile:
    """A binary file that records its size and SHA-256 while it is written."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")
        self._sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes | memoryview) -> int:
        self._sha256.update(data)
        self.bytes += len(data)
        return self._file.write(data)

    def close(self) -> str:
        self._file.close()
        return self._sha256.hexdigest()


class ChannelWriter:
    """Buffer one channel's rows and write them as shards of `records_per_shard` records."""

    def __init__(self, staging: Path, channel: str, records_per_shard: int):
        self._staging = staging
        self._channel = channel
        self._records_per_shard = records_per_shard
        self._pending: list[sp.csr_matrix] = []
        self._pending_rows = 0
        self._files: list[DataFile] = []
        self.documents = 0
        self.nonzeros = 0

    def add(self, rows: sp.csr_matrix) -> None:
        self._pending.append(rows)
        self._pending_rows += rows.shape[0]
        if self._pending_rows < self._records_per_shard:
            return
        stacked = sp.vstack(self._pending, format="csr")
        while stacked.shape[0] >= self._records_per_shard:
            self._write_shard(stacked[: self._records_per_shard])
            stacked = stacked[self._records_per_shard :]
        self._pending = [stacked] if stacked.shape[0] else []
        self._pending_rows = stacked.shape[0]

    def finish(self) -> Channel:
        if self._pending_rows:
            self._write_shard(sp.vstack(self._pending, format="csr"))
        self._pending = []
        self._pending_rows = 0
        return Channel(self._channel, self.documents, self.nonzeros, tuple(self._files))

    def _write_shard(self, rows: sp.csr_matrix) -> None:
        key = shard_key(self._channel, len(self._files))
        shard = _ShardFile(self._staging / key)
        try:
            write_sparse_records(shard, rows)
        finally:
            sha256 = shard.close()
        self._files.append(DataFile(key=key, bytes=shard.bytes, sha256=sha256))
        self.documents += rows.shape[0]
        self.nonzeros += rows.nnz


def write_dataset(
    staging: Path,
    matrices: Iterable[sp.csr_matrix],
    channel_codes: np.ndarray,
    *,
    words: list[str],
    settings: VocabularySettings,
    source_path: str,
    records_per_shard: int,
) -> Manifest:
    """Write every channel's shards, then vocab.txt, then manifest.json into `staging`.

    `matrices` yields the source documents' float32 counts in order, and `channel_codes`
    contains one channel code per source document. Documents without any vocabulary word
    are dropped and counted. Raises UsageError when a channel that the codes use ends up
    without documents.
    """
    used_channels = [name for code, name in enumerate(CHANNELS) if np.any(channel_codes == code)]
    writers = {name: ChannelWriter(staging, name, records_per_shard) for name in used_channels}
    position = 0
    dropped = 0
    for matrix in matrices:
        n_rows = matrix.shape[0]
        codes = channel_codes[position : position + n_rows]
        if codes.size != n_rows:
            raise UsageError(
                f"{source_path}: the input has more documents than its first reading found. "
                "Do not change the input while it is prepared"
            )
        nonempty = np.diff(matrix.indptr) > 0
        dropped += int(n_rows - np.count_nonzero(nonempty))
        for name, writer in writers.items():
            rows = np.flatnonzero(nonempty & (codes == CHANNELS.index(name)))
            if rows.size:
                writer.add(sp.csr_matrix(matrix[rows], dtype=np.float32))
        position += n_rows
    if position != channel_codes.size:
        raise UsageError(
            f"{source_path}: the input has fewer documents than its first reading found. "
            "Do not change the input while it is prepared"
        )

    channels = tuple(writer.finish() for writer in writers.values())
    for channel in channels:
        if channel.documents == 0:
            raise UsageError(
                f"{source_path}: the {channel.name} channel is empty because all its documents lack vocabulary "
                f"words ({dropped} documents dropped in total). "
                "Lower --min-df, raise --vocabulary-size or raise that channel's fraction"
            )

    vocabulary_file = _write_vocabulary(staging, words)
    manifest = Manifest(
        feature_dim=len(words),
        content_type=RECORDIO_CONTENT_TYPE,
        channels=channels,
        vocabulary_file=vocabulary_file,
        created_at=datetime.now(UTC).replace(microsecond=0),
        vocabulary=settings,
        dropped_documents=dropped,
        source=Source(path=source_path, documents=int(channel_codes.size)),
    )
    data = manifest_to_dict(manifest)
    # The Lambda functions run the same check, so a dataset that fails it must not be published.
    parse_manifest(data)
    (staging / MANIFEST_NAME).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_vocabulary(staging: Path, words: list[str]) -> VocabularyFile:
    """Write vocab.txt as UTF-8, one word per line in column order, each line ending in LF."""
    content = "".join(word + "\n" for word in words).encode("utf-8")
    path = staging / VOCABULARY_KEY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return VocabularyFile(
        key=VOCABULARY_KEY, lines=len(words), bytes=len(content), sha256=hashlib.sha256(content).hexdigest()
    )


def _share(n_documents: int, fraction: float) -> int:
    if fraction <= 0:
        return 0
    return max(1, round(fraction * n_documents))
