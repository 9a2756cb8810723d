"""Security settings of every bucket, and the datasets bucket's EventBridge setting."""

from __future__ import annotations

import pytest

from tests.infrastructure.iam_helpers import logical_id


def buckets(template_dict):
    return {key: value for key, value in template_dict["Resources"].items() if value["Type"] == "AWS::S3::Bucket"}


def test_three_buckets(template_dict):
    assert len(buckets(template_dict)) == 3


@pytest.mark.parametrize("attribute", ["datasets_bucket", "artifacts_bucket", "access_logs_bucket"])
def test_bucket_security_settings(synthesized, attribute):
    bucket_id = logical_id(getattr(synthesized.stack, attribute))
    bucket = synthesized.template_dict["Resources"][bucket_id]
    properties = bucket["Properties"]

    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


@pytest.mark.parametrize("attribute", ["datasets_bucket", "artifacts_bucket", "access_logs_bucket"])
def test_bucket_policy_denies_plain_http(synthesized, attribute):
    bucket_id = logical_id(getattr(synthesized.stack, attribute))
    policies = [
        resource
        for resource in synthesized.template_dict["Resources"].values()
        if resource["Type"] == "AWS::S3::BucketPolicy" and resource["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    denies = [statement for statement in statements if statement["Effect"] == "Deny"]

    assert any(statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for statement in denies)
    assert any(statement["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for statement in denies)


@pytest.mark.parametrize("attribute", ["datasets_bucket", "artifacts_bucket"])
def test_data_buckets_log_access(synthesized, attribute):
    properties = synthesized.template_dict["Resources"][logical_id(getattr(synthesized.stack, attribute))]["Properties"]

    assert properties["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": logical_id(synthesized.stack.access_logs_bucket)
    }


def test_datasets_bucket_sends_eventbridge_events(synthesized):
    synthesized.template.has_resource_properties(
        "Custom::S3BucketNotifications",
        {
            "BucketName": {"Ref": logical_id(synthesized.stack.datasets_bucket)},
            "NotificationConfiguration": {"EventBridgeConfiguration": {}},
        },
    )


def test_run_history_table_is_retained(synthesized):
    table = synthesized.template_dict["Resources"][logical_id(synthesized.stack.run_history_table)]

    assert table["DeletionPolicy"] == "Retain"
    replica = table["Properties"]["Replicas"][0]
    assert replica["DeletionProtectionEnabled"] is True
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
