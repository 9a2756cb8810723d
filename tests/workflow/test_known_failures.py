"""Faults that tuning pipelines like this one are known to hit, run through the workflow.

Each test runs the synthesized definition, or a copy changed the way a
mistaken pipeline is written, and checks what the real handlers recorded.
"""

from __future__ import annotations

import copy

import pytest

from ntm_tune.rehearsal.scenario import load_scenario, parse_scenario, scenario_names

SYNC_RESOURCE = "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"
JOB_FAILED = {
    "HyperParameterTuningJobStatus": "Failed",
    "FailureReason": "All training jobs failed with non-retryable errors",
    "TrainingJobStatusCounters": {"NonRetryableError": 3},
}
ACCEPT = {"accept": True}


def only(items):
    assert len(items) == 1, items
    return items[0]


def scenario(**tables):
    return parse_scenario({"summary": "written by a test", **tables}, name="test")


# The task must wait for the job's end, and only a Completed job counts.


def test_task_waits_for_job_end(definition):
    assert definition["States"]["Run tuning job"]["Resource"] == SYNC_RESOURCE


def test_recorder_rejects_running_job(rehearse, definition):
    without_sync = copy.deepcopy(definition)
    task = without_sync["States"]["Run tuning job"]
    task["Resource"] = SYNC_RESOURCE.removesuffix(".sync")
    del task["ResultSelector"]

    result = rehearse("completed", definition=without_sync)

    record = only(result.records)
    assert result.describe_callers == ["Lambda"], "the recorder described the job while it ran"
    assert record["tuningJobStatus"] == "InProgress"
    assert record["outcome"] == "failed"
    assert "objectiveValue" not in record
    assert result.status == "FAILED"
    assert only(result.notifications).message_json["outcome"] == "failed"


# A retry that can reach SageMaker again never reuses a job name.


@pytest.mark.parametrize("scenario_name", scenario_names())
def test_create_names_never_repeat(rehearse, scenario_name):
    result = rehearse(scenario_name)

    names = [request.tuning_job_name.lower() for request in result.create_requests]
    assert len(names) == len(set(names)), names


def test_failed_job_not_created_again(rehearse):
    result = rehearse(scenario(create=[ACCEPT] * 4, end=JOB_FAILED))

    assert len(result.create_requests) == 1
    assert only(result.records)["reason"] == JOB_FAILED["FailureReason"]


def test_blanket_retry_reuses_name(rehearse, definition):
    """A definition that retries every error with a fixed name fails as SageMaker would make it fail."""
    blanket_retry = copy.deepcopy(definition)
    blanket_retry["States"]["Run tuning job"]["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}]

    result = rehearse(scenario(create=[ACCEPT] * 4, end=JOB_FAILED), definition=blanket_retry)

    names = {request.tuning_job_name for request in result.create_requests}
    responses = [request.response for request in result.create_requests]
    assert len(result.create_requests) == 4
    assert len(names) == 1
    assert responses == ["accepted"] + ["SageMaker.ResourceInUseException"] * 3


def test_validation_error_not_retried(rehearse):
    rejected = {
        "error": "SageMaker.AmazonSageMakerException",
        "cause": "1 validation error detected: Value 'ml.g4dn.huge' at 'trainingJobDefinition.resourceConfig."
        "instanceType' failed to satisfy constraint (Service: AmazonSageMaker; Status Code: 400; "
        "Error Code: ValidationException; Request ID: 3f1e0d2c-0000-4000-8000-000000000000)",
    }
    completed = load_scenario("completed").end

    result = rehearse(scenario(create=[rejected] + [ACCEPT] * 4, end=completed))

    assert len(result.create_requests) == 1
    assert only(result.records)["outcome"] == "failed"


# A run that cannot be recorded still reaches the operators.


def test_unrecordable_run_notifies_operators(rehearse):
    table_down = {
        "service": "dynamodb",
        "operation": "PutItem",
        "error_code": "TransactionConflictException",
        "message": "Transaction is ongoing for the item",
        "table": "run_history",
        "calls": list(range(1, 11)),
    }
    completed = load_scenario("completed").end

    result = rehearse(scenario(create=[ACCEPT], end=completed, faults=[table_down]))

    notification = only(result.notifications)
    assert result.status == "FAILED"
    assert result.records == []
    assert result.states[-2:] == ["Notify operators of unrecorded failure", "Run failed"]
    assert [delay.seconds for delay in result.skipped_delays] == [5.0, 10.0, 20.0]
    assert notification.subject == "NTM tuning run failed and could not be recorded"
    assert "TransactionConflictException" in notification.message_json["error"]["Cause"]
    assert only(list(result.summaries.values()))["outcome"] == "failed"
