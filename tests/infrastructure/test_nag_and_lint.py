"""cdk-nag, cfn-lint and an Amazon States Language validator on the synthesized app."""

from __future__ import annotations

import json
import shutil
import subprocess

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from app import build_app
from ntm_spec.config import load_config
from tests.support.synth import REPO_ROOT, TEST_ACCOUNT, feature_flags


def synthesize_with_nag(tmp_path, add_resources=None) -> list[dict]:
    """Synthesize as app.py does, cdk-nag included; return the unacknowledged findings."""
    app = cdk.App(context=feature_flags(), outdir=str(tmp_path))
    stack = build_app(app, load_config({}), region="us-east-1", account=TEST_ACCOUNT)
    if add_resources:
        add_resources(stack)
    try:
        app.synth()
    except RuntimeError as error:
        assert "ValidationFailed" in str(error), error
    report = json.loads((tmp_path / "validation-report.json").read_text())
    return [violation for plugin in report["pluginReports"] for violation in plugin["violations"]]


def describe(violations: list[dict]) -> list[str]:
    return [
        f"{violation['ruleName']} at {[item['constructPath'] for item in violation['violatingConstructs']]}"
        for violation in violations
    ]


def test_no_unacknowledged_nag_findings(tmp_path):
    violations = synthesize_with_nag(tmp_path)

    assert violations == [], describe(violations)


def test_nag_catches_noncompliant_variant(tmp_path):
    def add_noncompliant(stack):
        s3.Bucket(stack, "PlainBucket")
        role = iam.Role(stack, "WideRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))

    rules = {violation["ruleName"] for violation in synthesize_with_nag(tmp_path, add_noncompliant)}

    assert "AwsSolutions-S1" in rules
    assert "AwsSolutions-IAM5[Action::s3:*]" in rules


@pytest.mark.slow
def test_cfn_lint_clean(synthesized, tmp_path):
    template_path = tmp_path / "template.json"
    template_path.write_text(json.dumps(synthesized.template_dict))
    result = subprocess.run(
        # W3005: aws-cdk-lib adds DependsOn entries that a GetAtt already implies; harmless.
        [
            str(REPO_ROOT / ".venv/bin/cfn-lint"),
            "--regions",
            "us-east-1",
            "--ignore-checks",
            "W3005",
            "--",
            str(template_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_asl_validator_clean(definition, tmp_path):
    validator = REPO_ROOT / "node_modules/.bin/asl-validator"
    if not validator.exists() or shutil.which("node") is None:
        pytest.fail("asl-validator is missing; run `make install` (npm ci) first")
    definition_path = tmp_path / "definition.json"
    definition_path.write_text(json.dumps(definition))

    result = subprocess.run(
        [str(validator), "--json-path", str(definition_path)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
