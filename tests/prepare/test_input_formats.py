"""Each input format yields the documents it contains: lines, a folder, JSON Lines, CSV and .npz."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from tests.prepare.support import read_channel, read_manifest, read_vocabulary

# The empty document is not last, because a final line end does not start a document.
DOCUMENTS = [
    "Topic models find topics in news",
    "Neural topic models learn topics",
    "",
    "news about models",
    "topic news, and more news",
    "learn more about neural models",
]
WORDS = ["about", "and", "find", "in", "learn", "models", "more", "neural", "news", "topic", "topics"]


def all_documents(dest) -> np.ndarray:
    """Return every written row as dense counts, sorted, so channel assignment does not matter."""
    manifest = read_manifest(dest)
    rows = np.vstack([read_channel(dest, manifest, name).toarray() for name in manifest["channels"]])
    return rows[np.lexsort(rows.T[::-1])]


def expected_rows(documents: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(vocabulary=WORDS).transform(documents).toarray().astype(np.float32)
    counts = counts[counts.sum(axis=1) > 0]
    return counts[np.lexsort(counts.T[::-1])]


def check_dataset(dest, *, documents: int = 6, dropped: int = 1) -> None:
    manifest = read_manifest(dest)
    assert read_vocabulary(dest) == WORDS
    assert manifest["source"]["documents"] == documents
    assert manifest["dropped_documents"] == dropped
    assert np.array_equal(all_documents(dest), expected_rows(DOCUMENTS))


def test_crlf_lines_without_final_newline(prepare, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes("\r\n".join(DOCUMENTS).encode("utf-8"))

    assert prepare(corpus, "--out", tmp_path / "v1", "--validation-fraction", "0.2")[0] == 0

    check_dataset(tmp_path / "v1")


def test_utf8_byte_order_mark_skipped(prepare, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"\xef\xbb\xbf" + "\n".join(DOCUMENTS).encode("utf-8") + b"\n")

    assert prepare(corpus, "--out", tmp_path / "v1")[0] == 0

    check_dataset(tmp_path / "v1")


def test_folder_of_text_files(prepare, tmp_path):
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    for number, document in enumerate(DOCUMENTS):
        (folder / ("sub" if number % 2 else ".") / f"doc{number}.txt").write_text(document + "\nnot a new document")
    (folder / "notes.md").write_text("ignored because it is not .txt")

    assert prepare(folder, "--out", tmp_path / "v1", "--stop-words", "english")[0] == 0

    manifest = read_manifest(tmp_path / "v1")
    assert manifest["source"]["documents"] == 6
    assert manifest["dropped_documents"] == 0
    assert "document" in read_vocabulary(tmp_path / "v1")


def test_json_lines_with_custom_field(prepare, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"id": number, "body": document}) for number, document in enumerate(DOCUMENTS)]
    corpus.write_text("\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]) + "\n")

    assert prepare(corpus, "--out", tmp_path / "v1", "--text-field", "body")[0] == 0

    check_dataset(tmp_path / "v1")


def test_csv_with_quoted_multiline_field(prepare, tmp_path):
    corpus = tmp_path / "corpus.csv"
    rows = ["id,text,lang"] + [f'{number},"{document}",en' for number, document in enumerate(DOCUMENTS)]
    rows[1] = '0,"Topic models find\r\ntopics in news",en'
    corpus.write_text("\r\n".join(rows) + "\r\n", newline="")

    assert prepare(corpus, "--out", tmp_path / "v1")[0] == 0

    check_dataset(tmp_path / "v1")


def test_latin1_input_with_explicit_encoding(prepare, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes("café crème brûlée\nthé café\n".encode("latin-1"))

    status, _, err = prepare(corpus, "--out", tmp_path / "v1", "--encoding", "latin-1", "--validation-fraction", "0.5")

    assert (status, err) == (0, "")
    assert read_vocabulary(tmp_path / "v1") == ["brûlée", "café", "crème", "thé"]


def test_npz_matrix_with_vocabulary(prepare, tmp_path):
    matrix = sp.random(40, 6, density=0.5, format="csr", dtype=np.float64, rng=np.random.default_rng(1))
    matrix.data = np.round(matrix.data * 4) + 1
    matrix = sp.csr_matrix(sp.diags(np.r_[np.zeros(2), np.ones(38)]) @ matrix)
    sp.save_npz(tmp_path / "counts.npz", matrix)
    (tmp_path / "vocab.txt").write_text("zeta\nalpha\nthe\nbeta\ngamma\ndelta\n")

    status, _, err = prepare(
        tmp_path / "counts.npz",
        "--vocabulary",
        tmp_path / "vocab.txt",
        "--out",
        tmp_path / "v1",
        "--stop-words",
        "english",
    )

    assert (status, err) == (0, "")
    manifest = read_manifest(tmp_path / "v1")
    assert read_vocabulary(tmp_path / "v1") == ["zeta", "alpha", "beta", "gamma", "delta"]
    assert manifest["vocabulary"]["lowercase"] is None
    assert manifest["source"]["documents"] == 40
    kept = matrix[:, [0, 1, 3, 4, 5]].toarray()
    kept = kept[kept.sum(axis=1) > 0]
    assert manifest["dropped_documents"] == 40 - kept.shape[0]
    rows = np.vstack([read_channel(tmp_path / "v1", manifest, name).toarray() for name in ("train", "validation")])
    assert sorted(map(bytes, rows.astype(np.float32))) == sorted(map(bytes, kept.astype(np.float32)))


@pytest.mark.parametrize(("option", "value"), [("--vocabulary-size", "2"), ("--min-df", "3"), ("--max-df", "0.1")])
def test_npz_columns_filtered_like_text(prepare, tmp_path, option, value):
    matrix = sp.csr_matrix(np.array([[1, 0, 3], [1, 1, 0], [1, 0, 2], [1, 0, 0]] * 5, dtype=np.float32))
    sp.save_npz(tmp_path / "counts.npz", matrix)
    (tmp_path / "vocab.txt").write_text("every\nrare\nsome\n")

    status, _, err = prepare(
        tmp_path / "counts.npz", "--vocabulary", tmp_path / "vocab.txt", "--out", tmp_path / "v1", option, value
    )

    expected = {"--vocabulary-size": ["every", "some"], "--min-df": ["every", "rare", "some"], "--max-df": []}[option]
    if expected:
        assert (status, err) == (0, "")
        assert read_vocabulary(tmp_path / "v1") == expected
    else:
        assert status == 2
        assert "leave no words in the vocabulary" in err
