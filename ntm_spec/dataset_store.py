"""Read dataset versions from S3 the way the workflow's first state does.

The functions take any S3 client with `get_object`, `get_paginator` and
`exceptions.NoSuchKey` (boto3's), so this module imports no AWS SDK and both the
Lambda function and `ntm-tune start` apply the same checks.
"""

from __future__ import annotations

import json
from datetime import datetime

from ntm_spec.dataset import (
    DATASETS_PREFIX,
    MANIFEST_NAME,
    VOCABULARY_KEY,
    Manifest,
    dataset_version_prefix,
    parse_manifest,
    vocabulary_problems,
)
from ntm_spec.errors import Problem, SpecError


def newest_version(s3, bucket: str, dataset: str) -> str | None:
    """Return the version whose manifest was written last (ties: the greater name), or None."""
    prefix = f"{DATASETS_PREFIX}{dataset}/"
    newest: tuple[datetime, str] | None = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            parts = item["Key"][len(prefix) :].split("/")
            if len(parts) != 2 or parts[1] != MANIFEST_NAME:
                continue
            candidate = (item["LastModified"], parts[0])
            if newest is None or candidate > newest:
                newest = candidate
    return newest[1] if newest else None


def load_version(s3, bucket: str, dataset: str, version: str) -> Manifest:
    """Read and check a version's manifest and vocabulary; raise SpecError with every problem."""
    prefix = dataset_version_prefix(dataset, version)
    manifest = _read_manifest(s3, bucket, prefix)
    location = f"s3://{bucket}/{prefix}{VOCABULARY_KEY}"
    try:
        vocabulary = s3.get_object(Bucket=bucket, Key=prefix + VOCABULARY_KEY)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise SpecError(
            [
                Problem(
                    "auxiliary",
                    location,
                    "the vocabulary is missing, and NTM reads it only from a file named vocab.txt in auxiliary/",
                    "Upload it under that name, or prepare the dataset with `ntm-tune prepare`",
                )
            ]
        ) from None
    problems = vocabulary_problems(vocabulary, feature_dim=manifest.feature_dim, location=location)
    if problems:
        raise SpecError(problems)
    return manifest


def _read_manifest(s3, bucket: str, prefix: str) -> Manifest:
    key = prefix + MANIFEST_NAME
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise SpecError(
            [
                Problem(
                    "dataset",
                    f"s3://{bucket}/{key}",
                    "the dataset has no manifest",
                    "Upload the dataset with `ntm-tune prepare`, which writes the manifest last",
                )
            ]
        ) from None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SpecError(
            [
                Problem(
                    "manifest",
                    f"s3://{bucket}/{key}",
                    f"the manifest is not valid JSON ({error})",
                    "Write it again with `ntm-tune prepare`",
                )
            ]
        ) from None
    return parse_manifest(data)
