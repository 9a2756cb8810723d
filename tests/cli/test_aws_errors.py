"""Every command reports AWS errors as one message with exit status 2 or 1, never a traceback."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ntm_tune.cli import main

COMMANDS = {
    "start": ["start", "--dataset", "news", "--version", "v1"],
    "watch": ["watch", "some-execution"],
    "history": ["history"],
    "best": ["best", "--json"],
    "report": ["report", "--out", "REPORT"],
}


def command(name: str, tmp_path) -> list[str]:
    return [str(tmp_path / "report.png") if part == "REPORT" else part for part in COMMANDS[name]]


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    # Point the shared files at paths that do not exist, so no local profile supplies credentials.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))


@pytest.mark.parametrize("name", COMMANDS)
def test_no_credentials(name, no_credentials, tmp_path, capsys):
    status = main(command(name, tmp_path))

    error = capsys.readouterr().err
    assert status == 2
    assert f"ntm-tune {name}: no AWS credentials were found. Pass --profile NAME" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("name", COMMANDS)
def test_stack_not_found(name, deployed, tmp_path, capsys):
    status = main([*command(name, tmp_path), "--stack", "NtmTuning-prod"])

    error = capsys.readouterr().err
    assert status == 2
    assert "the stack NtmTuning-prod was not found in us-east-1. Deploy it with `npx cdk deploy`" in error


@pytest.mark.parametrize("name", COMMANDS)
def test_access_denied(name, stub_clients, tmp_path, capsys):
    client = boto3.client("cloudformation", region_name="us-east-1")
    stub_clients["cloudformation"] = client
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "describe_stacks",
            service_error_code="AccessDenied",
            service_message="User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
            "cloudformation:DescribeStacks",
            http_status_code=403,
        )

        status = main(command(name, tmp_path))

    error = capsys.readouterr().err
    assert status == 2
    assert "access denied: AWS rejected DescribeStacks (User: arn:aws:iam::123456789012:user/dev" in error
    assert "Traceback" not in error


def test_throttling_is_status_1(stub_clients, capsys):
    client = boto3.client("cloudformation", region_name="us-east-1")
    stub_clients["cloudformation"] = client
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_stacks", service_error_code="Throttling", service_message="Rate exceeded")

        status = main(["history"])

    error = capsys.readouterr().err
    assert status == 1
    assert "ntm-tune history: AWS throttled DescribeStacks after 5 attempts (Throttling)" in error


def test_access_denied_on_table(deployed, stub_clients, capsys):
    client = boto3.client("dynamodb", region_name="us-east-1")
    stub_clients["dynamodb"] = client
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "scan",
            service_error_code="AccessDeniedException",
            service_message="not authorized to perform: dynamodb:Scan",
        )

        status = main(["history"])

    error = capsys.readouterr().err
    assert status == 2
    assert "access denied: AWS rejected Scan (not authorized to perform: dynamodb:Scan)" in error


def test_unknown_profile(no_credentials, capsys):
    status = main(["history", "--profile", "nobody"])

    error = capsys.readouterr().err
    assert status == 2
    assert "the AWS profile 'nobody' was not found in the AWS config files" in error


def test_no_region(monkeypatch, capsys):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/ntm-tune-test-config")

    status = main(["history"])

    error = capsys.readouterr().err
    assert status == 2
    assert "no AWS Region is set. Pass --region REGION" in error


def test_missing_output(deployed, capsys):
    import json

    cloudformation = deployed.client("cloudformation")
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}},
    }
    cloudformation.create_stack(StackName="Unrelated", TemplateBody=json.dumps(template))

    status = main(["history", "--stack", "Unrelated"])

    error = capsys.readouterr().err
    assert status == 2
    assert "the stack Unrelated in us-east-1 has no output DatasetsBucketName, ArtifactsBucketName" in error
