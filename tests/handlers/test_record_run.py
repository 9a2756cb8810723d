"""The recorder: SageMaker responses stubbed with botocore's Stubber, storage in moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from record_run import (
    COMPLETED_EVENT_DETAIL_TYPE,
    GPU_HOURS_METRIC,
    METRIC_NAME,
    METRIC_NAMESPACE,
    RUNS_METRIC,
    Clients,
    Settings,
    record_run,
)
from tests.handlers.tables import create_run_tables

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
        create_run_tables(dynamodb, history=TABLE, locks=LOCKS)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        sagemaker = boto3.client("sagemaker")
        with Stubber(sagemaker) as stubber:
            clients = Clients(
                sagemaker=sagemaker,
                dynamodb=dynamodb,
                s3=s3,
                cloudwatch=boto3.client("cloudwatch"),
                events=boto3.client("events"),
            )
            yield clients, stubber


def stub_describe(stubber: Stubber, response: dict, training_jobs: list[dict] = ()) -> None:
    """Stub the tuning job's description, then the listing and description of its training jobs."""
    stubber.add_response("describe_hyper_parameter_tuning_job", response, {"HyperParameterTuningJobName": JOB})
    stub_training_jobs(stubber, [training_jobs])


def stub_training_jobs(stubber: Stubber, pages: list[list[dict]]) -> None:
    """Stub ListTrainingJobsForHyperParameterTuningJob, one response per page, then DescribeTrainingJob per job."""
    for number, page in enumerate(pages):
        expected = {"HyperParameterTuningJobName": JOB, "MaxResults": 100}
        if number > 0:
            expected["NextToken"] = f"page-{number}"
        response = {"TrainingJobSummaries": [training_job_summary(job) for job in page]}
        if number < len(pages) - 1:
            response["NextToken"] = f"page-{number + 1}"
        stubber.add_response("list_training_jobs_for_hyper_parameter_tuning_job", response, expected)
    for page in pages:
        for job in page:
            stubber.add_response("describe_training_job", job, {"TrainingJobName": job["TrainingJobName"]})


def training_job(
    number: int,
    *,
    status: str = "Completed",
    instance_type: str = "ml.g4dn.xlarge",
    instance_count: int = 1,
    training_seconds: int | None = 600,
    billable_seconds: int | None = 600,
    spot: bool = False,
) -> dict:
    """A DescribeTrainingJob response of one of the tuning job's training jobs."""
    name = f"{JOB}-{number:03d}-0000abcd"
    job = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://{BUCKET}/tuning-jobs/{name}/output/model.tar.gz"},
        "TrainingJobStatus": status,
        "SecondaryStatus": status,
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": instance_count, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": datetime(2026, 12, 4, 11, 1, tzinfo=UTC),
        "EnableManagedSpotTraining": spot,
    }
    if training_seconds is not None:
        job["TrainingTimeInSeconds"] = training_seconds
    if billable_seconds is not None:
        job["BillableTimeInSeconds"] = billable_seconds
    return job


def training_job_summary(job: dict) -> dict:
    return {
        "TrainingJobName": job["TrainingJobName"],
        "TrainingJobArn": job["TrainingJobArn"],
        "CreationTime": job["CreationTime"],
        "TrainingJobStatus": job["TrainingJobStatus"],
        "TunedHyperParameters": {"learning_rate": "0.01"},
    }


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


# GPU spend: billable seconds and GPU hours from the described training jobs.


def number(attribute: dict) -> float:
    return float(attribute["N"])


def test_multi_instance_jobs_count_every_gpu(aws):
    clients, stubber = aws
    jobs = [
        training_job(1, instance_type="ml.g4dn.12xlarge", instance_count=2, training_seconds=900, billable_seconds=900),
        training_job(
            2, instance_type="ml.g4dn.12xlarge", instance_count=2, training_seconds=1800, billable_seconds=1800
        ),
    ]
    stub_describe(stubber, description("Completed", best=best_job()), jobs)

    record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    stubber.assert_no_pending_responses()
    [item] = items(clients)
    # (900 + 1800) s x 2 instances = 5400 instance-seconds; x 4 GPUs / 3600 = 6 GPU hours.
    assert number(item["billableTrainingSeconds"]) == 5400
    assert number(item["trainingSeconds"]) == 5400
    assert number(item["gpuHours"]) == 6.0
    assert number(item["trainingJobCount"]) == 2


def test_spot_jobs_record_savings(aws):
    clients, stubber = aws
    jobs = [
        training_job(1, spot=True, training_seconds=1000, billable_seconds=300),
        training_job(2, spot=True, training_seconds=1000, billable_seconds=500),
    ]
    stub_describe(stubber, description("Completed", best=best_job()), jobs)

    result = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    [item] = items(clients)
    assert number(item["billableTrainingSeconds"]) == 800
    assert number(item["trainingSeconds"]) == 2000
    assert number(item["spotSavingsPercent"]) == 60.0
    assert number(item["gpuHours"]) == pytest.approx(800 / 3600, abs=1e-4)
    summary = json.loads(
        clients.s3.get_object(Bucket=BUCKET, Key=result["summaryS3Uri"].removeprefix(f"s3://{BUCKET}/"))["Body"].read()
    )
    assert summary["spotSavingsPercent"] == 60.0
    assert summary["billableTrainingSeconds"] == 800


