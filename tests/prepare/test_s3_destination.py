"""Publishing to s3://BUCKET/datasets/NAME/VERSION/ against moto's S3: manifest last, never overwrite."""

from __future__ import annotations

import hashlib
import json

import pytest

from ntm_spec.dataset import parse_manifest
from ntm_tune.errors import UsageError
from ntm_tune.prepare import destination
from ntm_tune.prepare.destination import S3Destination, parse_destination
from tests.prepare.conftest import DATASETS_BUCKET

DEST = f"s3://{DATASETS_BUCKET}/datasets/news/v1/"


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(f"topic model document {number} about news and words" for number in range(40)) + "\n")
    return path


def object_keys(s3) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=DATASETS_BUCKET).get("Contents", []))


def test_dataset_uploaded_with_manifest_last(s3_bucket, corpus, prepare, monkeypatch):
    put_keys: list[str] = []
    real_put_object = s3_bucket.put_object

    def recording_put_object(**request):
        put_keys.append(request["Key"])
        return real_put_object(**request)

    monkeypatch.setattr(s3_bucket, "put_object", recording_put_object)
    monkeypatch.setattr(destination, "_s3_client", lambda: s3_bucket)

    status, out, err = prepare(corpus, "--out", DEST, "--records-per-shard", "10")

    assert (status, err) == (0, "")
    assert f"Manifest: {DEST}manifest.json" in out
    assert put_keys[-1] == "datasets/news/v1/manifest.json"
    assert object_keys(s3_bucket) == sorted(put_keys)
    manifest = json.loads(s3_bucket.get_object(Bucket=DATASETS_BUCKET, Key=put_keys[-1])["Body"].read())
    parse_manifest(manifest)
    assert sum(channel["documents"] for channel in manifest["channels"].values()) == 40
    for channel in manifest["channels"].values():
        for file in channel["files"]:
            response = s3_bucket.get_object(Bucket=DATASETS_BUCKET, Key="datasets/news/v1/" + file["key"])
            body = response["Body"].read()
            assert hashlib.sha256(body).hexdigest() == file["sha256"]
            assert response["ContentType"] == "application/x-recordio-protobuf"
    vocab = s3_bucket.get_object(Bucket=DATASETS_BUCKET, Key="datasets/news/v1/auxiliary/vocab.txt")["Body"].read()
    assert vocab.decode("utf-8").count("\n") == manifest["feature_dim"]


def test_existing_s3_version_rejected(s3_bucket, corpus, prepare):
    s3_bucket.put_object(Bucket=DATASETS_BUCKET, Key="datasets/news/v1/train/part-00000.pbr", Body=b"old")

    status, out, err = prepare(corpus, "--out", DEST)

    assert (status, out) == (2, "")
    assert err == (
        f"ntm-tune prepare: {DEST}: the dataset version already has objects. "
        "Choose a new version, because a published dataset version is never overwritten\n"
    )
    assert object_keys(s3_bucket) == ["datasets/news/v1/train/part-00000.pbr"]


def test_other_versions_do_not_block(s3_bucket, corpus, prepare):
    s3_bucket.put_object(Bucket=DATASETS_BUCKET, Key="datasets/news/v10/manifest.json", Body=b"{}")

    assert prepare(corpus, "--out", DEST)[0] == 0
    assert "datasets/news/v1/manifest.json" in object_keys(s3_bucket)


def test_missing_bucket_rejected(s3_bucket, corpus, prepare):
    status, _, err = prepare(corpus, "--out", "s3://no-such-bucket/datasets/news/v1/")

    assert status == 2
    assert "bucket 'no-such-bucket' is not found" in err


def test_concurrent_writer_aborts_upload(s3_bucket, tmp_path):
    staging = tmp_path / "staging"
    (staging / "train").mkdir(parents=True)
    (staging / "train" / "part-00000.pbr").write_bytes(b"shard")
    (staging / "auxiliary").mkdir()
    (staging / "auxiliary" / "vocab.txt").write_text("word\n")
    (staging / "manifest.json").write_text("{}")
    target = parse_destination(DEST)
    target.check_available()
    # Another writer publishes the same version between the check and the upload.
    s3_bucket.put_object(Bucket=DATASETS_BUCKET, Key="datasets/news/v1/manifest.json", Body=b"theirs")

    with pytest.raises(UsageError, match="an object of this dataset version appeared meanwhile"):
        target.publish(staging)

    assert object_keys(s3_bucket) == ["datasets/news/v1/manifest.json"]
    assert (
        s3_bucket.get_object(Bucket=DATASETS_BUCKET, Key="datasets/news/v1/manifest.json")["Body"].read() == b"theirs"
    )


def test_destination_uri_parsed():
    assert parse_destination("s3://bucket/datasets/news/2026-05-01") == S3Destination(
        "bucket", "datasets/news/2026-05-01/"
    )
