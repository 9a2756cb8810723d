"""The first state: manifests read from S3 (moto), runs planned or rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws
from validate_run import RunRejected, validate_run

from ntm_spec.config import DEFAULTS

BUCKET = "datasets"
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
        yield client


def put_manifest(s3, body: dict, dataset: str = "news", version: str = "v1") -> None:
    s3.put_object(Bucket=BUCKET, Key=f"datasets/{dataset}/{version}/manifest.json", Body=json.dumps(body).encode())


def run(s3, event: dict) -> dict:
    return validate_run(event, s3=s3, base_config=DEFAULTS, datasets_bucket=BUCKET, now=NOW)


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
