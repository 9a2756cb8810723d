"""`ntm-tune prepare` end to end on the two real corpora beside the repository."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from ntm_spec.dataset import parse_manifest
from ntm_tune.prepare.reader import TextLines
from tests.prepare.support import published_files, read_channel, read_manifest, read_vocabulary


def test_lee_corpus_prepared(shared_data, prepare, tmp_path):
    corpus = shared_data / "lee_background.txt"
    dest = tmp_path / "lee" / "v1"

    status, out, err = prepare(
        corpus,
        "--out",
        dest,
        "--stop-words",
        "english",
        "--vocabulary-size",
        "3000",
        "--test-fraction",
        "0.1",
        "--records-per-shard",
        "100",
    )

    assert (status, err) == (0, "")
    assert f"Prepared {dest}: feature_dim 3000" in out
    manifest = read_manifest(dest)
    parse_manifest(manifest)
    assert manifest["feature_dim"] == 3000
    assert manifest["source"] == {"path": str(corpus), "documents": 300}
    assert manifest["dropped_documents"] == 0
    assert {name: channel["documents"] for name, channel in manifest["channels"].items()} == {
        "train": 240,
        "validation": 30,
        "test": 30,
    }
    assert [len(channel["files"]) for channel in manifest["channels"].values()] == [3, 1, 1]
    assert published_files(dest) == [
        "auxiliary/vocab.txt",
        "manifest.json",
        "test/part-00000.pbr",
        "train/part-00000.pbr",
        "train/part-00001.pbr",
        "train/part-00002.pbr",
        "validation/part-00000.pbr",
    ]

    vectorizer = CountVectorizer(stop_words="english", max_features=3000)
    expected = vectorizer.fit_transform(TextLines(corpus).documents())
    words = read_vocabulary(dest)
    assert words == list(vectorizer.get_feature_names_out())
    assert manifest["auxiliary"]["vocab"]["lines"] == len(words) == 3000

    # Every source document is in exactly one channel, with the counts CountVectorizer gives it.
    decoded = [read_channel(dest, manifest, name) for name in ("train", "validation", "test")]
    rows = np.vstack([matrix.toarray() for matrix in decoded])
    assert rows.shape == (300, 3000)
    assert sorted(map(bytes, rows.astype(np.float32))) == sorted(map(bytes, expected.toarray().astype(np.float32)))
    for name, matrix in zip(("train", "validation", "test"), decoded, strict=True):
        assert matrix.nnz == manifest["channels"][name]["nonzeros"]


def test_crlf_corpus_prepared(shared_data, prepare, tmp_path):
    corpus = shared_data / "wiki_head250_stemmed.txt"
    assert b"\r\n" in corpus.read_bytes()[:100_000]
    dest = tmp_path / "wiki" / "v1"

    status, _, err = prepare(corpus, "--out", dest, "--min-df", "2", "--max-df", "0.9", "--seed", "7")

    assert (status, err) == (0, "")
    manifest = read_manifest(dest)
    documents = corpus.read_bytes().decode("utf-8").split("\r\n")
    documents = documents[:-1] if documents[-1] == "" else documents
    assert len(documents) == 250
    vectorizer = CountVectorizer(min_df=2, max_df=0.9)
    counts = vectorizer.fit_transform(documents)
    words = read_vocabulary(dest)
    assert words == list(vectorizer.get_feature_names_out())
    assert not any("\r" in word for word in words)
    assert manifest["feature_dim"] == len(words)
    assert manifest["source"]["documents"] == 250
    assert manifest["dropped_documents"] == int(np.count_nonzero(np.diff(counts.indptr) == 0))
    channel_documents = {name: channel["documents"] for name, channel in manifest["channels"].items()}
    assert sum(channel_documents.values()) + manifest["dropped_documents"] == 250
    assert 25 - manifest["dropped_documents"] <= channel_documents["validation"] <= 25
    assert "test" not in channel_documents


def test_same_seed_gives_same_dataset(shared_data, prepare, tmp_path):
    corpus = shared_data / "lee_background.txt"

    for version in ("a", "b"):
        assert prepare(corpus, "--out", tmp_path / version, "--seed", "3")[0] == 0

    first, second = read_manifest(tmp_path / "a"), read_manifest(tmp_path / "b")
    assert first["channels"] == second["channels"]


@pytest.mark.parametrize("seed", [0, 1])
def test_seed_changes_split(shared_data, prepare, tmp_path, seed):
    corpus = shared_data / "lee_background.txt"
    prepare(corpus, "--out", tmp_path / "base", "--seed", "99")
    prepare(corpus, "--out", tmp_path / "other", "--seed", seed)

    base = read_manifest(tmp_path / "base")["channels"]["validation"]["files"][0]["sha256"]
    other = read_manifest(tmp_path / "other")["channels"]["validation"]["files"][0]["sha256"]
    assert base != other
