"""Helpers that read a prepared dataset version back without the code that wrote it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import scipy.sparse as sp

from tests.prepare.recordio_reader import read_sparse_records

REPOSITORY = Path(__file__).resolve().parents[2]
# The real corpora live in the `shared` folder beside the repository's root.
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_manifest(version_folder: Path) -> dict:
    return json.loads((version_folder / "manifest.json").read_text(encoding="utf-8"))


def read_vocabulary(version_folder: Path) -> list[str]:
    """Return vocab.txt's words, checking that every line ends in LF."""
    text = (version_folder / "auxiliary" / "vocab.txt").read_bytes().decode("utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def read_channel(version_folder: Path, manifest: dict, channel: str) -> sp.csr_matrix:
    """Decode a channel's shards in manifest order, checking each file's size and SHA-256."""
    parts = []
    for file in manifest["channels"][channel]["files"]:
        data = (version_folder / file["key"]).read_bytes()
        assert len(data) == file["bytes"], file["key"]
        assert hashlib.sha256(data).hexdigest() == file["sha256"], file["key"]
        parts.append(read_sparse_records(data))
    return sp.vstack(parts, format="csr")


def published_files(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
