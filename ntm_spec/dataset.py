"""A dataset version's layout and its manifest, the file whose arrival starts a tuning run.

A dataset version lives in one folder, `datasets/NAME/VERSION/` in the datasets bucket:

    train/part-00000.pbr ...       recordIO-protobuf shards, one record per document
    validation/part-00000.pbr ...
    test/part-00000.pbr ...        only when the dataset has a test channel
    auxiliary/vocab.txt            one word per line, exactly feature_dim lines, UTF-8
    manifest.json                  written last

Keys in the manifest are relative to the version folder. This module imports only the
standard library and `ntm_spec.errors`, because it also ships inside the Lambda
functions, which check every manifest before a run starts.

`parse_manifest` requires what a run depends on: the schema version, feature_dim, the
content type, the train and validation channels with their document counts, and the
vocabulary's key and line count. File lists, checksums, the vocabulary settings, the
counts of dropped documents and the source are provenance. It checks them when they are
present, and `ntm-tune prepare` always writes them. Keys that this version does not
know are ignored, so that a newer `ntm-tune` can add provenance without breaking a
deployed stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ntm_spec.errors import Problem, SpecError

SCHEMA_VERSION = 1
RECORDIO_CONTENT_TYPE = "application/x-recordio-protobuf"
CONTENT_TYPES = (RECORDIO_CONTENT_TYPE, "text/csv")
MAX_FEATURE_DIM = 1_000_000

MANIFEST_NAME = "manifest.json"
VOCABULARY_KEY = "auxiliary/vocab.txt"
CHANNELS = ("train", "validation", "test")
REQUIRED_CHANNELS = ("train", "validation")
SHARD_SUFFIX = ".pbr"

DATASETS_PREFIX = "datasets/"
# Dataset and version names become S3 key parts and job tags. The same rule is in
# ntm_spec.runs, which the workflow uses to match manifest keys.
NAME_REGEX = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
NAME_PATTERN = re.compile(f"^{NAME_REGEX}$")

STOP_WORDS_ENGLISH = "english"
STOP_WORDS_FILE_PREFIX = "file:"

_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_PREPARE_AGAIN = "Prepare the dataset again with `ntm-tune prepare`"


@dataclass(frozen=True)
class DataFile:
    """One object of a channel: its key relative to the version folder, size and SHA-256."""

    key: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Channel:
    """One training input channel and the shards in it."""

    name: str
    documents: int
    nonzeros: int | None = None
    files: tuple[DataFile, ...] = ()


@dataclass(frozen=True)
class VocabularyFile:
    """The auxiliary channel's vocab.txt, which NTM uses to print topic words."""

    key: str
    lines: int
    bytes: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class VocabularySettings:
    """The settings that chose the vocabulary, as scikit-learn's CountVectorizer names them.

    `stop_words` is None, "english" or "file:PATH". `lowercase` and `token_pattern` are
    None when the input was already a document-term matrix.
    """

    max_features: int | None
    min_df: int | float
    max_df: int | float
    stop_words: str | None
    lowercase: bool | None
    token_pattern: str | None


@dataclass(frozen=True)
class Source:
    """The input that the dataset was prepared from, and its number of documents."""

    path: str
    documents: int


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest. Fields after `vocabulary_file` are provenance and may be None."""

    feature_dim: int
    content_type: str
    channels: tuple[Channel, ...]
    vocabulary_file: VocabularyFile
    created_at: datetime | None = None
    vocabulary: VocabularySettings | None = None
    dropped_documents: int | None = None
    source: Source | None = None
    schema_version: int = SCHEMA_VERSION

    def channel(self, name: str) -> Channel | None:
        return next((channel for channel in self.channels if channel.name == name), None)

    @property
    def channel_documents(self) -> dict[str, int]:
        return {channel.name: channel.documents for channel in self.channels}

    @property
    def vocabulary_lines(self) -> int:
        return self.vocabulary_file.lines


def dataset_version_prefix(dataset: str, version: str) -> str:
    """Return `datasets/NAME/VERSION/`; raise SpecError for a name that breaks NAME_PATTERN."""
    problems = [
        Problem(
            key,
            value,
            "a dataset or version name is 1 to 64 letters, digits, dots, hyphens and underscores, "
            "starting with a letter or digit",
            f"Choose another {key} name",
        )
        for key, value in (("dataset", dataset), ("version", version))
        if not NAME_PATTERN.match(value)
    ]
    if problems:
        raise SpecError(problems)
    return f"{DATASETS_PREFIX}{dataset}/{version}/"


def shard_key(channel: str, index: int) -> str:
    """Return the key of a channel's shard number `index`, relative to the version folder."""
    return f"{channel}/part-{index:05d}{SHARD_SUFFIX}"