def test_failed_and_stopped_jobs_are_counted(aws):
    clients, stubber = aws
    counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 2, "Stopped": 1}
    jobs = [
        training_job(1, status="Failed", training_seconds=120, billable_seconds=120),
        training_job(2, status="Failed", training_seconds=None, billable_seconds=None),
        training_job(3, status="Stopped", training_seconds=1080, billable_seconds=1080),
    ]
    stub_describe(stubber, description("Failed", counters=counters, reason="All training jobs failed"), jobs)

    result = record_run(failure_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "failed"
    [item] = items(clients)
    assert number(item["billableTrainingSeconds"]) == 1200
    assert number(item["gpuHours"]) == pytest.approx(1200 / 3600, abs=1e-4)
    assert item["trainingJobStatuses"]["M"] == {"Failed": {"N": "2"}, "Stopped": {"N": "1"}}
    assert item["spotSavingsPercent"] == {"N": "0.0"}


def test_training_jobs_listed_across_pages(aws):
    clients, stubber = aws
    stubber.add_response(
        "describe_hyper_parameter_tuning_job",
        description("Completed", best=best_job()),
        {"HyperParameterTuningJobName": JOB},
    )
    stub_training_jobs(stubber, [[training_job(1), training_job(2)], [training_job(3)]])

    record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    stubber.assert_no_pending_responses()
    [item] = items(clients)
    assert number(item["trainingJobCount"]) == 3
    assert number(item["billableTrainingSeconds"]) == 1800


def test_unreadable_training_jobs_still_record_run(aws):
    clients, stubber = aws
    stubber.add_response(
        "describe_hyper_parameter_tuning_job",
        description("Completed", best=best_job()),
        {"HyperParameterTuningJobName": JOB},
    )
    stubber.add_client_error(
        "list_training_jobs_for_hyper_parameter_tuning_job", service_error_code="AccessDeniedException"
    )

    result = record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert result["outcome"] == "succeeded"
    [item] = items(clients)
    assert item["objectiveValue"] == {"N": "6.25"}
    assert "gpuHours" not in item


def test_tuning_job_runtime_from_consumed_resources(aws):
    clients, stubber = aws
    response = description("Completed", best=best_job())
    response["ConsumedResources"] = {"RuntimeInSeconds": 4321}
    stub_describe(stubber, response, [training_job(1)])

    record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    [item] = items(clients)
    assert item["tuningJobRuntimeSeconds"] == {"N": "4321"}
    # The execution started at 11:00 and is recorded at 12:00.
    assert item["runDurationSeconds"] == {"N": "3600"}


# Metrics.


def metric_sum(clients: Clients, name: str, dimensions: list[dict]) -> float:
    response = clients.cloudwatch.get_metric_statistics(
        Namespace=METRIC_NAMESPACE,
        MetricName=name,
        Dimensions=dimensions,
        StartTime=datetime(2026, 12, 4, tzinfo=UTC),
        EndTime=datetime(2026, 12, 5, tzinfo=UTC),
        Period=86400,
        Statistics=["Sum"],
    )
    return sum(point["Sum"] for point in response["Datapoints"])


def test_every_record_counts_in_runs_metric(aws):
    clients, stubber = aws
    cause = json.dumps({"errorMessage": "overrides.num_topics: 1 is invalid"})
    rejected = {"state": {"dataset": "news", "error": {"Error": "RunRejected", "Cause": cause}}, "execution": EXECUTION}
    stub_describe(stubber, description("Completed", best=best_job()), [training_job(1)])

    record_run(rejected, clients=clients, settings=SETTINGS, now=NOW)
    record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    def runs(outcome: str) -> float:
        return metric_sum(
            clients, RUNS_METRIC, [{"Name": "Stage", "Value": "dev"}, {"Name": "Outcome", "Value": outcome}]
        )

    assert runs("rejected") == 1
    assert runs("succeeded") == 1
    assert runs("failed") == 0


def test_gpu_hours_metric_published(aws):
    clients, stubber = aws
    jobs = [training_job(1, instance_type="ml.p3.8xlarge", training_seconds=1800, billable_seconds=1800)]
    stub_describe(stubber, description("Completed", best=best_job()), jobs)

    record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    dimensions = [{"Name": "Stage", "Value": "dev"}, {"Name": "Dataset", "Value": "news"}]
    assert metric_sum(clients, GPU_HOURS_METRIC, dimensions) == 2.0


# The run-completed event.


@pytest.fixture
def event_queue(aws):
    """An SQS queue that receives every event of source ntm-tuning.dev from the default bus."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="run-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="run-events", EventPattern=json.dumps({"source": ["ntm-tuning.dev"]}))
    events.put_targets(Rule="run-events", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return received


def test_succeeded_run_puts_completed_event(aws, event_queue):
    clients, stubber = aws
    stub_describe(stubber, description("Completed", best=best_job()), [training_job(1, billable_seconds=1800)])

    record_run(success_event(), clients=clients, settings=SETTINGS, now=NOW)

    [event] = event_queue()
    assert event["detail-type"] == COMPLETED_EVENT_DETAIL_TYPE
    assert event["source"] == "ntm-tuning.dev"
    detail = event["detail"]
    assert detail["bestTrainingJobName"] == f"{JOB}-003-1a2b3c4d"
    assert detail["objectiveValue"] == 6.25
    assert detail["tunedHyperParameters"] == {"learning_rate": "0.01", "optimizer": "adam", "mini_batch_size": "128"}
    assert detail["modelArtifactS3Uri"] == f"s3://{BUCKET}/tuning-jobs/{JOB}-003-1a2b3c4d/output/model.tar.gz"
    assert (detail["dataset"], detail["version"], detail["runId"]) == ("news", "v1", JOB)
    assert detail["gpuHours"] == 0.5


def test_failed_run_puts_no_event(aws, event_queue):
    clients, stubber = aws
    counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 1, "Stopped": 0}
    stub_describe(
        stubber, description("Failed", counters=counters, reason="failed"), [training_job(1, status="Failed")]
    )

    record_run(failure_event(), clients=clients, settings=SETTINGS, now=NOW)

    assert event_queue() == []
