"""The streamed vocabulary equals scikit-learn's CountVectorizer fitted on the whole corpus."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from ntm_tune.errors import UsageError
from ntm_tune.prepare.reader import TextLines
from ntm_tune.prepare.vocabulary import (
    VocabularyOptions,
    count_documents,
    fit_vocabulary,
    load_stop_words,
    select_features,
)

OPTION_SETS = [
    VocabularyOptions(),
    VocabularyOptions(max_features=500, stop_words="english"),
    VocabularyOptions(min_df=2, max_df=0.5, lowercase=False),
    VocabularyOptions(min_df=0.01, max_features=50, token_pattern=r"(?u)\b[a-z]{3,}\b"),
    VocabularyOptions(max_df=20, max_features=3000),
]


def reference(options: VocabularyOptions) -> CountVectorizer:
    return CountVectorizer(
        lowercase=options.lowercase,
        token_pattern=options.token_pattern,
        stop_words=options.stop_words,
        min_df=options.min_df,
        max_df=options.max_df,
        max_features=options.max_features,
    )


@pytest.mark.parametrize("corpus_name", ["lee_background.txt", "wiki_head250_stemmed.txt"])
@pytest.mark.parametrize("options", OPTION_SETS, ids=str)
@pytest.mark.parametrize("chunk_documents", [7, 1000])
def test_streamed_vocabulary_equals_count_vectorizer(shared_data, corpus_name, options, chunk_documents):
    documents = list(TextLines(shared_data / corpus_name).documents())

    fitted = fit_vocabulary(documents, options, load_stop_words(options, "utf-8"), chunk_documents=chunk_documents)

    assert fitted.documents == len(documents)
    assert fitted.words == list(reference(options).fit(documents).get_feature_names_out())


def test_counts_equal_count_vectorizer(shared_data):
    documents = list(TextLines(shared_data / "lee_background.txt").documents())
    options = VocabularyOptions(max_features=2000, stop_words="english")
    expected = reference(options).fit_transform(documents)
    fitted = fit_vocabulary(documents, options, load_stop_words(options, "utf-8"), chunk_documents=64)

    chunks = list(
        count_documents(documents, fitted.words, options, load_stop_words(options, "utf-8"), chunk_documents=64)
    )

    assert [chunk.shape[0] for chunk in chunks] == [64, 64, 64, 64, 44]
    assert all(chunk.dtype == np.float32 for chunk in chunks)
    stacked = np.vstack([chunk.toarray() for chunk in chunks])
    assert np.array_equal(stacked, expected.toarray())


def test_wordless_chunks_still_counted():
    documents = ["", "the and", "topic model words", "", "model words again"]

    fitted = fit_vocabulary(
        documents,
        VocabularyOptions(stop_words="english"),
        load_stop_words(VocabularyOptions(stop_words="english"), "utf-8"),
        chunk_documents=2,
    )

    assert fitted.documents == 5
    assert fitted.words == ["model", "topic", "words"]


def test_only_stop_words_rejected():
    options = VocabularyOptions(stop_words="english")

    with pytest.raises(UsageError, match="the input contains no words after tokenizing"):
        fit_vocabulary(["the and of", "is it"], options, load_stop_words(options, "utf-8"), chunk_documents=10)


def test_min_df_above_max_df_rejected():
    options = VocabularyOptions(min_df=5, max_df=0.1)

    with pytest.raises(
        UsageError,
        match=r"--min-df 5 and --max-df 0\.1 are invalid together: with 10 documents a word must be in at least 5 and at most 1",
    ):
        select_features(np.ones(3, np.int64), np.ones(3, np.int64), n_documents=10, options=options)


def test_vocabulary_over_feature_dim_limit_rejected():
    frequencies = np.ones(1_000_001, dtype=np.int64)

    with pytest.raises(UsageError, match=r"at most 1000000\. Limit it with --vocabulary-size"):
        select_features(frequencies, frequencies, n_documents=1, options=VocabularyOptions())


def test_token_with_line_break_rejected():
    options = VocabularyOptions(token_pattern=r"[^,]+")

    with pytest.raises(UsageError, match=r"word 1 \('a\\nb'\) is invalid: vocab.txt has one word per line"):
        fit_vocabulary(["a\nb,c"], options, None, chunk_documents=10)