def parse_manifest(data: object) -> Manifest:
    """Check a manifest's content and return it; raise SpecError listing every problem."""
    if not isinstance(data, Mapping):
        raise SpecError(
            [
                Problem(
                    "manifest", type(data).__name__, "a manifest is a JSON object", "Write it with `ntm-tune prepare`"
                )
            ]
        )
    problems: list[Problem] = []

    if data.get("schema_version") != SCHEMA_VERSION:
        problems.append(
            Problem(
                "manifest.schema_version",
                data.get("schema_version"),
                f"only version {SCHEMA_VERSION} is known",
                "Write the manifest again with this version of `ntm-tune prepare`",
            )
        )

    feature_dim = data.get("feature_dim")
    if not _is_int(feature_dim) or not 1 <= feature_dim <= MAX_FEATURE_DIM:
        problems.append(
            Problem(
                "manifest.feature_dim",
                feature_dim,
                f"feature_dim is the vocabulary size, an integer from 1 to {MAX_FEATURE_DIM}",
                "Prepare the dataset again",
            )
        )
        feature_dim = None

    content_type = data.get("content_type")
    if content_type not in CONTENT_TYPES:
        problems.append(
            Problem(
                "manifest.content_type",
                content_type,
                "NTM reads " + " or ".join(CONTENT_TYPES),
                "Prepare the dataset again",
            )
        )

    channels = _parse_channels(data.get("channels"), problems)
    vocabulary_file = _parse_vocabulary_file(_table(_table(data, "auxiliary"), "vocab"), feature_dim, problems)
    created_at = _parse_created_at(data.get("created_at"), problems)
    vocabulary = _parse_vocabulary_settings(data.get("vocabulary"), problems)
    dropped_documents = _parse_count(data.get("dropped_documents"), "manifest.dropped_documents", 0, problems)
    source = _parse_source(data.get("source"), problems)
    if source is not None and dropped_documents is not None and not problems:
        written = sum(channel.documents for channel in channels)
        if written + dropped_documents != source.documents:
            problems.append(
                Problem(
                    "manifest.source.documents",
                    source.documents,
                    f"the channels' documents ({written}) and the dropped documents ({dropped_documents}) "
                    "must add up to the source's documents",
                    _PREPARE_AGAIN,
                )
            )

    if problems:
        raise SpecError(problems)
    return Manifest(
        feature_dim=feature_dim,  # type: ignore[arg-type]
        content_type=content_type,  # type: ignore[arg-type]
        channels=channels,
        vocabulary_file=vocabulary_file,  # type: ignore[arg-type]
        created_at=created_at,
        vocabulary=vocabulary,
        dropped_documents=dropped_documents,
        source=source,
    )


def manifest_to_dict(manifest: Manifest) -> dict[str, object]:
    """Return the manifest as the JSON object that `parse_manifest` reads, without None fields."""
    data: dict[str, object] = {
        "schema_version": manifest.schema_version,
        "feature_dim": manifest.feature_dim,
        "content_type": manifest.content_type,
    }
    if manifest.created_at is not None:
        data["created_at"] = format_created_at(manifest.created_at)
    data["channels"] = {channel.name: _channel_to_dict(channel) for channel in manifest.channels}

    vocab: dict[str, object] = {"key": manifest.vocabulary_file.key, "lines": manifest.vocabulary_file.lines}
    if manifest.vocabulary_file.bytes is not None:
        vocab["bytes"] = manifest.vocabulary_file.bytes
    if manifest.vocabulary_file.sha256 is not None:
        vocab["sha256"] = manifest.vocabulary_file.sha256
    data["auxiliary"] = {"vocab": vocab}

    if manifest.vocabulary is not None:
        settings = manifest.vocabulary
        data["vocabulary"] = {
            "max_features": settings.max_features,
            "min_df": settings.min_df,
            "max_df": settings.max_df,
            "stop_words": settings.stop_words,
            "lowercase": settings.lowercase,
            "token_pattern": settings.token_pattern,
        }
    if manifest.dropped_documents is not None:
        data["dropped_documents"] = manifest.dropped_documents
    if manifest.source is not None:
        data["source"] = {"path": manifest.source.path, "documents": manifest.source.documents}
    return data


