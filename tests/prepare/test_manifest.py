"""The manifest schema in ntm_spec.dataset: what a run needs, provenance, and the layout's keys."""

from __future__ import annotations

import ast
import copy
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ntm_spec.dataset
from ntm_spec import runs
from ntm_spec.dataset import (
    MANIFEST_NAME,
    Channel,
    DataFile,
    Manifest,
    Source,
    VocabularyFile,
    VocabularySettings,
    dataset_version_prefix,
    manifest_to_dict,
    parse_manifest,
    shard_key,
)
from ntm_spec.errors import SpecError

SHA = "ab" * 32


def full_manifest() -> dict:
    return {
        "schema_version": 1,
        "feature_dim": 3,
        "content_type": "application/x-recordio-protobuf",
        "created_at": "2026-05-01T12:00:00Z",
        "channels": {
            "train": {
                "documents": 8,
                "nonzeros": 20,
                "files": [{"key": "train/part-00000.pbr", "bytes": 400, "sha256": SHA}],
            },
            "validation": {
                "documents": 1,
                "nonzeros": 2,
                "files": [{"key": "validation/part-00000.pbr", "bytes": 40, "sha256": SHA}],
            },
        },
        "auxiliary": {"vocab": {"key": "auxiliary/vocab.txt", "lines": 3, "bytes": 12, "sha256": SHA}},
        "vocabulary": {
            "max_features": None,
            "min_df": 1,
            "max_df": 1.0,
            "stop_words": "english",
            "lowercase": True,
            "token_pattern": "\\w+",
        },
        "dropped_documents": 1,
        "source": {"path": "corpus.txt", "documents": 10},
    }


def messages(data: object) -> list[str]:
    with pytest.raises(SpecError) as raised:
        parse_manifest(data)
    return raised.value.messages()


def test_full_manifest_parsed():
    manifest = parse_manifest(full_manifest())

    assert manifest.feature_dim == 3
    assert manifest.channel_documents == {"train": 8, "validation": 1}
    assert manifest.channel("train").files == (DataFile("train/part-00000.pbr", 400, SHA),)
    assert manifest.created_at == datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert manifest.vocabulary.stop_words == "english"
    assert manifest.source == Source("corpus.txt", 10)


def test_manifest_round_trips_through_dict():
    data = full_manifest()

    assert manifest_to_dict(parse_manifest(data)) == data


def test_dataclass_round_trips_through_dict():
    manifest = Manifest(
        feature_dim=2,
        content_type="text/csv",
        channels=(
            Channel("train", 1),
            Channel("validation", 1),
            Channel("test", 4, 9, (DataFile("test/a.csv", 5, SHA),)),
        ),
        vocabulary_file=VocabularyFile("auxiliary/vocab.txt", 2),
        created_at=datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
        vocabulary=VocabularySettings(10, 0.01, 5, None, None, None),
    )

    assert parse_manifest(manifest_to_dict(manifest)) == manifest


def test_run_time_fields_alone_are_enough():
    data = {key: full_manifest()[key] for key in ("schema_version", "feature_dim", "content_type", "channels")}
    data["auxiliary"] = {"vocab": {"key": "auxiliary/vocab.txt", "lines": 3}}

    assert parse_manifest(data).vocabulary_lines == 3


