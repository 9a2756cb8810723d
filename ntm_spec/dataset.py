"""A dataset version's manifest: the file whose arrival starts a tuning run.

Layout under `datasets/NAME/VERSION/`: `train/`, `validation/`, optional
`test/`, `auxiliary/vocab.txt` (one word per line, exactly `feature_dim` lines,
UTF-8) and `manifest.json`, written last. Keys in the manifest are relative to
the version folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ntm_spec.errors import Problem, SpecError

SCHEMA_VERSION = 1
CONTENT_TYPES = ("application/x-recordio-protobuf", "text/csv")
VOCABULARY_KEY = "auxiliary/vocab.txt"
MAX_FEATURE_DIM = 1_000_000


@dataclass(frozen=True)
class Manifest:
    """The parts of a manifest that a run depends on."""

    feature_dim: int
    content_type: str
    channel_documents: dict[str, int]
    vocabulary_lines: int


def parse_manifest(data: object) -> Manifest:
    """Check a manifest's content; raise SpecError listing every problem."""
    if not isinstance(data, Mapping):
        raise SpecError(
            [
                Problem(
                    "manifest",
                    type(data).__name__,
                    "a manifest is a JSON object",
                    "Write it with `ntm-tune prepare`",
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
    if isinstance(feature_dim, bool) or not isinstance(feature_dim, int) or not 1 <= feature_dim <= MAX_FEATURE_DIM:
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

    channels = _table(data, "channels")
    documents: dict[str, int] = {}
    for name in ("train", "validation"):
        count = _table(channels, name).get("documents")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            problems.append(
                Problem(
                    f"manifest.channels.{name}.documents",
                    count,
                    f"the {name} channel needs at least one document",
                    "Prepare the dataset again with more documents",
                )
            )
        else:
            documents[name] = count

    vocabulary = _table(_table(data, "auxiliary"), "vocab")
    if vocabulary.get("key") != VOCABULARY_KEY:
        problems.append(
            Problem(
                "manifest.auxiliary.vocab.key",
                vocabulary.get("key"),
                f"NTM reads the vocabulary only from {VOCABULARY_KEY}",
                "Name the file vocab.txt in auxiliary/",
            )
        )
    lines = vocabulary.get("lines")
    if feature_dim is not None and lines != feature_dim:
        problems.append(
            Problem(
                "manifest.auxiliary.vocab.lines",
                lines,
                f"vocab.txt must have exactly feature_dim ({feature_dim}) lines",
                "Write one word per column of the data",
            )
        )

    if problems:
        raise SpecError(problems)
    return Manifest(
        feature_dim=feature_dim,
        content_type=content_type,
        channel_documents=documents,
        vocabulary_lines=lines,
    )  # type: ignore[arg-type]


def _table(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}
