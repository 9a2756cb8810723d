"""Shared fixtures: one synthesis of the default stack per test session."""

from __future__ import annotations

import os

import pytest

# No test may reach AWS: fake credentials and a fixed Region for boto3 and moto.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_VALIDATION": "false",
    }
)
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    from tests.support.synth import synthesize

    return synthesize(outdir=tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def template(synthesized):
    return synthesized.template


@pytest.fixture(scope="session")
def template_dict(synthesized):
    return synthesized.template_dict


@pytest.fixture(scope="session")
def definition(template_dict):
    from tests.support.cfn import resolve_definition

    return resolve_definition(template_dict)
