"""Each bundled scenario, run through the synthesized state machine with the real handlers.

Every assertion reads what the handlers and the state machine wrote into the
emulated services (DynamoDB, S3, SNS, the execution history), never the
scripted responses themselves, except to compare the two.
"""

from __future__ import annotations

import pytest

from ntm_spec.names import retry_tuning_job_name
from ntm_tune.rehearsal.scenario import load_scenario
from ntm_tune.rehearsal.template import ACCOUNT, REGION

SUCCESS_PATH = [
    "Validate run",
    "Run or skip?",
    "Warm start?",
    "Run tuning job",
    "Record result",
    "Run succeeded?",
    "Run succeeded",
]
FAILURE_PATH = [
    "Validate run",
    "Run or skip?",
    "Warm start?",
    "Run tuning job",
    "Record failure",
    "Notify operators",
    "Run failed",
]
NOTIFY_SUBJECT = "NTM tuning run did not succeed"


def run_id(result) -> str:
    """The run ID that the real validate handler chose, from its recorded result."""
    validate = [invocation for invocation in result.invocations if invocation.function.startswith("ValidateRun")]
    return validate[0].result["run"]["runId"]


def only(items):
    assert len(items) == 1, items
    return items[0]


def tuned_range_names(request) -> set[str]:
    ranges = request.params["HyperParameterTuningJobConfig"]["ParameterRanges"]
    return {item["Name"] for items in ranges.values() for item in items}


def summary_key(record) -> str:
    return record["summaryS3Uri"].split("/", 3)[3]


# Completed with a best training job.


def test_completed_run_succeeds(rehearse):
    result = rehearse("completed")

    assert result.status == "SUCCEEDED"
    assert result.states == SUCCESS_PATH
    assert result.notifications == []
    assert result.output["record"]["outcome"] == "succeeded"


def test_completed_run_records_best_job(rehearse, workflow):
    scenario = load_scenario("completed")
    best = scenario.end["BestTrainingJob"]
    result = rehearse(scenario)

    record = only(result.records)
    request = only(result.create_requests)
    assert record["outcome"] == "succeeded"
    assert record["tuningJobName"] == run_id(result)
    assert record["tuningJobStatus"] == "Completed"
    assert record["bestTrainingJobName"] == best["TrainingJobName"].replace("{tuning_job_name}", run_id(result))
    assert record["objectiveMetric"] == "validation:total_loss"
    assert record["objectiveValue"] == best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert record["trainingJobStatusCounters"] == scenario.end["TrainingJobStatusCounters"]
    assert record["objectiveStatusCounters"] == scenario.end["ObjectiveStatusCounters"]
    assert set(record["tunedHyperParameters"]) == tuned_range_names(request)
    assert record["modelArtifactS3Uri"] == (
        f"s3://{workflow.artifacts_bucket}/tuning-jobs/{record['bestTrainingJobName']}/output/model.tar.gz"
    )
    assert (record["dataset"], record["version"], record["trigger"]) == ("corpus", "v1", "manual")


def test_completed_run_writes_summary(rehearse, workflow):
    result = rehearse("completed")

    record = only(result.records)
    key, summary = only(list(result.summaries.items()))
    assert record["summaryS3Uri"] == f"s3://{workflow.artifacts_bucket}/{key}"
    assert summary["runKey"] == record["runKey"]
    assert summary["outcome"] == "succeeded"
    assert summary["objectiveValue"] == record["objectiveValue"]
    assert summary["bestTrainingJobName"] == record["bestTrainingJobName"]


def test_run_started_by_manifest_event(workflow, dataset_dir):
    from ntm_tune.rehearsal.harness import Rehearsal

    with Rehearsal(workflow, load_scenario("completed")) as rehearsal:
        key = rehearsal.upload_dataset(dataset_dir, dataset="news", version="2026-05")
        result = rehearsal.run_object_created(key)

    record = only(result.records)
    assert result.status == "SUCCEEDED"
    assert (record["dataset"], record["version"], record["trigger"]) == ("news", "2026-05", "data")
    channel = only(result.create_requests).params["TrainingJobDefinition"]["InputDataConfig"][0]
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == (
        f"s3://{workflow.datasets_bucket}/datasets/news/2026-05/train/"
    )


# Ended without a usable best training job: recorded failed, operators notified.


@pytest.mark.parametrize("scenario_name", ["failed-no-best-job", "stopped", "completed-without-best-job"])
def test_unsuccessful_job_records_no_objective(rehearse, scenario_name):
    result = rehearse(scenario_name)

    record = only(result.records)
    assert result.status == "FAILED"
    assert result.error == "RunFailed"
    assert record["outcome"] == "failed"
    assert record["reason"]
    assert "objectiveValue" not in record
    assert "bestTrainingJobName" not in record
    assert "modelArtifactS3Uri" not in record


