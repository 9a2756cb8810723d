"""Exact IAM actions and resources of each role the stack creates."""

from __future__ import annotations

from tests.infrastructure.iam_helpers import all_actions, by_sid, logical_id, statements_of
from tests.support.synth import TEST_ACCOUNT

TUNING_JOBS_ARN = f"arn:aws:sagemaker:us-east-1:{TEST_ACCOUNT}:hyper-parameter-tuning-job/ntm-dev-*"
MANAGED_RULE_ARN = f"arn:aws:events:us-east-1:{TEST_ACCOUNT}:rule/StepFunctionsGetEventsForSageMakerTuningJobsRule"


def test_state_machine_role_tuning_statements(synthesized):
    stack = synthesized.stack
    statements = by_sid(statements_of(synthesized.template_dict, logical_id(stack.state_machine.role)))

    manage = statements["ManageTuningJobs"]
    assert sorted(manage["Action"]) == [
        "sagemaker:AddTags",
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
    ]
    assert manage["Resource"] == TUNING_JOBS_ARN

    assert statements["ListTuningJobTags"]["Action"] == "sagemaker:ListTags"

    events = statements["ManageTuningJobEventsRule"]
    assert sorted(events["Action"]) == ["events:DescribeRule", "events:PutRule", "events:PutTargets"]
    assert events["Resource"] == MANAGED_RULE_ARN

    pass_role = statements["PassExecutionRole"]
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Resource"] == {"Fn::GetAtt": [logical_id(stack.execution_role), "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_state_machine_role_action_set(synthesized):
    statements = statements_of(synthesized.template_dict, logical_id(synthesized.stack.state_machine.role))
    sagemaker_and_iam = {
        action for action in all_actions(statements) if action.split(":")[0] in ("sagemaker", "iam", "events")
    }

    assert sagemaker_and_iam == {
        "sagemaker:AddTags",
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
        "sagemaker:ListTags",
        "iam:PassRole",
        "events:PutTargets",
        "events:PutRule",
        "events:DescribeRule",
    }
    assert "lambda:InvokeFunction" in all_actions(statements)
    assert "sns:Publish" in all_actions(statements)


def test_execution_role_statements(synthesized):
    stack = synthesized.stack
    statements = statements_of(synthesized.template_dict, logical_id(stack.execution_role))
    named = by_sid(statements)
    datasets = logical_id(stack.datasets_bucket)
    artifacts = logical_id(stack.artifacts_bucket)

    assert set(named) == {
        "ReadDatasets",
        "ListDatasets",
        "WriteModelArtifacts",
        "WriteTrainingLogs",
        "PublishTrainingMetrics",
    }
    assert len(statements) == len(named)

    assert named["ReadDatasets"]["Action"] == "s3:GetObject"
    assert named["ReadDatasets"]["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [datasets, "Arn"]}, "/datasets/*"]]}
    assert named["ListDatasets"]["Action"] == "s3:ListBucket"
    assert named["ListDatasets"]["Condition"] == {"StringLike": {"s3:prefix": ["datasets/*"]}}
    assert sorted(named["WriteModelArtifacts"]["Action"]) == ["s3:AbortMultipartUpload", "s3:PutObject"]
    assert named["WriteModelArtifacts"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [artifacts, "Arn"]}, "/tuning-jobs/*"]]
    }
    assert named["PublishTrainingMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}
    }
    log_resources = named["WriteTrainingLogs"]["Resource"]
    assert all("/aws/sagemaker/TrainingJobs" in str(resource) for resource in log_resources)


def test_execution_role_cannot_write_datasets(synthesized):
    statements = statements_of(synthesized.template_dict, logical_id(synthesized.stack.execution_role))
    datasets = logical_id(synthesized.stack.datasets_bucket)

    for statement in statements:
        if datasets in str(statement["Resource"]):
            assert all(
                action in ("s3:GetObject", "s3:ListBucket")
                for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
            )


def test_recorder_role_statements(synthesized):
    stack = synthesized.stack
    role = stack.node.find_child("RecordRun").role
    statements = statements_of(synthesized.template_dict, logical_id(role))

    assert all_actions(statements) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "s3:PutObject",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
        "sagemaker:DescribeTrainingJob",
        "cloudwatch:PutMetricData",
        "events:PutEvents",
    }
    named = by_sid(statements)
    assert named["DescribeTuningJobs"]["Resource"] == TUNING_JOBS_ARN
    assert named["PublishRunMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "NtmTuning"}}


def test_validate_role_statements(synthesized):
    stack = synthesized.stack
    role = stack.node.find_child("ValidateRun").role
    statements = statements_of(synthesized.template_dict, logical_id(role))

    assert all_actions(statements) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
        "s3:GetObject",
        "s3:ListBucket",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    assert by_sid(statements)["ListDatasetVersions"]["Condition"] == {"StringLike": {"s3:prefix": ["datasets/*"]}}
    datasets = logical_id(stack.datasets_bucket)
    resources = by_sid(statements)["ReadManifests"]["Resource"]
    # minimizePolicies sorts resources, so compare without order.
    assert sorted(resource["Fn::Join"][1][1] for resource in resources) == [
        "/datasets/*/auxiliary/vocab.txt",
        "/datasets/*/manifest.json",
    ]
    assert all(resource["Fn::Join"][1][0] == {"Fn::GetAtt": [datasets, "Arn"]} for resource in resources)


def test_no_role_uses_managed_policies_except_cdk_handler(template_dict):
    for logical, resource in template_dict["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role" and "ManagedPolicyArns" in resource["Properties"]:
            assert logical.startswith("BucketNotificationsHandler"), logical
