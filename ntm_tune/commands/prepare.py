"""`ntm-tune prepare INPUT --out DEST`: turn a text corpus into an NTM dataset version.

numpy, scipy and scikit-learn are imported inside `run`, so `ntm-tune --help` stays fast.
The dataset layout and every option are described in docs/datasets.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ntm_tune.errors import UsageError
from ntm_tune.formatting import plural
from ntm_tune.prepare import DEFAULT_RECORDS_PER_SHARD, DEFAULT_TOKEN_PATTERN

FORMAT_CHOICES = ("auto", "lines", "folder", "jsonl", "csv", "npz")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="prepare an NTM dataset from a text corpus",
        description=(
            "Turn a text corpus, or a document-term matrix with its vocabulary, into an NTM dataset version: "
            "recordIO-protobuf shards for the train, validation and optional test channels, auxiliary/vocab.txt "
            "and manifest.json, written last. An existing dataset version is never overwritten."
        ),
    )
    parser.add_argument(
        "input",
        metavar="INPUT",
        type=Path,
        help="text file (one document per line), folder of .txt files (one document each), "
        ".jsonl file, .csv file, or .npz document-term matrix",
    )
    parser.add_argument(
        "--out",
        metavar="DEST",
        required=True,
        help="dataset version folder to create: a new or empty local folder, or s3://BUCKET/datasets/NAME/VERSION/",
    )

    source = parser.add_argument_group("input")
    source.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default="auto",
        help="input format; auto picks folder for a folder, jsonl for .jsonl and .ndjson, csv for .csv, "
        "npz for .npz and lines otherwise (default: auto)",
    )
    source.add_argument("--text-field", default="text", help="JSON Lines field with the text (default: text)")
    source.add_argument("--text-column", default="text", help="CSV header column with the text (default: text)")
    source.add_argument(
        "--vocabulary",
        metavar="FILE",
        type=Path,
        help="for .npz input: vocabulary file, one word per line in column order (required there)",
    )
    source.add_argument(
        "--encoding",
        default="utf-8",
        help="text encoding of the input, the vocabulary and the stop-word file (default: utf-8)",
    )

    words = parser.add_argument_group("vocabulary (scikit-learn CountVectorizer settings)")
    words.add_argument(
        "--vocabulary-size",
        metavar="N",
        type=_positive_int,
        help="keep at most the N words with the highest counts (max_features; default: no limit, "
        "but NTM takes at most 1,000,000)",
    )
    words.add_argument(
        "--min-df",
        type=_document_frequency,
        default=1,
        help="drop words in fewer documents than this: an integer count or a fraction such as 0.01 (default: 1)",
    )
    words.add_argument(
        "--max-df",
        type=_document_frequency,
        default=1.0,
        help="drop words in more documents than this: an integer count or a fraction such as 0.5 (default: 1.0)",
    )
    words.add_argument(
        "--stop-words",
        default="none",
        metavar="none|english|FILE",
        help="words to drop: none, scikit-learn's English list, or a file with one word per line (default: none)",
    )
    words.add_argument(
        "--lowercase",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="lower-case text before tokenizing (default: on, text input only)",
    )
    words.add_argument(
        "--token-pattern",
        metavar="REGEX",
        help=f"regular expression of a token (default: {DEFAULT_TOKEN_PATTERN.replace('%', '%%')}, "
        "words of two or more letters or digits; text input only)",
    )

    split = parser.add_argument_group("channels and shards")
    split.add_argument(
        "--validation-fraction",
        type=_validation_fraction,
        default=0.1,
        help="share of documents for the validation channel, above 0 and below 1 (default: 0.1)",
    )
    split.add_argument(
        "--test-fraction",
        type=_fraction,
        default=0.0,
        help="share of documents for the test channel, where 0 writes no test channel (default: 0)",
    )
    split.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the shuffle that assigns channels, an integer of at least 0 (default: 0)",
    )
    split.add_argument(
        "--records-per-shard",
        metavar="N",
        type=_positive_int,
        default=DEFAULT_RECORDS_PER_SHARD,
        help="documents per recordIO file, and per chunk read from text input (default: 50000)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ntm_tune.prepare.pipeline import PrepareRequest, prepare_dataset
    from ntm_tune.prepare.reader import check_encoding, detect_format
    from ntm_tune.prepare.vocabulary import VocabularyOptions

    input_format = detect_format(args.input) if args.format == "auto" else args.format
    text_input = input_format != "npz"
    if text_input and args.vocabulary is not None:
        raise UsageError(f"--vocabulary is invalid for {input_format} input: it only names a .npz matrix's words")
    text_options = [
        option
        for option, value in (("--lowercase", args.lowercase), ("--token-pattern", args.token_pattern))
        if value is not None
    ]
    if not text_input and text_options:
        raise UsageError(
            f"{' and '.join(text_options)} {'is' if len(text_options) == 1 else 'are'} invalid for .npz input: "
            f"its words are already counted. Drop {'this option' if len(text_options) == 1 else 'these options'}"
        )
    if args.validation_fraction + args.test_fraction >= 1:
        raise UsageError(
            f"--validation-fraction {args.validation_fraction} and --test-fraction {args.test_fraction} are "
            "invalid: together they take every document, so the train channel would be empty. "
            "Lower them so that their sum is below 1"
        )

    token_pattern = args.token_pattern if args.token_pattern is not None else DEFAULT_TOKEN_PATTERN
    _check_token_pattern(token_pattern)
    stop_words = None if args.stop_words == "none" else args.stop_words

    request = PrepareRequest(
        input_path=args.input,
        destination=args.out,
        input_format=input_format,
        encoding=check_encoding(args.encoding),
        text_field=args.text_field,
        text_column=args.text_column,
        vocabulary_path=args.vocabulary,
        vocabulary=VocabularyOptions(
            max_features=args.vocabulary_size,
            min_df=args.min_df,
            max_df=args.max_df,
            stop_words=stop_words,
            lowercase=args.lowercase if args.lowercase is not None else True,
            token_pattern=token_pattern,
        ),
        validation_fraction=args.validation_fraction,
        test_fraction=args.test_fraction,
        seed=args.seed,
        records_per_shard=args.records_per_shard,
    )
    result = prepare_dataset(request)

    manifest = result.manifest
    channels = ", ".join(
        f"{channel.name} {plural(channel.documents, 'document')} in {plural(len(channel.files), 'file')}"
        for channel in manifest.channels
    )
    print(f"Prepared {args.out}: feature_dim {manifest.feature_dim}; {channels}.")
    print(f"Dropped {plural(manifest.dropped_documents, 'document')} without vocabulary words.")
    print(f"Manifest: {result.manifest_location}")
    if args.max_df == 1 and isinstance(args.max_df, int):
        print(
            "note: --max-df 1 is a document count, so words that occur in more than one document are dropped. "
            "For no upper limit, pass --max-df 1.0",
            file=sys.stderr,
        )
    return 0


def _check_token_pattern(pattern: str) -> None:
    try:
        groups = re.compile(pattern).groups
    except re.error as error:
        raise UsageError(f"--token-pattern {pattern!r} is invalid: {error}. Pass a Python regular expression") from None
    if groups > 1:
        raise UsageError(
            f"--token-pattern {pattern!r} is invalid: it has {groups} capturing groups, and CountVectorizer takes "
            "at most one. Make the other groups non-capturing with (?:...)"
        )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is invalid: expected an integer of at least 1")
    return number


def _seed(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is invalid: expected an integer of at least 0")
    return number


def _validation_fraction(value: str) -> float:
    number = _fraction(value)
    if number == 0:
        raise argparse.ArgumentTypeError(
            f"{value!r} is invalid: NTM needs a validation channel, so pass a fraction above 0, such as 0.1"
        )
    return number


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number < 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is invalid: expected a fraction from 0 up to but not including 1")
    return number


def _document_frequency(value: str) -> int | float:
    """Parse a document count (digits only) or a fraction of documents, as CountVectorizer takes them."""
    if value.isdigit():
        count = int(value)
        if count >= 1:
            return count
    else:
        try:
            fraction = float(value)
        except ValueError:
            fraction = -1.0
        if 0.0 <= fraction <= 1.0:
            return fraction
    raise argparse.ArgumentTypeError(
        f"{value!r} is invalid: expected a document count of at least 1 or a fraction from 0.0 to 1.0"
    )
