"""The recorder: SageMaker answers stubbed with botocore's Stubber, storage in moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from record_run import METRIC_NAME, METRIC_NAMESPACE, Clients, Settings, record_run

TABLE = "run-history"
LOCKS = "run-locks"
BUCKET = "artifacts"
JOB = "ntm-dev-261204120000-ab12"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SETTINGS = Settings(table_name=TABLE, locks_table=LOCKS, artifacts_bucket=BUCKET, stage="dev")
RUN = {
    "runId": JOB,
    "trigger": "manual",
    "dataset": "news",
    "version": "v1",
    "startedAt": "2026-12-04T11:00:00+00:00",
}
EXECUTION = {"name": "exec-1", "startTime": "2026-12-04T11:00:00Z"}


def description(
    status: str, *, best: dict | None = None, counters: dict | None = None, reason: str | None = None
) -> dict:
    response = {
        "HyperParameterTuningJobName": JOB,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{JOB}",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 5, "MaxParallelTrainingJobs": 1},
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
            "RoleArn": "arn:aws:iam::123456789012:role/sagemaker-execution",
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/tuning-jobs/"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        "HyperParameterTuningJobStatus": status,
        "CreationTime": datetime(2026, 12, 4, 11, 0, tzinfo=UTC),
        "TrainingJobStatusCounters": counters
        or {"Completed": 5, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0},
        "ObjectiveStatusCounters": {"Succeeded": 5, "Pending": 0, "Failed": 0},
    }
    if best is not None:
        response["BestTrainingJob"] = best
    if reason is not None:
        response["FailureReason"] = reason
    return response


def best_job(with_metric: bool = True) -> dict:
    job = {
        "TrainingJobName": f"{JOB}-003-1a2b3c4d",
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{JOB}-003-1a2b3c4d",
        "CreationTime": datetime(2026, 12, 4, 11, 5, tzinfo=UTC),
        "TrainingStartTime": datetime(2026, 12, 4, 11, 6, tzinfo=UTC),
        "TrainingEndTime": datetime(2026, 12, 4, 11, 20, tzinfo=UTC),
        "TrainingJobStatus": "Completed",
        "TunedHyperParameters": {"learning_rate": "0.01", "optimizer": "adam", "mini_batch_size": "128"},
    }
    if with_metric:
        job["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": "Minimize",
            "MetricName": "validation:total_loss",
            "Value": 6.25,
        }
    return job


@pytest.fixture
def aws():
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "dataset", "KeyType": "HASH"},
                {"AttributeName": "runKey", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "dataset", "AttributeType": "S"},
                {"AttributeName": "runKey", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.create_table(
            TableName=LOCKS,
            KeySchema=[{"AttributeName": "lockKey", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "lockKey", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        sagemaker = boto3.client("sagemaker")
        with Stubber(sagemaker) as stubber:
            yield Clients(sagemaker=sagemaker, dynamodb=dynamodb, s3=s3, cloudwatch=boto3.client("cloudwatch")), stubber


def stub_describe(stubber: Stubber, response: dict) -> None:
    stubber.add_response("describe_hyper_parameter_tuning_job", response, {"HyperParameterTuningJobName": JOB})


def items(clients: Clients) -> list[dict]:
    return clients.dynamodb.scan(TableName=TABLE)["Items"]


def metric_values(clients: Clients) -> list[float]:
    response = clients.cloudwatch.get_metric_statistics(
        Namespace=METRIC_NAMESPACE,
        MetricName=METRIC_NAME,
        Dimensions=[{"Name": "Stage", "Value": "dev"}, {"Name": "Dataset", "Value": "news"}],
        StartTime=datetime(2026, 12, 4, tzinfo=UTC),
        EndTime=datetime(2026, 12, 5, tzinfo=UTC),
        Period=86400,
        Statistics=["Minimum"],
    )
    return [point["Minimum"] for point in response["Datapoints"]]


def success_event() -> dict:
    return {
        "state": {
            "run": RUN,
            "attempt": {"number": 1, "tuningJobName": JOB},
            "tuningJob": {"HyperParameterTuningJobName": JOB, "HyperParameterTuningJobStatus": "Completed"},
        },
        "execution": EXECUTION,
    }


def failure_event(error: str = "States.TaskFailed", cause: str = "the tuning job failed") -> dict:
    return {
        "state": {
            "run": RUN,
            "attempt": {"number": 1, "tuningJobName": JOB},
            "error": {"Error": error, "Cause": cause},
        },
        "execution": EXECUTION,
    }


def test_completed_job_records_best_training_job(aws):
    clients, stubber = aws
    stub_describe(stubber, description("Completed", best=best_job()))

    result = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "succeeded"
    [item] = items(clients)
    assert item["outcome"] == {"S": "succeeded"}
    assert item["objectiveValue"] == {"N": "6.25"}
    assert item["bestTrainingJobName"] == {"S": f"{JOB}-003-1a2b3c4d"}
    assert item["tunedHyperParameters"]["M"]["optimizer"] == {"S": "adam"}
    assert item["modelArtifactS3Uri"] == {"S": f"s3://{BUCKET}/tuning-jobs/{JOB}-003-1a2b3c4d/output/model.tar.gz"}
    assert item["trainingJobStatusCounters"]["M"]["Completed"] == {"N": "5"}
    assert item["trainingStartTime"] == {"S": "2026-12-04T11:06:00+00:00"}
    assert metric_values(clients) == [6.25]


def test_completed_job_writes_json_summary(aws):
    clients, stubber = aws
    stub_describe(stubber, description("Completed", best=best_job()))

    result = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    key = result["summaryS3Uri"].removeprefix(f"s3://{BUCKET}/")
    summary = json.loads(clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert key.startswith("runs/news/")
    assert summary["objectiveValue"] == 6.25
    assert summary["tuningJobName"] == JOB


def test_failed_job_without_best_job(aws):
    clients, stubber = aws
    counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 5, "Stopped": 0}
    stub_describe(stubber, description("Failed", counters=counters, reason="All training jobs failed"))

    result = record_run(failure_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "failed"
    [item] = items(clients)
    assert item["reason"] == {"S": "All training jobs failed"}
    assert item["trainingJobStatusCounters"]["M"]["NonRetryableError"] == {"N": "5"}
    assert "objectiveValue" not in item
    assert metric_values(clients) == []


def test_stopped_job_is_failed(aws):
    clients, stubber = aws
    stub_describe(stubber, description("Stopped", best=best_job()))

    result = record_run(failure_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "failed"
    assert "Stopped" in result["reason"]
    [item] = items(clients)
    assert "objectiveValue" not in item
    assert "bestTrainingJobName" not in item


def test_status_other_than_completed_is_never_a_result(aws):
    clients, stubber = aws
    stub_describe(stubber, description("InProgress", best=best_job()))

    result = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "failed"
    assert metric_values(clients) == []


def test_missing_objective_value_is_failed(aws):
    clients, stubber = aws
    stub_describe(stubber, description("Completed", best=best_job(with_metric=False)))

    result = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "failed"
    assert "validation:total_loss" in result["reason"]
    [item] = items(clients)
    assert "objectiveValue" not in item


def test_same_job_recorded_twice_leaves_one_record(aws):
    clients, stubber = aws
    stub_describe(stubber, description("Completed", best=best_job()))
    stub_describe(stubber, description("Completed", best=best_job()))

    first = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)
    second = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert first == second
    assert len(items(clients)) == 1


def test_rejected_run_skips_sagemaker(aws):
    clients, stubber = aws
    cause = json.dumps(
        {"errorMessage": "overrides.colour: 'red' is invalid: this setting cannot change per run. Allowed: num_topics."}
    )
    event = {"state": {"dataset": "news", "error": {"Error": "RunRejected", "Cause": cause}}, "execution": EXECUTION}

    result = record_run(event, clients=clients, settings=SETTINGS, now=NOW)

    stubber.assert_no_pending_responses()
    assert result["outcome"] == "rejected"
    assert result["reason"].startswith("overrides.colour")
    [item] = items(clients)
    assert item["outcome"] == {"S": "rejected"}


def test_job_never_created_is_failed_with_error(aws):
    clients, stubber = aws
    stubber.add_client_error(
        "describe_hyper_parameter_tuning_job", service_error_code="ResourceNotFound", http_status_code=400
    )

    result = record_run(
        failure_event("SageMaker.ResourceLimitExceededException", "quota reached"),
        clients=clients,
        settings=SETTINGS,
        now=NOW,
    )

    assert result["outcome"] == "failed"
    assert result["reason"] == "SageMaker.ResourceLimitExceededException: quota reached"
