"""The first state: manifests read from S3 (moto), runs planned or rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from ntm_spec.config import DEFAULTS
from tests.handlers.tables import create_run_tables
from validate_run import RunRejected, Settings, validate_run

BUCKET = "datasets"
SETTINGS = Settings(
    base_config=DEFAULTS,
    datasets_bucket=BUCKET,
    locks_table="run-locks",
    run_history_table="run-history",
    run_timeout_seconds=3600,
)
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def manifest(feature_dim: int = 5000, vocab_lines: int = 5000) -> dict:
    return {
        "schema_version": 1,
        "feature_dim": feature_dim,
        "content_type": "application/x-recordio-protobuf",
        "channels": {"train": {"documents": 900}, "validation": {"documents": 100}},
        "auxiliary": {"vocab": {"key": "auxiliary/vocab.txt", "lines": vocab_lines}},
    }


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb")
        create_run_tables(dynamodb)
        yield client


def put_manifest(s3, body: dict, dataset: str = "news", version: str = "v1", vocabulary: bytes | None = None) -> None:
    """Upload a vocabulary (by default one word per manifest feature) and then the manifest."""
    prefix = f"datasets/{dataset}/{version}/"
    if vocabulary is None:
        vocabulary = "".join(f"word{index}\n" for index in range(body["feature_dim"])).encode()
    s3.put_object(Bucket=BUCKET, Key=prefix + "auxiliary/vocab.txt", Body=vocabulary)
    s3.put_object(Bucket=BUCKET, Key=prefix + "manifest.json", Body=json.dumps(body).encode())


def run(s3, event: dict, execution_name: str = "exec-1") -> dict:
    return validate_run(
        event, execution_name=execution_name, s3=s3, dynamodb=boto3.client("dynamodb"), settings=SETTINGS, now=NOW
    )


def test_manual_run_planned(s3):
    put_manifest(s3, manifest())

    plan = run(s3, {"dataset": "news", "version": "v1"})

    assert plan["run"]["staticHyperParameters"]["feature_dim"] == "5000"
    assert plan["attempt"]["tuningJobName"] == plan["run"]["runId"]


def test_s3_event_run_planned(s3):
    put_manifest(s3, manifest())
    event = {"source": "aws.s3", "detail": {"object": {"key": "datasets/news/v1/manifest.json"}}}

    plan = run(s3, event)

    assert plan["run"]["trigger"] == "data"


def test_missing_manifest_rejected(s3):
    with pytest.raises(RunRejected, match="the dataset has no manifest"):
        run(s3, {"dataset": "news", "version": "v2"})


def test_vocabulary_line_count_mismatch_rejected(s3):
    put_manifest(s3, manifest(vocab_lines=4998))

    with pytest.raises(RunRejected) as raised:
        run(s3, {"dataset": "news", "version": "v1"})

    assert str(raised.value) == (
        "manifest.auxiliary.vocab.lines: 4998 is invalid: vocab.txt must have exactly feature_dim (5000) lines. "
        "Write one word per column of the data."
    )


def test_bad_override_rejected_with_every_message(s3):
    put_manifest(s3, manifest())
    event = {"dataset": "news", "version": "v1", "overrides": {"num_topics": 1, "max_parallel_training_jobs": 50}}

    with pytest.raises(RunRejected) as raised:
        run(s3, event)

    message = str(raised.value)
    assert "static_hyperparameters.num_topics: 1 is invalid" in message
    assert "tuning.max_parallel_training_jobs: 50 is invalid" in message


def test_second_run_for_busy_dataset_skipped(s3):
    put_manifest(s3, manifest())
    first = run(s3, {"dataset": "news", "version": "v1"}, execution_name="exec-1")

    second = run(s3, {"trigger": "schedule", "dataset": "news"}, execution_name="exec-2")

    assert first["decision"] == "run"
    assert second["decision"] == "skip"
    assert second["skip"]["activeExecution"] == "exec-1"
    assert second["skip"]["reason"].startswith("dataset news has an active run: execution exec-1")


def test_stale_lock_taken_over(s3):
    put_manifest(s3, manifest())
    run(s3, {"dataset": "news", "version": "v1"}, execution_name="exec-1")
    later = validate_run(
        {"dataset": "news", "version": "v1"},
        execution_name="exec-2",
        s3=s3,
        dynamodb=boto3.client("dynamodb"),
        settings=SETTINGS,
        now=NOW.replace(hour=13, minute=1),
    )

    assert later["decision"] == "run"


def test_schedule_resolves_newest_version(s3):
    put_manifest(s3, manifest(), version="2026-11-01")
    put_manifest(s3, manifest(), version="2026-12-01")

    plan = run(s3, {"trigger": "schedule", "dataset": "news"})

    assert plan["run"]["version"] == "2026-12-01"
    assert plan["run"]["trigger"] == "schedule"


def test_schedule_without_any_version_rejected(s3):
    with pytest.raises(RunRejected, match="no version of the dataset has a manifest"):
        run(s3, {"trigger": "schedule", "dataset": "news"})


def test_cold_start_records_reason(s3):
    put_manifest(s3, manifest())

    plan = run(s3, {"dataset": "news", "version": "v1"})

    assert plan["run"]["warmStart"] == {
        "parents": [],
        "type": None,
        "reason": "no earlier run of this dataset succeeded",
    }
    assert "warmStartConfig" not in plan["run"]


def test_vocabulary_file_shorter_than_feature_dim_rejected(s3):
    vocabulary = "".join(f"word{index}\n" for index in range(4998)).encode()
    put_manifest(s3, manifest(), vocabulary=vocabulary)

    with pytest.raises(RunRejected) as raised:
        run(s3, {"dataset": "news", "version": "v1"})

    assert str(raised.value) == (
        "s3://datasets/datasets/news/v1/auxiliary/vocab.txt: '4998 lines' is invalid: vocab.txt must have exactly "
        "feature_dim (5000) lines, one word per column of the data. Prepare the dataset again so that the "
        "vocabulary and the data agree."
    )


def test_vocabulary_in_latin1_rejected(s3):
    words = ["café"] + [f"word{index}" for index in range(4999)]
    put_manifest(s3, manifest(), vocabulary="\n".join(words).encode("latin-1"))

    with pytest.raises(RunRejected, match=r"'byte 3' is invalid: vocab.txt must be UTF-8"):
        run(s3, {"dataset": "news", "version": "v1"})


def test_vocabulary_under_other_name_rejected(s3):
    put_manifest(s3, manifest())
    s3.delete_object(Bucket=BUCKET, Key="datasets/news/v1/auxiliary/vocab.txt")
    s3.put_object(Bucket=BUCKET, Key="datasets/news/v1/auxiliary/vocabulary.txt", Body=b"a\n" * 5000)

    with pytest.raises(RunRejected, match=r"NTM reads it only from a file named vocab\.txt"):
        run(s3, {"dataset": "news", "version": "v1"})