def test_vocabulary_line_count_must_equal_feature_dim():
    data = full_manifest()
    data["auxiliary"]["vocab"]["lines"] = 2

    assert messages(data) == [
        "manifest.auxiliary.vocab.lines: 2 is invalid: vocab.txt must have exactly feature_dim (3) lines. "
        "Write one word per column of the data."
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: data.update(feature_dim=1_000_001), "manifest.feature_dim: 1000001 is invalid"),
        (lambda data: data.update(feature_dim=True), "manifest.feature_dim: True is invalid"),
        (
            lambda data: data.update(content_type="application/json"),
            "manifest.content_type: 'application/json' is invalid",
        ),
        (lambda data: data.update(schema_version=2), "manifest.schema_version: 2 is invalid"),
        (lambda data: data["channels"].pop("validation"), "manifest.channels.validation.documents is missing"),
        (lambda data: data["channels"]["train"].update(documents=0), "manifest.channels.train.documents: 0 is invalid"),
        (lambda data: data["channels"].update(extra={"documents": 1}), "manifest.channels: 'extra' is invalid"),
        (
            lambda data: data["auxiliary"]["vocab"].update(key="auxiliary/vocabulary.txt"),
            "manifest.auxiliary.vocab.key: 'auxiliary/vocabulary.txt' is invalid",
        ),
        (
            lambda data: data["channels"]["train"]["files"][0].update(key="../train/part-00000.pbr"),
            "manifest.channels.train.files[0].key: '../train/part-00000.pbr' is invalid",
        ),
        (
            lambda data: data["channels"]["train"]["files"][0].update(key="validation/part-00000.pbr"),
            "manifest.channels.train.files[0].key: 'validation/part-00000.pbr' is invalid",
        ),
        (
            lambda data: data["channels"]["train"]["files"][0].update(sha256="AB" * 32),
            "manifest.channels.train.files[0].sha256: ",
        ),
        (lambda data: data["channels"]["train"].update(files=[]), "manifest.channels.train.files: [] is invalid"),
        (
            lambda data: data.update(created_at="2026-05-01T12:00:00+02:00"),
            "manifest.created_at: '2026-05-01T12:00:00+02:00' is invalid",
        ),
        (lambda data: data.update(created_at="yesterday"), "manifest.created_at: 'yesterday' is invalid"),
        (lambda data: data["vocabulary"].update(min_df=0), "manifest.vocabulary.min_df: 0 is invalid"),
        (lambda data: data["vocabulary"].update(max_df=1.5), "manifest.vocabulary.max_df: 1.5 is invalid"),
        (
            lambda data: data["vocabulary"].update(stop_words="french"),
            "manifest.vocabulary.stop_words: 'french' is invalid",
        ),
        (lambda data: data.update(dropped_documents=-1), "manifest.dropped_documents: -1 is invalid"),
        (
            lambda data: data.update(dropped_documents=2),
            "manifest.source.documents: 10 is invalid: the channels' documents (9)",
        ),
    ],
)
def test_invalid_field_rejected(change, expected):
    data = copy.deepcopy(full_manifest())
    change(data)

    found = messages(data)

    assert any(message.startswith(expected) for message in found), found


def test_every_problem_reported_at_once():
    data = full_manifest()
    data["feature_dim"] = 0
    data["content_type"] = None

    keys = [message.split(":")[0].removesuffix(" is missing") for message in messages(data)]

    assert keys == ["manifest.feature_dim", "manifest.content_type"]


def test_non_object_rejected():
    assert messages([1]) == [
        "manifest: 'list' is invalid: a manifest is a JSON object. Write it with `ntm-tune prepare`."
    ]


def test_unknown_keys_ignored():
    data = full_manifest()
    data["producer"] = {"name": "a newer ntm-tune"}

    assert parse_manifest(data).feature_dim == 3


def test_layout_keys():
    assert shard_key("train", 0) == "train/part-00000.pbr"
    assert shard_key("test", 123456) == "test/part-123456.pbr"
    assert dataset_version_prefix("news", "2026-05-01") == "datasets/news/2026-05-01/"


def test_layout_matches_workflow_trigger():
    prefix = dataset_version_prefix("news", "v1.2_b")

    match = runs.MANIFEST_KEY_PATTERN.match(prefix + MANIFEST_NAME)
    assert match
    assert (match["dataset"], match["version"]) == ("news", "v1.2_b")


@pytest.mark.parametrize(("dataset", "version"), [("news/x", "v1"), ("news", ""), ("-news", "v1"), ("news", "v" * 65)])
def test_invalid_version_prefix_rejected(dataset, version):
    with pytest.raises(SpecError, match="a dataset or version name is 1 to 64 letters"):
        dataset_version_prefix(dataset, version)


def test_dataset_module_imports_only_stdlib():
    # The module ships inside the Lambda functions, whose asset has no third-party packages.
    tree = ast.parse(Path(ntm_spec.dataset.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}

    outside = sorted(
        name for name in imported if name.split(".")[0] not in sys.stdlib_module_names and name != "ntm_spec.errors"
    )
    assert outside == []
