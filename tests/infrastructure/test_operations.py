"""Alarms, the dashboard and cost-allocation tags in the synthesized template."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import record_run
from app import build_app
from ntm_spec.config import load_config
from ntm_spec.errors import SpecError
from tests.infrastructure.iam_helpers import logical_id
from tests.support.synth import TEST_ACCOUNT, feature_flags


def resources(template_dict: dict, resource_type: str) -> dict[str, dict]:
    return {
        name: resource for name, resource in template_dict["Resources"].items() if resource["Type"] == resource_type
    }


def alarm(synthesized, alarm_id: str) -> dict:
    construct = synthesized.stack.operations.alarms[alarm_id]
    return synthesized.template_dict["Resources"][logical_id(construct)]["Properties"]


# Alarms.


@pytest.mark.parametrize(
    ("alarm_id", "metric_name"),
    [
        ("ExecutionsFailed", "ExecutionsFailed"),
        ("ExecutionsTimedOut", "ExecutionsTimedOut"),
        ("ExecutionsAborted", "ExecutionsAborted"),
    ],
)
def test_execution_alarm(synthesized, alarm_id, metric_name):
    properties = alarm(synthesized, alarm_id)

    assert properties["Namespace"] == "AWS/States"
    assert properties["MetricName"] == metric_name
    assert properties["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": {"Ref": logical_id(synthesized.stack.state_machine)}}
    ]
    assert properties["Statistic"] == "Sum"
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmActions"] == [{"Ref": logical_id(synthesized.stack.operators_topic)}]


def test_recorder_errors_alarm(synthesized):
    properties = alarm(synthesized, "RecorderErrors")

    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["MetricName"] == "Errors"
    assert properties["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": logical_id(synthesized.stack.record_function.lambda_function)}}
    ]
    assert properties["Statistic"] == "Sum"
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["AlarmActions"] == [{"Ref": logical_id(synthesized.stack.operators_topic)}]


def test_only_operation_alarms(synthesized):
    alarms = resources(synthesized.template_dict, "AWS::CloudWatch::Alarm")

    assert len(alarms) == 4


def test_cloudwatch_may_use_topic_key(synthesized):
    topic = synthesized.template_dict["Resources"][logical_id(synthesized.stack.operators_topic)]
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    statements = synthesized.template_dict["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]

    cloudwatch = [
        statement for statement in statements if statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert len(cloudwatch) == 1
    assert cloudwatch[0]["Effect"] == "Allow"
    assert sorted(cloudwatch[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_cloudwatch_may_publish_to_topic(synthesized):
    topic_ref = {"Ref": logical_id(synthesized.stack.operators_topic)}
    [policy] = [
        resource["Properties"]
        for resource in resources(synthesized.template_dict, "AWS::SNS::TopicPolicy").values()
        if topic_ref in resource["Properties"]["Topics"]
    ]

    [statement] = [
        statement
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{TEST_ACCOUNT}:alarm/*"
    }
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": TEST_ACCOUNT}


# Dashboard.


def dashboard_body(template_dict: dict) -> dict:
    """Return the DashboardBody as JSON, with each CloudFormation reference replaced by a placeholder string."""
    [dashboard] = resources(template_dict, "AWS::CloudWatch::Dashboard").values()
    separator, parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"]
    text = separator.join(
        part if isinstance(part, str) else f"<{json.dumps(part, sort_keys=True)}>".replace('"', "'") for part in parts
    )
    return json.loads(text)


def widget(body: dict, title_start: str) -> dict:
    [found] = [item for item in body["widgets"] if item["properties"].get("title", "").startswith(title_start)]
    return found["properties"]


def search_expression(properties: dict) -> str:
    [[line]] = properties["metrics"]
    return line["expression"]


def test_dashboard_best_loss_per_dataset(template_dict):
    properties = widget(dashboard_body(template_dict), "Best validation:total_loss")

    expression = search_expression(properties)
    assert expression.startswith("SEARCH('{NtmTuning,Dataset,Stage}")
    assert f'MetricName="{record_run.METRIC_NAME}"' in expression
    assert 'Stage="dev"' in expression
    assert "'Minimum'" in expression


def test_dashboard_runs_by_outcome(template_dict):
    properties = widget(dashboard_body(template_dict), "Runs by outcome")

    lines = {tuple(line[:6]): line[6] for line in properties["metrics"]}
    for outcome in ("succeeded", "failed", "rejected", "skipped"):
        options = lines[("NtmTuning", record_run.RUNS_METRIC, "Outcome", outcome, "Stage", "dev")]
        assert options["stat"] == "Sum"
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("title_start", "metric_name"),
    [
        ("Run duration", record_run.RUN_DURATION_METRIC),
        ("Training jobs per run", record_run.TRAINING_JOBS_METRIC),
        ("GPU hours per run", record_run.GPU_HOURS_METRIC),
    ],
)
def test_dashboard_per_run_widgets(template_dict, title_start, metric_name):
    expression = search_expression(widget(dashboard_body(template_dict), title_start))

    assert f'MetricName="{metric_name}"' in expression
    assert "{NtmTuning,Dataset,Stage}" in expression


def test_dashboard_shows_alarms(synthesized):
    properties = widget(dashboard_body(synthesized.template_dict), "Alarms")

    assert len(properties["alarms"]) == 4
    for alarm_id, construct in synthesized.stack.operations.alarms.items():
        assert any(logical_id(construct) in arn for arn in properties["alarms"]), alarm_id


def test_dashboard_metric_namespace_matches_recorder():
    from stacks import operations

    assert operations.RUN_METRIC_NAMESPACE == record_run.METRIC_NAMESPACE
    assert operations.BEST_LOSS_METRIC == record_run.METRIC_NAME
    assert operations.RUNS_METRIC == record_run.RUNS_METRIC
    assert operations.RUN_DURATION_METRIC == record_run.RUN_DURATION_METRIC
    assert operations.TRAINING_JOBS_METRIC == record_run.TRAINING_JOBS_METRIC
    assert operations.GPU_HOURS_METRIC == record_run.GPU_HOURS_METRIC


# Recorder IAM for spend and events.


def test_recorder_may_read_training_jobs_and_put_events(synthesized):
    from tests.infrastructure.iam_helpers import by_sid, statements_of

    role = synthesized.stack.record_function.role
    named = by_sid(statements_of(synthesized.template_dict, logical_id(role)))

    assert named["DescribeTrainingJobs"]["Action"] == "sagemaker:DescribeTrainingJob"
    assert (
        named["DescribeTrainingJobs"]["Resource"]
        == f"arn:aws:sagemaker:us-east-1:{TEST_ACCOUNT}:training-job/ntm-dev-*"
    )
    assert named["ListTuningJobTrainingJobs"]["Resource"] == (
        f"arn:aws:sagemaker:us-east-1:{TEST_ACCOUNT}:hyper-parameter-tuning-job/ntm-dev-*"
    )
    assert named["PutRunCompletedEvents"]["Action"] == "events:PutEvents"
    assert named["PutRunCompletedEvents"]["Resource"] == f"arn:aws:events:us-east-1:{TEST_ACCOUNT}:event-bus/default"


# Cost-allocation tags.

CONFIG_TAGS = {"cost-center": "ml-research", "team": "topics", "empty": ""}


@pytest.fixture(scope="module")
def tagged_template(tmp_path_factory) -> dict:
    app = cdk.App(context=feature_flags(), outdir=str(tmp_path_factory.mktemp("tagged")))
    config = load_config({"stage": "qa", "job_name_prefix": "ntm-qa", "tags": CONFIG_TAGS})
    stack = build_app(app, config, region="us-east-1", account=TEST_ACCOUNT)
    return Template.from_stack(stack).to_json()


def tag_map(tags: list[dict]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


@pytest.mark.parametrize(
    "resource_type",
    [
        "AWS::S3::Bucket",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::StepFunctions::StateMachine",
        "AWS::SNS::Topic",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::SQS::Queue",
        "AWS::CloudWatch::Alarm",
    ],
)
def test_resources_carry_configured_tags(tagged_template, resource_type):
    tagged = resources(tagged_template, resource_type)

    assert tagged, resource_type
    for name, resource in tagged.items():
        tags = tag_map(resource["Properties"]["Tags"])
        assert tags.items() >= {**CONFIG_TAGS, "ntm:stage": "qa"}.items(), name


def test_tables_carry_configured_tags(tagged_template):
    tables = resources(tagged_template, "AWS::DynamoDB::GlobalTable")

    assert len(tables) == 2
    for name, table in tables.items():
        for replica in table["Properties"]["Replicas"]:
            assert tag_map(replica["Tags"]).items() >= {**CONFIG_TAGS, "ntm:stage": "qa"}.items(), name


def test_every_tagged_resource_names_stage(tagged_template):
    for name, resource in tagged_template["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if isinstance(tags, list):
            assert tag_map(tags).get("ntm:stage") == "qa", name


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (
            {"aws:owner": "me"},
            "tags.aws:owner: 'aws:owner' is invalid: tag keys starting with 'aws:' are reserved for AWS. Choose a key without that prefix.",
        ),
        ({"k" * 129: "v"}, "a tag key is 1 to 128 characters long"),
        ({"": "v"}, "a tag key is 1 to 128 characters long"),
        ({"team": "x" * 257}, "a tag value is at most 256 characters long"),
        ({"team": 7}, 'tags.team: 7 is invalid: a tag value is a string. Quote the value: "7".'),
    ],
)
def test_invalid_tags_rejected(tags, message):
    with pytest.raises(SpecError) as raised:
        load_config({"tags": tags})

    [text] = raised.value.messages()
    assert message in text


def test_tags_table_must_be_table():
    with pytest.raises(SpecError) as raised:
        load_config({"tags": "team=topics"})

    assert raised.value.messages()[0].startswith("tags: 'team=topics' is invalid: a table is required")


def test_longest_valid_tag_accepted():
    config = load_config({"tags": {"k" * 128: "v" * 256}})

    assert config.tags == {"k" * 128: "v" * 256}