def format_created_at(moment: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC with a Z suffix, e.g. 2026-05-01T12:00:00Z."""
    utc = moment.astimezone(UTC)
    timespec = "seconds" if utc.microsecond == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def _channel_to_dict(channel: Channel) -> dict[str, object]:
    data: dict[str, object] = {"documents": channel.documents}
    if channel.nonzeros is not None:
        data["nonzeros"] = channel.nonzeros
    if channel.files:
        data["files"] = [{"key": file.key, "bytes": file.bytes, "sha256": file.sha256} for file in channel.files]
    return data


def _parse_channels(value: object, problems: list[Problem]) -> tuple[Channel, ...]:
    channels_table = value if isinstance(value, Mapping) else {}
    unknown = sorted(set(channels_table) - set(CHANNELS))
    for name in unknown:
        problems.append(
            Problem(
                "manifest.channels",
                name,
                "NTM's data channels are " + ", ".join(CHANNELS),
                "Remove the channel or rename it",
            )
        )

    channels = []
    for name in CHANNELS:
        if name not in REQUIRED_CHANNELS and name not in channels_table:
            continue
        table = _table(channels_table, name)
        key = f"manifest.channels.{name}"
        documents = table.get("documents")
        if not _is_int(documents) or documents < 1:
            problems.append(
                Problem(
                    f"{key}.documents",
                    documents,
                    f"the {name} channel needs at least one document",
                    "Prepare the dataset again with more documents",
                )
            )
            continue
        nonzeros = _parse_count(table.get("nonzeros"), f"{key}.nonzeros", 0, problems)
        files = _parse_files(table.get("files"), name, key, problems)
        channels.append(Channel(name=name, documents=documents, nonzeros=nonzeros, files=files))
    return tuple(channels)


def _parse_files(value: object, channel: str, key: str, problems: list[Problem]) -> tuple[DataFile, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problems.append(
            Problem(f"{key}.files", value, "files is a non-empty list of the channel's objects", _PREPARE_AGAIN)
        )
        return ()

    files = []
    for index, entry in enumerate(value):
        entry_key = f"{key}.files[{index}]"
        table = entry if isinstance(entry, Mapping) else {}
        object_key = table.get("key")
        if not isinstance(object_key, str) or not _is_key_under(object_key, channel + "/"):
            problems.append(
                Problem(
                    f"{entry_key}.key",
                    object_key,
                    f"a {channel} file's key is a relative key under {channel}/ without empty or '..' parts",
                    _PREPARE_AGAIN,
                )
            )
        size = _parse_count(table.get("bytes"), f"{entry_key}.bytes", 1, problems, required=True)
        sha256 = _parse_sha256(table.get("sha256"), f"{entry_key}.sha256", problems, required=True)
        if isinstance(object_key, str) and size is not None and sha256 is not None:
            files.append(DataFile(key=object_key, bytes=size, sha256=sha256))
    return tuple(files)


def _parse_vocabulary_file(
    table: Mapping[str, object], feature_dim: int | None, problems: list[Problem]
) -> VocabularyFile | None:
    key = table.get("key")
    if key != VOCABULARY_KEY:
        problems.append(
            Problem(
                "manifest.auxiliary.vocab.key",
                key,
                f"NTM reads the vocabulary only from {VOCABULARY_KEY}",
                "Name the file vocab.txt in auxiliary/",
            )
        )
    lines = table.get("lines")
    if feature_dim is not None and lines != feature_dim:
        problems.append(
            Problem(
                "manifest.auxiliary.vocab.lines",
                lines,
                f"vocab.txt must have exactly feature_dim ({feature_dim}) lines",
                "Write one word per column of the data",
            )
        )
    size = _parse_count(table.get("bytes"), "manifest.auxiliary.vocab.bytes", 1, problems)
    sha256 = _parse_sha256(table.get("sha256"), "manifest.auxiliary.vocab.sha256", problems)
    if key != VOCABULARY_KEY or not _is_int(lines):
        return None
    return VocabularyFile(key=VOCABULARY_KEY, lines=lines, bytes=size, sha256=sha256)


def _parse_created_at(value: object, problems: list[Problem]) -> datetime | None:
    if value is None:
        return None
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.utcoffset() != timedelta(0):
        problems.append(
            Problem(
                "manifest.created_at",
                value,
                "created_at is an ISO 8601 time in UTC, such as 2026-05-01T12:00:00Z",
                _PREPARE_AGAIN,
            )
        )
        return None
    return moment.astimezone(UTC)


def _parse_vocabulary_settings(value: object, problems: list[Problem]) -> VocabularySettings | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append(Problem("manifest.vocabulary", value, "vocabulary is a JSON object", _PREPARE_AGAIN))
        return None

    before = len(problems)
    max_features = value.get("max_features")
    if max_features is not None and (not _is_int(max_features) or max_features < 1):
        problems.append(
            Problem(
                "manifest.vocabulary.max_features",
                max_features,
                "max_features is null or an integer of at least 1",
                _PREPARE_AGAIN,
            )
        )
    for name in ("min_df", "max_df"):
        frequency = value.get(name)
        if not _is_document_frequency(frequency):
            problems.append(
                Problem(
                    f"manifest.vocabulary.{name}",
                    frequency,
                    f"{name} is a document count (an integer of at least 1) or a fraction from 0.0 to 1.0",
                    _PREPARE_AGAIN,
                )
            )
    stop_words = value.get("stop_words")
    if stop_words is not None and not (
        stop_words == STOP_WORDS_ENGLISH
        or (isinstance(stop_words, str) and stop_words.startswith(STOP_WORDS_FILE_PREFIX))
    ):
        problems.append(
            Problem(
                "manifest.vocabulary.stop_words",
                stop_words,
                f'stop_words is null, "{STOP_WORDS_ENGLISH}" or "{STOP_WORDS_FILE_PREFIX}PATH"',
                _PREPARE_AGAIN,
            )
        )
    lowercase = value.get("lowercase")
    if lowercase is not None and not isinstance(lowercase, bool):
        problems.append(
            Problem("manifest.vocabulary.lowercase", lowercase, "lowercase is true, false or null", _PREPARE_AGAIN)
        )
    token_pattern = value.get("token_pattern")
    if token_pattern is not None and not isinstance(token_pattern, str):
        problems.append(
            Problem(
                "manifest.vocabulary.token_pattern",
                token_pattern,
                "token_pattern is a regular expression string or null",
                _PREPARE_AGAIN,
            )
        )
    if len(problems) > before:
        return None
    return VocabularySettings(
        max_features=max_features,  # type: ignore[arg-type]
        min_df=value["min_df"],  # type: ignore[arg-type]
        max_df=value["max_df"],  # type: ignore[arg-type]
        stop_words=stop_words,  # type: ignore[arg-type]
        lowercase=lowercase,  # type: ignore[arg-type]
        token_pattern=token_pattern,  # type: ignore[arg-type]
    )


def _parse_source(value: object, problems: list[Problem]) -> Source | None:
    if value is None:
        return None
    table = value if isinstance(value, Mapping) else {}
    path = table.get("path")
    if not isinstance(path, str) or not path:
        problems.append(Problem("manifest.source.path", path, "the source path is a non-empty string", _PREPARE_AGAIN))
    documents = _parse_count(table.get("documents"), "manifest.source.documents", 1, problems, required=True)
    if not isinstance(path, str) or not path or documents is None:
        return None
    return Source(path=path, documents=documents)


def _parse_count(
    value: object, key: str, minimum: int, problems: list[Problem], *, required: bool = False
) -> int | None:
    if value is None and not required:
        return None
    if not _is_int(value) or value < minimum:
        problems.append(Problem(key, value, f"an integer of at least {minimum} is expected", _PREPARE_AGAIN))
        return None
    return value


def _parse_sha256(value: object, key: str, problems: list[Problem], *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _SHA256_PATTERN.match(value):
        problems.append(Problem(key, value, "a SHA-256 digest is 64 lowercase hexadecimal digits", _PREPARE_AGAIN))
        return None
    return value


def _is_key_under(key: str, prefix: str) -> bool:
    parts = key.split("/")
    return key.startswith(prefix) and len(parts) >= 2 and all(part not in ("", ".", "..") for part in parts)


def _is_document_frequency(value: object) -> bool:
    if _is_int(value):
        return value >= 1
    return isinstance(value, float) and 0.0 <= value <= 1.0


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _table(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def vocabulary_problems(data: bytes, *, feature_dim: int, location: str) -> list[Problem]:
    """Check a `vocab.txt` as NTM reads it: UTF-8, one word per line, exactly `feature_dim` lines.

    A file with the wrong line count or encoding still trains, but NTM then
    prints wrong topic words and no coherence score, so the run is rejected.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [
            Problem(
                location,
                f"byte {error.start}",
                "vocab.txt must be UTF-8, the only encoding NTM reads",
                "Write the vocabulary again as UTF-8, as `ntm-tune prepare` does",
            )
        ]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != feature_dim:
        return [
            Problem(
                location,
                f"{len(lines)} lines",
                f"vocab.txt must have exactly feature_dim ({feature_dim}) lines, one word per column of the data",
                "Prepare the dataset again so that the vocabulary and the data agree",
            )
        ]
    return []
