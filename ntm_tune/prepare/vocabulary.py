"""Vocabulary selection and document-term counting with scikit-learn's CountVectorizer.

`CountVectorizer.fit` keeps the whole document-term matrix in memory. To stay within
the memory of one chunk of documents, `fit_vocabulary` runs CountVectorizer on one chunk
at a time and adds up each word's document frequency and term count itself. It then
selects words with the same rules and the same tie-breaking as
`CountVectorizer._limit_features` in scikit-learn 1.9, so the vocabulary equals what
`CountVectorizer(...).fit(corpus)` returns (tests/prepare check this on real corpora).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from ntm_spec.dataset import MAX_FEATURE_DIM, STOP_WORDS_ENGLISH, STOP_WORDS_FILE_PREFIX, VocabularySettings
from ntm_tune.errors import UsageError
from ntm_tune.prepare import DEFAULT_TOKEN_PATTERN
from ntm_tune.prepare.reader import read_text_lines


@dataclass(frozen=True)
class VocabularyOptions:
    """How to choose the vocabulary, in CountVectorizer's terms.

    `min_df` and `max_df` are document counts when int and fractions of all documents
    when float. `stop_words` is None, "english" or the path of a file with one word per
    line.
    """

    max_features: int | None = None
    min_df: int | float = 1
    max_df: int | float = 1.0
    stop_words: str | None = None
    lowercase: bool = True
    token_pattern: str = DEFAULT_TOKEN_PATTERN

    def settings(self, *, text_input: bool) -> VocabularySettings:
        """Return the settings as the manifest records them."""
        stop_words = self.stop_words
        if stop_words is not None and stop_words != STOP_WORDS_ENGLISH:
            stop_words = STOP_WORDS_FILE_PREFIX + stop_words
        return VocabularySettings(
            max_features=self.max_features,
            min_df=self.min_df,
            max_df=self.max_df,
            stop_words=stop_words,
            lowercase=self.lowercase if text_input else None,
            token_pattern=self.token_pattern if text_input else None,
        )


@dataclass(frozen=True)
class FittedVocabulary:
    """The chosen words in column order and the number of documents they were chosen from."""

    words: list[str]
    documents: int


def load_stop_words(options: VocabularyOptions, encoding: str) -> frozenset[str] | None:
    """Return the stop words that the options name, reading a stop-word file if one is given."""
    if options.stop_words is None:
        return None
    if options.stop_words == STOP_WORDS_ENGLISH:
        return ENGLISH_STOP_WORDS
    path = Path(options.stop_words)
    if path.is_dir():
        raise UsageError(
            f"--stop-words {options.stop_words!r} is invalid: it is a folder. "
            "Pass the path of a file with one word per line"
        )
    if not path.is_file():
        raise UsageError(
            f"--stop-words {options.stop_words!r} is invalid: no such file. "
            f"Pass none, {STOP_WORDS_ENGLISH} or the path of a file with one word per line"
        )
    return frozenset(word.strip() for word in read_text_lines(path, encoding) if word.strip())


def build_vectorizer(
    options: VocabularyOptions, stop_words: frozenset[str] | None, vocabulary: dict[str, int] | None = None
) -> CountVectorizer:
    """Return a CountVectorizer that tokenizes as the options set, counting as float32 with a fixed vocabulary."""
    return CountVectorizer(
        lowercase=options.lowercase,
        token_pattern=options.token_pattern,
        stop_words=sorted(stop_words) if stop_words is not None else None,
        vocabulary=vocabulary,
        dtype=np.float32 if vocabulary is not None else np.int64,
    )


def fit_vocabulary(
    documents: Iterable[str],
    options: VocabularyOptions,
    stop_words: frozenset[str] | None,
    *,
    chunk_documents: int,
    source: str = "the input",
) -> FittedVocabulary:
    """Choose the vocabulary from a stream of documents, one chunk of documents at a time.

    `source` names the input in error messages.
    """
    word_ids: dict[str, int] = {}
    document_frequency = np.zeros(0, dtype=np.int64)
    term_frequency = np.zeros(0, dtype=np.int64)
    n_documents = 0

    for chunk in _chunks(documents, chunk_documents):
        n_documents += len(chunk)
        counts = _count_chunk(chunk, options, stop_words)
        if counts is None:
            continue
        chunk_words, chunk_matrix = counts
        ids = np.fromiter(
            (word_ids.setdefault(word, len(word_ids)) for word in chunk_words), dtype=np.int64, count=len(chunk_words)
        )
        if len(word_ids) > document_frequency.size:
            grown = max(len(word_ids), 2 * document_frequency.size)
            document_frequency = np.concatenate(
                [document_frequency, np.zeros(grown - document_frequency.size, np.int64)]
            )
            term_frequency = np.concatenate([term_frequency, np.zeros(grown - term_frequency.size, np.int64)])
        # Each word appears once per chunk, so plain fancy-index addition is exact here.
        document_frequency[ids] += np.bincount(chunk_matrix.indices, minlength=len(chunk_words))
        term_frequency[ids] += np.asarray(chunk_matrix.sum(axis=0)).ravel().astype(np.int64)

    if n_documents == 0:
        raise UsageError(f"{source}: the input contains no documents. Pass a corpus with at least one document")
    if not word_ids:
        raise UsageError(
            "the input contains no words after tokenizing (perhaps only stop words). "
            "Check --token-pattern and --stop-words"
        )

    words = sorted(word_ids)
    order = np.fromiter((word_ids[word] for word in words), dtype=np.int64, count=len(words))
    keep = select_features(document_frequency[order], term_frequency[order], n_documents=n_documents, options=options)
    chosen = [word for word, kept in zip(words, keep, strict=True) if kept]
    check_words(
        chosen, source="the vocabulary", fix="Choose a --token-pattern that matches neither, such as the default"
    )
    return FittedVocabulary(words=chosen, documents=n_documents)


def select_features(
    document_frequency: np.ndarray, term_frequency: np.ndarray, *, n_documents: int, options: VocabularyOptions
) -> np.ndarray:
    """Return a mask of the words to keep, as CountVectorizer's min_df, max_df and max_features do.

    The arrays are in column order. Ties in term frequency under max_features are broken
    by numpy's default argsort on that order, as in scikit-learn.
    """
    max_doc_count = options.max_df if isinstance(options.max_df, Integral) else options.max_df * n_documents
    min_doc_count = options.min_df if isinstance(options.min_df, Integral) else options.min_df * n_documents
    if max_doc_count < min_doc_count:
        raise UsageError(
            f"--min-df {options.min_df} and --max-df {options.max_df} are invalid together: with "
            f"{n_documents} documents a word must be in at least {min_doc_count:g} and at most "
            f"{max_doc_count:g} of them. Lower --min-df or raise --max-df"
        )

    keep = (document_frequency <= max_doc_count) & (document_frequency >= min_doc_count)
    if options.max_features is not None and keep.sum() > options.max_features:
        most_frequent = (-term_frequency[keep]).argsort()[: options.max_features]
        limited = np.zeros_like(keep)
        limited[np.flatnonzero(keep)[most_frequent]] = True
        keep = limited

    if not keep.any():
        raise UsageError(
            f"--min-df {options.min_df} and --max-df {options.max_df} leave no words in the vocabulary. "
            "Lower --min-df or raise --max-df"
        )
    if keep.sum() > MAX_FEATURE_DIM:
        raise UsageError(
            f"the vocabulary has {int(keep.sum())} words, but NTM's feature_dim is at most {MAX_FEATURE_DIM}. "
            "Limit it with --vocabulary-size or --min-df"
        )
    return keep


def count_documents(
    documents: Iterable[str],
    words: list[str],
    options: VocabularyOptions,
    stop_words: frozenset[str] | None,
    *,
    chunk_documents: int,
) -> Iterator[sp.csr_matrix]:
    """Yield float32 document-term matrices of `chunk_documents` documents over `words`."""
    vectorizer = build_vectorizer(options, stop_words, vocabulary={word: column for column, word in enumerate(words)})
    for chunk in _chunks(documents, chunk_documents):
        yield sp.csr_matrix(vectorizer.transform(chunk))


def select_matrix_columns(
    matrix: sp.csr_matrix,
    words: list[str],
    options: VocabularyOptions,
    stop_words: frozenset[str] | None,
) -> tuple[sp.csr_matrix, list[str]]:
    """Apply stop words, min_df, max_df and max_features to a document-term matrix's columns.

    Columns keep their order. A stop word removes the column whose word equals it exactly.
    """
    document_frequency = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.int64)
    term_frequency = np.asarray(matrix.sum(axis=0)).ravel()
    remaining = np.ones(len(words), dtype=bool)
    if stop_words:
        remaining = ~np.fromiter((word in stop_words for word in words), dtype=bool, count=len(words))

    keep = np.zeros(len(words), dtype=bool)
    keep[remaining] = select_features(
        document_frequency[remaining], term_frequency[remaining], n_documents=matrix.shape[0], options=options
    )
    columns = np.flatnonzero(keep)
    return sp.csr_matrix(matrix[:, columns]), [words[column] for column in columns]


def check_words(words: list[str], *, source: str, fix: str) -> None:
    """Raise UsageError, ending with `fix`, for a word that would break vocab.txt's one-word-per-line format."""
    for column, word in enumerate(words):
        if not word or "\n" in word or "\r" in word:
            raise UsageError(
                f"{source}: word {column + 1} ({word!r}) is invalid: vocab.txt has one word per line, so a word "
                f"can be neither empty nor contain a line feed or carriage return. {fix}"
            )


def _count_chunk(
    chunk: list[str], options: VocabularyOptions, stop_words: frozenset[str] | None
) -> tuple[list[str], sp.csr_matrix] | None:
    """Return one chunk's words and counts, or None when the chunk has no words at all."""
    vectorizer = build_vectorizer(options, stop_words)
    try:
        matrix = vectorizer.fit_transform(chunk)
    except ValueError:
        # CountVectorizer raises ValueError("empty vocabulary ...") for a chunk without words.
        analyze = vectorizer.build_analyzer()
        if any(analyze(document) for document in chunk):
            raise
        return None
    return list(vectorizer.get_feature_names_out()), sp.csr_matrix(matrix)


def _chunks(documents: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(documents)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
