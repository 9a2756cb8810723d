"""`ntm-tune watch`: Step Functions responses stubbed per poll, the tuning job from moto."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

import ntm_tune.commands.watch
from ntm_tune.cli import main
from ntm_tune.reporting.progress import find_tuning_job_name
from tests.cli.conftest import utc

TUNING_JOB = "ntm-dev-261204120000-ab12"
EXECUTION_NAME = "manual-news-v1-20261204T120000Z-ab12"
STARTED = utc("2026-12-04T12:00:00")


def execution_arn(deployed) -> str:
    return deployed.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{EXECUTION_NAME}"


def create_tuning_job(deployed, max_training_jobs: int = 20) -> dict:
    role = deployed.client("iam").create_role(RoleName="sagemaker", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sagemaker = deployed.client("sagemaker")
    sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=TUNING_JOB,
        HyperParameterTuningJobConfig={
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": max_training_jobs, "MaxParallelTrainingJobs": 2},
        },
        TrainingJobDefinition={
            "AlgorithmSpecification": {"TrainingImage": "ntm:1", "TrainingInputMode": "File"},
            "RoleArn": role,
            "OutputDataConfig": {"S3OutputPath": "s3://artifacts/tuning-jobs/"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "ResourceConfig": {"InstanceType": "ml.g4dn.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        },
    )
    return sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=TUNING_JOB)


def started_event() -> dict:
    return {"timestamp": STARTED, "type": "ExecutionStarted", "id": 1, "previousEventId": 0}


def tuning_scheduled_event(name: str = TUNING_JOB, event_id: int = 7) -> dict:
    return {
        "timestamp": STARTED,
        "type": "TaskScheduled",
        "id": event_id,
        "previousEventId": event_id - 1,
        "taskScheduledEventDetails": {
            "resourceType": "sagemaker",
            "resource": "createHyperParameterTuningJob.sync",
            "region": "us-east-1",
            "parameters": json.dumps({"HyperParameterTuningJobName": name, "HyperParameterTuningJobConfig": {}}),
        },
    }


def recorder_event(outcome: str, reason: str) -> dict:
    return {
        "timestamp": STARTED,
        "type": "LambdaFunctionSucceeded",
        "id": 12,
        "previousEventId": 11,
        "lambdaFunctionSucceededEventDetails": {"output": json.dumps({"outcome": outcome, "reason": reason})},
    }


def add_poll(stubber: Stubber, arn: str, status: str, events: list[dict], **execution) -> None:
    description = {
        "executionArn": arn,
        "stateMachineArn": arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0],
        "name": EXECUTION_NAME,
        "status": status,
        "startDate": STARTED,
        **execution,
    }
    if status != "RUNNING":
        description.setdefault("stopDate", utc("2026-12-04T13:30:00"))
    stubber.add_response("describe_execution", description, {"executionArn": arn})
    stubber.add_response(
        "get_execution_history",
        {"events": list(reversed(events))},
        {"executionArn": arn, "reverseOrder": True, "maxResults": 1000},
    )


@pytest.fixture
def stepfunctions(deployed, stub_clients, monkeypatch):
    client = boto3.client("stepfunctions", region_name="us-east-1")
    stub_clients["stepfunctions"] = client
    sleeps: list[float] = []
    monkeypatch.setattr(ntm_tune.commands.watch, "sleep", sleeps.append)
    with Stubber(client) as stubber:
        stubber.sleeps = sleeps
        yield stubber
        stubber.assert_no_pending_responses()


def test_watch_json_until_success(deployed, stepfunctions, capsys):
    description = create_tuning_job(deployed)
    arn = execution_arn(deployed)
    add_poll(stepfunctions, arn, "RUNNING", [started_event()])
    add_poll(stepfunctions, arn, "RUNNING", [started_event(), tuning_scheduled_event()])
    add_poll(
        stepfunctions,
        arn,
        "SUCCEEDED",
        [started_event(), tuning_scheduled_event(), recorder_event("succeeded", "")],
    )

    status = main(["watch", EXECUTION_NAME, "--json", "--interval", "45"])

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    best = description["BestTrainingJob"]
    assert status == 0
    assert len(lines) == 3
    assert stepfunctions.sleeps == [45.0, 45.0]
    assert lines[0]["tuningJobName"] is None
    assert lines[1]["tuningJobName"] == TUNING_JOB
    assert lines[1]["trainingJobs"]["max"] == 20
    assert lines[1]["trainingJobs"]["completed"] == description["TrainingJobStatusCounters"]["Completed"]
    assert lines[1]["bestObjective"]["value"] == best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert lines[1]["bestObjective"]["trainingJobName"] == best["TrainingJobName"]
    assert lines[2]["executionStatus"] == "SUCCEEDED"
    assert lines[2]["elapsedSeconds"] == 5400


def test_watch_failed_run_prints_reason(deployed, stepfunctions, capsys):
    create_tuning_job(deployed)
    arn = execution_arn(deployed)
    reason = "the tuning job ended with status Failed: ResourceLimitExceeded for ml.g4dn.xlarge"
    add_poll(
        stepfunctions,
        arn,
        "FAILED",
        [started_event(), tuning_scheduled_event(), recorder_event("failed", reason)],
        error="RunFailed",
        cause="The run did not succeed; see the run history",
    )

    status = main(["watch", arn])

    captured = capsys.readouterr()
    assert status == 1
    assert stepfunctions.sleeps == []
    assert f"run {EXECUTION_NAME} FAILED: the run was recorded as failed: {reason}" in captured.err
    assert "training jobs:" in captured.out
    assert "Traceback" not in captured.err


def test_watch_defaults_to_newest_execution(deployed, stepfunctions, capsys):
    arn = execution_arn(deployed)
    stepfunctions.add_response(
        "list_executions",
        {
            "executions": [
                {
                    "executionArn": arn,
                    "stateMachineArn": deployed.state_machine_arn,
                    "name": EXECUTION_NAME,
                    "status": "ABORTED",
                    "startDate": STARTED,
                }
            ]
        },
        {"stateMachineArn": deployed.state_machine_arn, "maxResults": 1},
    )
    add_poll(stepfunctions, arn, "ABORTED", [started_event()])

    status = main(["watch"])

    captured = capsys.readouterr()
    assert status == 1
    assert "no tuning job yet" in captured.out
    assert "the execution ended with status ABORTED" in captured.err


def test_watch_unknown_execution(deployed, stepfunctions, capsys):
    stepfunctions.add_client_error(
        "describe_execution", service_error_code="ExecutionDoesNotExist", service_message="Execution does not exist"
    )

    status = main(["watch", "no-such-run"])

    error = capsys.readouterr().err
    assert status == 2
    assert "DescribeExecution failed: not found (Execution does not exist)" in error


def test_interval_below_minimum_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", "--interval", "1"])

    assert exit_info.value.code == 2
    assert "expected a number of seconds of at least 5" in capsys.readouterr().err


def test_newest_create_attempt_wins():
    # Newest event first, as GetExecutionHistory returns with reverseOrder.
    events = [tuning_scheduled_event(f"{TUNING_JOB}-2", 20), tuning_scheduled_event(TUNING_JOB, 7)]

    assert find_tuning_job_name(events) == f"{TUNING_JOB}-2"
