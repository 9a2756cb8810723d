"""Fixtures for `ntm-tune prepare`: the shared real corpora, a CLI runner and a moto S3 bucket."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ntm_tune.cli import main
from tests.prepare.support import SHARED_DATA

DATASETS_BUCKET = "ntm-datasets"


@pytest.fixture
def shared_data():
    """The folder of real corpora beside the repository, or a skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the real corpora folder {SHARED_DATA} is absent (it lies beside the repository in development)")
    return SHARED_DATA


@pytest.fixture
def prepare(capsys):
    """Run `ntm-tune prepare ARGS` in-process and return (exit status, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        status = main(["prepare", *map(str, args)])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def s3_bucket():
    """A moto S3 bucket for the datasets; tests/conftest.py sets fake credentials."""
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=DATASETS_BUCKET)
        yield client