def test_failed_job_records_reason_and_counters(rehearse):
    scenario = load_scenario("failed-no-best-job")
    result = rehearse(scenario)

    record = only(result.records)
    assert result.states == FAILURE_PATH
    assert record["tuningJobStatus"] == "Failed"
    assert record["reason"] == scenario.end["FailureReason"]
    assert record["trainingJobStatusCounters"]["NonRetryableError"] == 5
    assert record["trainingJobStatusCounters"]["Completed"] == 0
    assert record["objectiveStatusCounters"] == scenario.end["ObjectiveStatusCounters"]
    assert only(list(result.summaries.values()))["outcome"] == "failed"


def test_failed_job_notifies_operators(rehearse):
    scenario = load_scenario("failed-no-best-job")
    result = rehearse(scenario)

    notification = only(result.notifications)
    message = notification.message_json
    assert notification.topic_arn.startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:OperatorsTopic")
    assert notification.subject == NOTIFY_SUBJECT
    assert message["execution"] == result.execution_arn
    assert message["outcome"] == "failed"
    assert message["reason"] == scenario.end["FailureReason"]


def test_stopped_job_records_status(rehearse):
    result = rehearse("stopped")

    record = only(result.records)
    assert result.states == FAILURE_PATH
    assert record["tuningJobStatus"] == "Stopped"
    assert "Stopped" in record["reason"]
    assert record["trainingJobStatusCounters"]["Stopped"] == 2
    assert only(result.notifications).message_json["outcome"] == "failed"


def test_completed_without_best_job_notifies(rehearse):
    result = rehearse("completed-without-best-job")

    record = only(result.records)
    assert result.states == [
        "Validate run",
        "Run or skip?",
        "Warm start?",
        "Run tuning job",
        "Record result",
        "Run succeeded?",
        "Notify operators",
        "Run failed",
    ]
    assert record["tuningJobStatus"] == "Completed"
    assert "without a best training job" in record["reason"]
    assert only(result.notifications).message_json["reason"] == record["reason"]


# Create calls that SageMaker throttles.


def test_throttled_create_uses_fresh_names(rehearse):
    result = rehearse("create-throttled-twice")

    base = run_id(result)
    names = [request.tuning_job_name for request in result.create_requests]
    assert names == [base, f"{base}-2", f"{base}-3"]
    assert names == [retry_tuning_job_name(base, attempt) for attempt in (1, 2, 3)]
    assert [request.response for request in result.create_requests] == [
        "SageMaker.AmazonSageMakerException",
        "SageMaker.AmazonSageMakerException",
        "accepted",
    ]
    assert [(delay.kind, delay.seconds) for delay in result.skipped_delays] == [("Wait", 30.0), ("Wait", 60.0)]
    assert result.states.count("Run tuning job") == 3


def test_throttled_create_then_success_recorded(rehearse):
    result = rehearse("create-throttled-twice")

    record = only(result.records)
    assert record["tuningJobName"] == f"{run_id(result)}-3"
    assert record["outcome"] == "succeeded"
    assert result.status == "SUCCEEDED"
    assert result.notifications == []


def test_create_gives_up_after_five_attempts(rehearse):
    result = rehearse("create-throttled-always")

    base = run_id(result)
    record = only(result.records)
    assert [request.tuning_job_name for request in result.create_requests] == [
        retry_tuning_job_name(base, attempt) for attempt in range(1, 6)
    ]
    assert [delay.seconds for delay in result.skipped_delays] == [30.0, 60.0, 120.0, 240.0]
    assert result.status == "FAILED"
    assert record["outcome"] == "failed"
    assert "ResourceLimitExceeded" in record["reason"]
    assert "tuningJobStatus" not in record
    assert only(result.notifications).message_json["outcome"] == "failed"


# A transient error inside the recorder.


def test_recorder_retry_records_once(rehearse):
    result = rehearse("recorder-transient-error")

    recorder_calls = [invocation for invocation in result.invocations if invocation.function.startswith("RecordRun")]
    assert result.status == "SUCCEEDED"
    assert result.states == SUCCESS_PATH
    assert [invocation.error_type for invocation in recorder_calls] == ["TransactionConflictException", None]
    assert [(delay.kind, delay.seconds) for delay in result.skipped_delays] == [("Retry", 5.0)]
    assert only(result.records)["outcome"] == "succeeded"
    assert len(result.summaries) == 1
    assert result.notifications == []


# The cost of one successful run, from the execution history.


def test_successful_run_stays_cheap(rehearse):
    result = rehearse("completed")

    scheduled_tuning_tasks = [
        event
        for event in result.history
        if event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resourceType"] == "sagemaker"
    ]
    assert result.state_transitions <= 12
    assert result.lambda_invocations <= 3
    assert len(scheduled_tuning_tasks) == 1
    assert len(result.states) == len(set(result.states)), "a state was entered twice: a polling loop"
