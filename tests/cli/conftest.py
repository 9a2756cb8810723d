"""A deployed NTM tuning stack emulated by moto, for the commands that operate one.

The fixture creates the resources that the commands read (buckets, run-history
table, the first state's function with the deployed configuration, the state
machine) and a CloudFormation stack whose outputs name them, as `cdk deploy` would.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from moto import mock_aws

from ntm_spec.config import load_config
from ntm_spec.config_file import read_config_file
from tests.support.synth import REPO_ROOT

STACK_NAME = "NtmTuning-dev"
DATASET = "news"


@dataclass
class DeployedStack:
    datasets_bucket: str
    artifacts_bucket: str
    run_history_table: str
    state_machine_arn: str
    topic_arn: str
    config: dict

    def client(self, service_name: str):
        return boto3.client(service_name, region_name="us-east-1")

    def put_manifest(self, dataset: str = DATASET, version: str = "v1", feature_dim: int = 5000) -> None:
        """Upload a vocabulary of `feature_dim` words, then the manifest, as `ntm-tune prepare` does."""
        prefix = f"datasets/{dataset}/{version}/"
        self.client("s3").put_object(
            Bucket=self.datasets_bucket,
            Key=prefix + "auxiliary/vocab.txt",
            Body="".join(f"word{index}\n" for index in range(feature_dim)).encode(),
        )
        self.client("s3").put_object(
            Bucket=self.datasets_bucket,
            Key=prefix + "manifest.json",
            Body=json.dumps(manifest(feature_dim)).encode(),
        )

    def put_run(self, **attributes) -> None:
        """Write one run-history item as the recorder Lambda does (floats as Decimal)."""
        serializer = TypeSerializer()
        item = {key: serializer.serialize(_decimals(value)) for key, value in attributes.items() if value is not None}
        self.client("dynamodb").put_item(TableName=self.run_history_table, Item=item)


def manifest(feature_dim: int) -> dict:
    return {
        "schema_version": 1,
        "feature_dim": feature_dim,
        "content_type": "application/x-recordio-protobuf",
        "channels": {"train": {"documents": 900}, "validation": {"documents": 100}},
        "auxiliary": {"vocab": {"key": "auxiliary/vocab.txt", "lines": feature_dim}},
    }


def run_item(
    started_at: str,
    *,
    dataset: str = DATASET,
    version: str = "v1",
    outcome: str = "succeeded",
    objective_value: float | None = 6.5,
    gpu_hours: float | None = None,
    reason: str = "",
    suffix: str = "0000",
) -> dict:
    """Return the attributes of one recorded run; a succeeded run has a best training job."""
    stamp = datetime.fromisoformat(started_at).strftime("%y%m%d%H%M%S")
    run_id = f"ntm-dev-{stamp}-{suffix}"
    execution_name = f"manual-{dataset}-{version}-{suffix}"
    item = {
        "dataset": dataset,
        "runKey": f"{started_at}#{execution_name}",
        "executionName": execution_name,
        "runId": run_id,
        "trigger": "manual",
        "version": version,
        "outcome": outcome,
        "reason": reason,
        "recordedAt": started_at,
        "stage": "dev",
        "gpuHours": gpu_hours,
    }
    if outcome != "rejected":
        item["tuningJobName"] = run_id
        item["tuningJobStatus"] = "Completed" if outcome == "succeeded" else "Failed"
    if outcome == "succeeded":
        item.update(
            {
                "bestTrainingJobName": f"{run_id}-007-abcdef12",
                "objectiveMetric": "validation:total_loss",
                "objectiveValue": objective_value,
                "tunedHyperParameters": {"learning_rate": "0.0123", "optimizer": "adam"},
                "modelArtifactS3Uri": f"s3://artifacts/tuning-jobs/{run_id}-007-abcdef12/output/model.tar.gz",
                "summaryS3Uri": f"s3://artifacts/runs/{dataset}/{suffix}.json",
            }
        )
    return item


def create_stack() -> DeployedStack:
    """Create the stack's resources and its CloudFormation outputs in the active moto mock."""
    session = boto3.Session(region_name="us-east-1")
    config = load_config(read_config_file(REPO_ROOT / "config/default.toml")).raw

    s3 = session.client("s3")
    for bucket in ("datasets", "artifacts"):
        s3.create_bucket(Bucket=bucket)
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName="RunHistory",
        KeySchema=[{"AttributeName": "dataset", "KeyType": "HASH"}, {"AttributeName": "runKey", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "dataset", "AttributeType": "S"},
            {"AttributeName": "runKey", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    role_arn = session.client("iam").create_role(RoleName="workflow", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("validate_run.py", "def handler(event, context):\n    return event\n")
    function_arn = session.client("lambda").create_function(
        FunctionName="ValidateRun",
        Runtime="python3.12",
        Role=role_arn,
        Handler="validate_run.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"TUNING_CONFIG": json.dumps(config), "DATASETS_BUCKET": "datasets"}},
    )["FunctionArn"]
    definition = {
        "StartAt": "Validate run",
        "States": {
            # The stack's LambdaInvoke returns only the payload, so it names the function in Resource.
            "Validate run": {
                "Type": "Task",
                "Resource": function_arn,
                "Parameters": {"event.$": "$", "execution": {"name.$": "$$.Execution.Name"}},
                "End": True,
            }
        },
    }
    state_machine_arn = session.client("stepfunctions").create_state_machine(
        name="TuningWorkflow", definition=json.dumps(definition), roleArn=role_arn
    )["stateMachineArn"]

    outputs = {
        "DatasetsBucketName": "datasets",
        "ArtifactsBucketName": "artifacts",
        "RunHistoryTableName": "RunHistory",
        "StateMachineArn": state_machine_arn,
        "OperatorsTopicArn": {"Ref": "OperatorsTopic"},
    }
    template = {
        "Resources": {"OperatorsTopic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(StackName=STACK_NAME, TemplateBody=json.dumps(template))
    stack_outputs = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]["Outputs"]
    topic_arn = next(output["OutputValue"] for output in stack_outputs if output["OutputKey"] == "OperatorsTopicArn")
    return DeployedStack("datasets", "artifacts", "RunHistory", state_machine_arn, topic_arn, config)


@pytest.fixture
def deployed():
    with mock_aws():
        yield create_stack()


@pytest.fixture
def stub_clients(monkeypatch):
    """Return a dict: service name -> client that `ntm_tune.aws.create_client` returns instead of a new one."""
    import ntm_tune.aws

    stubs: dict[str, object] = {}
    original = ntm_tune.aws.create_client

    def create_client(session, service_name):
        return stubs[service_name] if service_name in stubs else original(session, service_name)

    monkeypatch.setattr(ntm_tune.aws, "create_client", create_client)
    return stubs


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _decimals(value):
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _decimals(item) for key, item in value.items()}
    return value
