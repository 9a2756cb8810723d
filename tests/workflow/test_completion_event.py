"""The run-completed event and the run's GPU spend, from an executed workflow.

The recorder runs in-process against moto, and SageMaker's training jobs are
derived from the scenario. The event is read from an SQS queue that an
EventBridge rule on the default bus feeds, as a downstream consumer would.
"""

from __future__ import annotations

import json

import boto3
import pytest

from ntm_spec.instances import GPUS_PER_INSTANCE
from ntm_tune.rehearsal.harness import Rehearsal
from ntm_tune.rehearsal.scenario import ScenarioError, load_scenario, parse_scenario
from tests.workflow.conftest import MANUAL_START, TIME_LIMIT_SECONDS, VERSION

DETAIL_TYPE = "NTM Tuning Run Completed"
# The fields of the event's detail, as docs/events.md lists them.
DOCUMENTED_FIELDS = {
    "stage": str,
    "dataset": str,
    "version": str,
    "runId": str,
    "executionName": str,
    "trigger": str,
    "tuningJobName": str,
    "bestTrainingJobName": str,
    "objectiveMetric": str,
    "objectiveValue": float,
    "tunedHyperParameters": dict,
    "modelArtifactS3Uri": str,
    "gpuHours": float,
    "summaryS3Uri": str,
    "recordedAt": str,
}


def run_capturing_events(workflow, dataset_dir, scenario):
    """Run one manual execution and return its RunResult and every event of source `ntm-tuning.*`."""
    with Rehearsal(workflow, scenario, time_limit_seconds=TIME_LIMIT_SECONDS) as rehearsal:
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="run-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rehearsal.events.put_rule(Name="run-events", EventPattern=json.dumps({"source": [{"prefix": "ntm-tuning."}]}))
        rehearsal.events.put_targets(Rule="run-events", Targets=[{"Id": "queue", "Arn": queue_arn}])
        rehearsal.upload_dataset(dataset_dir, dataset=MANUAL_START["dataset"], version=VERSION)

        result = rehearsal.run(MANUAL_START)

        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return result, [json.loads(message["Body"]) for message in messages]


def test_completed_run_emits_documented_event(workflow, dataset_dir):
    scenario = load_scenario("completed")

    result, events = run_capturing_events(workflow, dataset_dir, scenario)

    assert result.status == "SUCCEEDED"
    [record] = result.records
    [event] = events
    assert result.events == events
    assert event["detail-type"] == DETAIL_TYPE
    assert event["source"] == f"ntm-tuning.{record['stage']}"
    detail = event["detail"]
    assert set(detail) == set(DOCUMENTED_FIELDS)
    for name, expected_type in DOCUMENTED_FIELDS.items():
        assert isinstance(detail[name], expected_type), (name, detail[name])
    assert detail["tuningJobName"] == record["tuningJobName"]
    assert detail["runId"] == record["runId"]
    assert detail["bestTrainingJobName"] == record["bestTrainingJobName"]
    assert (
        detail["objectiveValue"]
        == scenario.end["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    )
    assert detail["tunedHyperParameters"] == record["tunedHyperParameters"]
    assert detail["modelArtifactS3Uri"] == record["modelArtifactS3Uri"]
    assert detail["modelArtifactS3Uri"].endswith(f"/{detail['bestTrainingJobName']}/output/model.tar.gz")
    assert (detail["dataset"], detail["version"]) == (MANUAL_START["dataset"], VERSION)
    assert detail["gpuHours"] == record["gpuHours"]


def test_completed_run_records_gpu_spend(workflow, dataset_dir):
    scenario = load_scenario("completed")

    result, _ = run_capturing_events(workflow, dataset_dir, scenario)

    [record] = result.records
    [request] = result.create_requests
    resources = request.params["TrainingJobDefinition"]["ResourceConfig"]
    jobs = sum(scenario.end["TrainingJobStatusCounters"].values())
    instance_seconds = jobs * scenario.training_jobs.training_seconds * resources["InstanceCount"]
    assert record["trainingJobCount"] == jobs
    assert record["billableTrainingSeconds"] == instance_seconds
    assert record["trainingSeconds"] == instance_seconds
    assert record["gpuHours"] == pytest.approx(
        instance_seconds * GPUS_PER_INSTANCE[resources["InstanceType"]] / 3600, abs=1e-4
    )
    assert record["spotSavingsPercent"] == 0
    # The failed training job counts too.
    assert record["trainingJobStatuses"] == {"Completed": 19, "Failed": 1}
    summary = result.summaries[record["summaryS3Uri"].split("/", 3)[3]]
    assert summary["gpuHours"] == record["gpuHours"]


def test_failed_run_emits_no_event_but_records_spend(workflow, dataset_dir):
    scenario = load_scenario("failed-no-best-job")

    result, events = run_capturing_events(workflow, dataset_dir, scenario)

    assert result.status == "FAILED"
    assert events == []
    assert result.events == []
    [record] = result.records
    assert record["trainingJobCount"] == 5
    assert record["trainingJobStatuses"] == {"Failed": 5}
    assert record["gpuHours"] > 0


def test_billable_seconds_above_training_rejected():
    data = {
        "summary": "x",
        "create": [{"accept": True}],
        "training_jobs": {"training_seconds": 100, "billable_seconds": 200},
    }

    with pytest.raises(ScenarioError, match="billable_seconds 200 is invalid: it exceeds training_seconds 100"):
        parse_scenario(data, name="bad")


def test_unknown_training_jobs_key_rejected():
    data = {"summary": "x", "create": [{"accept": True}], "training_jobs": {"seconds": 100}}

    with pytest.raises(ScenarioError, match=r"training_jobs\.seconds is an unknown key"):
        parse_scenario(data, name="bad")
